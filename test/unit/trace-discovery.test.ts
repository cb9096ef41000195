import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStraceLog } from '../../src/trace/parser.js';
import { discover, type ArgumentValue } from '../../src/trace/discovery.js';
import { executedPaths } from '../../src/trace/exec-paths.js';
import { MULTI_PROCESS_LOG, NON_VERBOSE_LOG, PROC_PID_LOG, SIGNALS_LOG, SUBFEATURES_LOG, THREAD_EXEC_LOG } from './strace-fixtures.js';

// Stands in for realpath in these pure tests (merged /usr); the fixtures' programs ran as ./f and ./b from /work.
const CANONICAL: Record<string, string> = { '/bin/true': '/usr/bin/true' };
const canonicalPath = (path: string): string => CANONICAL[path] ?? path;
const cwd = '/work';

function valuesOf(values: ArgumentValue[], syscall: string, argIndex: number): [string, string, number][] {
  return values.filter((v) => v.syscall === syscall && v.argIndex === argIndex).map((v) => [v.value, v.label, v.count]);
}

test('syscalls are attributed to the executable each process was running', () => {
  const discovery = discover(parseStraceLog(MULTI_PROCESS_LOG), { cwd, canonicalPath });
  assert.deepEqual(Object.keys(discovery.usedByExecutable), ['/usr/bin/true', '/work/f']);
  // The child's calls after its execve, and nothing else (its execve belongs to /work/f, which called it).
  assert.deepEqual(discovery.usedByExecutable['/usr/bin/true'], [11, 12, 158, 218, 231, 273, 302, 334]);
  const mine = discovery.usedByExecutable['/work/f']!;
  for (const nr of [59, 435, 56, 61, 202, 451, 60, 28, 34, 62, 230]) assert.ok(mine.includes(nr), `f uses ${nr}`);
  assert.deepEqual(discovery.usedByAll, [...new Set([...mine, ...discovery.usedByExecutable['/usr/bin/true']!])].sort((a, b) => a - b));
});

test('onlyConsider counts only the calls attributed to that executable, compared canonically', () => {
  const parsed = parseStraceLog(MULTI_PROCESS_LOG);
  const onlyTrue = discover(parsed, { cwd, canonicalPath, onlyConsider: '/bin/true' });
  assert.deepEqual(onlyTrue.usedByAll, [11, 12, 158, 218, 231, 273, 302, 334]);
  assert.deepEqual(onlyTrue.argumentValues.map((v) => `${v.syscall} ${v.label} ${v.count}`), ['arch_prctl ARCH_SET_FS 1', 'prlimit64 RLIMIT_STACK 1']);
  assert.deepEqual(onlyTrue.pseudoFiles, []);
  const onlyF = discover(parsed, { cwd, canonicalPath, onlyConsider: './f' });
  assert.deepEqual(onlyF.usedByAll, onlyF.usedByExecutable['/work/f']);
  assert.equal(onlyF.pseudoFiles.length, 1);
  const nobody = discover(parsed, { cwd, canonicalPath, onlyConsider: '/usr/bin/false' });
  assert.deepEqual(nobody.usedByAll, []);
});

test('a thread that execs hands its process to the new executable', () => {
  const discovery = discover(parseStraceLog(THREAD_EXEC_LOG), { cwd, canonicalPath });
  assert.deepEqual(discovery.usedByExecutable['/usr/bin/true'], [12, 231]);
  assert.deepEqual(discovery.usedByExecutable['/work/b'], [14, 34, 59, 273, 334, 435]);
});

test('sub-feature values: exact numbers, masks, labels and counts', () => {
  const discovery = discover(parseStraceLog(SUBFEATURES_LOG), {});
  const values = discovery.argumentValues;
  assert.deepEqual(valuesOf(values, 'ioctl', 1), [['21505', 'TCGETS', 1]]);
  assert.deepEqual(valuesOf(values, 'fcntl', 1), [['3', 'F_GETFL', 1]]);
  assert.deepEqual(valuesOf(values, 'openat', 2), [['524288', 'O_RDONLY|O_CLOEXEC', 1]]);
  assert.deepEqual(valuesOf(values, 'socket', 0), [['2', 'AF_INET', 1]]);
  // The type argument is split: a value in the low 4 bits, and the SOCK_NONBLOCK|SOCK_CLOEXEC flags.
  const types = values.filter((v) => v.syscall === 'socket' && v.argIndex === 1);
  assert.deepEqual(types.map((v) => [v.kind, v.value, v.label, v.mask]), [
    ['flags', '2048', 'SOCK_NONBLOCK', String(0x80800)],
    ['value', '1', 'SOCK_STREAM', '15'],
  ]);
  assert.deepEqual(valuesOf(values, 'prlimit64', 1), [['3', 'RLIMIT_STACK', 1]]);
  assert.equal(discovery.unparsedArguments, 0);
  assert.ok(discovery.usedByAll.includes(436) && discovery.usedByAll.includes(439));
  // No execve in this excerpt: nothing can be attributed to an executable.
  assert.deepEqual(discovery.usedByExecutable, {});
});

test('clone flags come from the flags= field, without the exit signal; values of int arguments are 32-bit', () => {
  const { argumentValues } = discover(parseStraceLog(MULTI_PROCESS_LOG), {});
  assert.deepEqual(valuesOf(argumentValues, 'clone', 0), [['18874368', 'CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID', 2]]);
  assert.deepEqual(valuesOf(argumentValues, 'futex', 1), [['265', 'FUTEX_WAIT_BITSET|FUTEX_CLOCK_REALTIME', 1]]);
  assert.deepEqual(valuesOf(argumentValues, 'rt_sigaction', 0), [['33', 'SIGRT_1', 1]]);
  assert.deepEqual(valuesOf(argumentValues, 'clock_nanosleep', 0), [['0', 'CLOCK_REALTIME', 2]]);
  assert.deepEqual(valuesOf(argumentValues, 'madvise', 2), [['4', 'MADV_DONTNEED', 1]]);
  const { argumentValues: other } = discover(parseStraceLog(SIGNALS_LOG), {});
  assert.deepEqual(valuesOf(other, 'ioctl', 1), [
    ['35312', 'SIOCDEVPRIVATE', 1],
    ['3222823425', '_IOC(_IOC_READ|_IOC_WRITE, 0x62, 0x1, 0x18)', 1],
  ]);
  // strace has no name for this clock: the label falls back to the hex.
  assert.deepEqual(valuesOf(other, 'clock_gettime', 0), [['2', 'CLOCK_PROCESS_CPUTIME_ID', 1], ['4294967290', '0xfffffffa', 1]]);
});

test('pseudo-files: path decoded, outcome recorded, own pid made portable', () => {
  const multi = discover(parseStraceLog(MULTI_PROCESS_LOG), {});
  assert.deepEqual(multi.pseudoFiles, [{ path: '/proc/a, "{b}(c)\\d', portablePath: '/proc/a, "{b}(c)\\d', syscall: 'access', succeeded: false }]);
  const sub = discover(parseStraceLog(SUBFEATURES_LOG), {});
  assert.deepEqual(sub.pseudoFiles.map((f) => [f.path, f.syscall, f.succeeded]), [
    ['/dev/nonexistent"x', 'access', false],
    ['/proc/self/maps', 'openat', true],
  ]);
  const own = discover(parseStraceLog(PROC_PID_LOG), {});
  assert.deepEqual(own.pseudoFiles.map((f) => [f.path, f.portablePath]), [
    ['/proc/19367/status', '/proc/19367/status'],
    ['/proc/19370/status', '/proc/self/status'],
    ['/proc/19370/task/19371/comm', '/proc/thread-self/comm'],
  ]);
});

test('arguments without a number are counted as unparsed, never guessed', () => {
  const discovery = discover(parseStraceLog(NON_VERBOSE_LOG), {});
  assert.deepEqual(discovery.argumentValues, []);
  assert.equal(discovery.unparsedArguments, 3);
  assert.equal(discovery.pseudoFiles.length, 3);
});

test('calls through another ABI are listed apart, never counted as native usage', () => {
  const log = `300 execve("/usr/bin/p", ["p"], 0x7ffc /* 1 var */) = 0
300 getuid()                          = 0
300 [ Process PID=300 runs in 32 bit mode. ]
300 getpid()                          = 300
300 getpid()                          = 300
300 [ Process PID=300 runs in 64 bit mode. ]
300 exit_group(0)                     = ?
`;
  const found = discover(parseStraceLog(log));
  assert.deepEqual(found.usedByAll, [59, 102, 231], 'execve, getuid, exit_group; not getpid');
  assert.deepEqual(found.foreignCalls, [{ abi: 'i386', nr: 20, name: 'getpid', count: 2 }]);
});

test('a driver that changes folder and runs ./prog: the program is attributed from the folder each process was in', () => {
  // make -C tests (chdir), a recipe's shell that cds again, and a failed chdir that moves nothing.
  const log = [
    '100 execve("/usr/bin/make", ["make", "check"], 0x7ffc /* 5 vars */) = 0',
    '100 chdir("tests") = 0',
    '100 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f) = 101',
    '101 execve("/bin/sh", ["/bin/sh", "-c", "cd bin && ./prog"], 0x55 /* 5 vars */) = 0',
    '101 chdir("bin") = 0',
    '101 execve("./prog", ["./prog"], 0x55 /* 5 vars */) = 0',
    '101 uname({sysname="Linux", nodename="x", ...}) = 0',
    '101 exit_group(0) = ?',
    '101 +++ exited with 0 +++',
    '100 chdir("/nowhere") = -1 ENOENT (No such file or directory)',
    '100 vfork() = 102',
    '102 execve("./bin/prog", ["./bin/prog"], 0x55 /* 5 vars */) = 0',
    '102 getpid() = 102',
    '102 exit_group(0) = ?',
    '102 +++ exited with 0 +++',
    '100 wait4(-1, NULL, 0, NULL) = 102',
    '100 exit_group(0) = ?',
    '100 +++ exited with 0 +++',
    '',
  ].join('\n');
  const parsed = parseStraceLog(log);
  const only = discover(parsed, { cwd: '/src', onlyConsider: 'tests/bin/prog' });
  assert.deepEqual(only.usedByAll, [39, 63, 231], 'uname from the cd, getpid from ./bin/prog, both exits');
  assert.deepEqual(Object.keys(only.usedByExecutable), ['/bin/sh', '/src/tests/bin/prog', '/usr/bin/make']);
  assert.equal(executedPaths(parsed, '/src').includes('/src/tests/bin/prog'), true, 'one implementation for both readers');
});

test('the launcher bound over onlyConsider is invisible: its calls count for nobody, the real binary for onlyConsider', () => {
  const log = [
    '100 execve("/bin/sh", ["sh", "-c", "/work/p"], 0x7ffd /* 10 vars */) = 0',
    '100 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f00) = 101',
    '101 execve("/work/p", ["/work/p"], 0x55 /* 10 vars */) = 0',
    '101 openat(AT_FDCWD, "/run/loupe-sandbox/filter.bpf", O_RDONLY|O_CLOEXEC) = 3',
    '101 read(3, ""..., 32768) = 96',
    '101 close(3) = 0',
    '101 prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) = 0',
    '101 seccomp(SECCOMP_SET_MODE_FILTER, 0, {len=12, filter=0x4c}) = 0',
    '101 execve("/run/loupe-sandbox/target", ["/work/p"], 0x7f00 /* 10 vars */) = 0',
    '101 uname({sysname="Linux", nodename="x", ...}) = 0',
    '101 exit_group(0) = ?',
    '101 +++ exited with 0 +++',
    '100 wait4(-1, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 101',
    '100 exit_group(0) = ?',
    '100 +++ exited with 0 +++',
    '',
  ].join('\n');
  const parsed = parseStraceLog(log);
  const bound = discover(parsed, { onlyConsider: '/work/p', launcherTarget: '/run/loupe-sandbox/target' });
  assert.deepEqual(bound.usedByAll, [63, 231], 'uname and exit_group: nothing of the launcher');
  assert.deepEqual(bound.usedByExecutable['/work/p'], [63, 231]);
  // Without knowing the launcher, its calls would be charged to the analysed binary.
  const naive = discover(parsed, { onlyConsider: '/work/p' });
  assert.ok(naive.usedByAll.includes(317), 'seccomp counted');
});
