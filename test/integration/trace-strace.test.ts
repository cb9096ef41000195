import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { straceArgv } from '../../src/trace/strace-command.js';
import { parseStraceLog, type ParsedTrace } from '../../src/trace/parser.js';
import { discover } from '../../src/trace/discovery.js';
import { canonicalExecutablePath } from '../../src/trace/canonical-path.js';
import { tempDir } from '../helpers/temp-dirs.js';

// Exercises what discovery must see: a thread (clone3), a forked child that execs /bin/true,
// posix_spawn, sub-feature arguments, a pseudo-file, and syscalls above 334 including one
// (451, cachestat) that strace 6.1 cannot name.
const MULTI_SOURCE = String.raw`
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
extern char **environ;
static void *worker(void *arg) { return arg; }
int main(void) {
  struct termios term;
  ioctl(0, TCGETS, &term);
  fcntl(1, F_GETFL);
  int maps = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (maps < 0) return 10;
  close(maps);
  pthread_t thread;
  if (pthread_create(&thread, 0, worker, 0) != 0 || pthread_join(thread, 0) != 0) return 11;
  pid_t child = fork();
  if (child == 0) { execl("/bin/true", "true", (char *)0); _exit(12); }
  int status;
  if (waitpid(child, &status, 0) != child || status != 0) return 13;
  char *spawned_argv[] = { "true", 0 };
  pid_t spawned;
  if (posix_spawn(&spawned, "/bin/true", 0, 0, spawned_argv, environ) != 0) return 14;
  if (waitpid(spawned, &status, 0) != spawned || status != 0) return 15;
  int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return 16;
  syscall(SYS_close_range, 3, ~0U, 0);
  syscall(SYS_faccessat2, AT_FDCWD, "/etc/passwd", R_OK, 0);
  syscall(451, -1, 0, 0, 0);
  return 0;
}
`;

// Run twice by a shell, which is the test driver: FIONREAD and getppid are this program's own.
const DRIVEN_SOURCE = String.raw`
#include <sys/ioctl.h>
#include <unistd.h>
int main(void) {
  int pending;
  ioctl(0, FIONREAD, &pending);
  return getppid() > 0 ? 0 : 1;
}
`;

let workDir = '';

function compile(name: string, source: string): string {
  const sourcePath = join(workDir, `${name}.c`);
  const binary = join(workDir, name);
  writeFileSync(sourcePath, source);
  const gcc = spawnSync('gcc', ['-O0', '-pthread', '-o', binary, sourcePath], { encoding: 'utf8' });
  assert.equal(gcc.status, 0, `gcc failed: ${gcc.stderr}`);
  return binary;
}

function trace(name: string, binary: string, args: string[]): ParsedTrace {
  const outputFile = join(workDir, `${name}.strace`);
  const [command, ...argv] = straceArgv({ outputFile, binary, args });
  const run = spawnSync(command!, argv, { cwd: workDir, encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL', stdio: ['ignore', 'pipe', 'pipe'] });
  assert.equal(run.status, 0, `traced run failed (${run.signal ?? run.status}): ${run.stderr}`);
  return parseStraceLog(readFileSync(outputFile, 'utf8'));
}

let multiBinary = '';
let drivenBinary = '';

before(() => {
  workDir = tempDir('trace');
  multiBinary = compile('multi', MULTI_SOURCE);
  drivenBinary = compile('driven', DRIVEN_SOURCE);
});

after(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

test('straceArgv follows children into one file and ends with the program and its arguments', () => {
  const argv = straceArgv({ outputFile: '/tmp/x.strace', binary: '/bin/echo', args: ['a b', '--'] });
  assert.equal(argv[0], 'strace');
  assert.ok(argv.includes('-f') && !argv.includes('-ff'));
  assert.equal(argv[argv.indexOf('-o') + 1], '/tmp/x.strace');
  assert.deepEqual(argv.slice(argv.indexOf('--')), ['--', '/bin/echo', 'a b', '--']);
});

test('a real multi-process run: every line parsed, usage attributed per executable', () => {
  const parsed = trace('multi', multiBinary, []);
  assert.deepEqual(parsed.unrecognisedLines, []);
  assert.deepEqual(parsed.unknownSyscallNames, []);
  const discovery = discover(parsed, { cwd: workDir, canonicalPath: canonicalExecutablePath });
  const trueBinary = realpathSync('/bin/true');
  assert.deepEqual(Object.keys(discovery.usedByExecutable).sort(), [multiBinary, trueBinary].sort());

  for (const nr of [16, 41, 59, 72, 257, 435, 436, 439, 451]) {
    assert.ok(discovery.usedByAll.includes(nr), `syscall ${nr} used`);
    assert.ok(discovery.usedByExecutable[multiBinary]!.includes(nr), `syscall ${nr} used by the program`);
  }
  const byTrue = discovery.usedByExecutable[trueBinary]!;
  assert.ok(byTrue.includes(231), 'true exits with exit_group');
  for (const nr of [41, 436, 439, 451]) assert.ok(!byTrue.includes(nr), `true does not use ${nr}`);

  const root = parsed.processes[0]!;
  assert.equal(root.exitStatus, 'exited with 0');
  const children = parsed.processes.filter((record) => record.parent === root.pid);
  assert.equal(children.filter((record) => record.thread).length, 1, 'one thread');
  assert.deepEqual(children.filter((record) => !record.thread).map((record) => record.executables), [['/bin/true'], ['/bin/true']]);
});

test('a real run: sub-feature values and pseudo-files', () => {
  const discovery = discover(parseStraceLog(readFileSync(join(workDir, 'multi.strace'), 'utf8')), {
    cwd: workDir,
    canonicalPath: canonicalExecutablePath,
    onlyConsider: multiBinary,
  });
  const find = (syscall: string, argIndex: number, kind: string, value: string) =>
    discovery.argumentValues.find((v) => v.syscall === syscall && v.argIndex === argIndex && v.kind === kind && v.value === value);
  assert.equal(find('ioctl', 1, 'value', '21505')?.label, 'TCGETS');
  assert.equal(find('fcntl', 1, 'value', '3')?.label, 'F_GETFL');
  assert.equal(find('socket', 0, 'value', '1')?.label, 'AF_UNIX');
  assert.equal(find('socket', 1, 'value', '1')?.label, 'SOCK_STREAM');
  assert.equal(find('socket', 1, 'flags', String(0x80000))?.label, 'SOCK_CLOEXEC');
  assert.equal(find('openat', 2, 'flags', String(0x80000))?.label, 'O_RDONLY|O_CLOEXEC');
  assert.equal(discovery.unparsedArguments, 0);
  assert.ok(
    discovery.pseudoFiles.some((f) => f.path === '/proc/self/maps' && f.syscall === 'openat' && f.succeeded),
    JSON.stringify(discovery.pseudoFiles),
  );
});

test('a real run under a shell driver: onlyConsider leaves the driver out', () => {
  const parsed = trace('driven', '/bin/sh', ['-c', `${drivenBinary}; ${drivenBinary}`]);
  assert.deepEqual(parsed.unrecognisedLines, []);
  const all = discover(parsed, { cwd: workDir, canonicalPath: canonicalExecutablePath });
  const only = discover(parsed, { cwd: workDir, canonicalPath: canonicalExecutablePath, onlyConsider: drivenBinary });
  assert.deepEqual(Object.keys(all.usedByExecutable).sort(), [realpathSync('/bin/sh'), drivenBinary].sort());
  assert.deepEqual(only.usedByAll, all.usedByExecutable[drivenBinary]);
  assert.ok(only.usedByAll.includes(16) && only.usedByAll.includes(110), 'ioctl and getppid are the program\'s');
  // The shell forks, execs the program and waits for it; the program itself does none of that.
  for (const nr of [56, 57, 59, 61]) assert.ok(!only.usedByAll.includes(nr), `driver's syscall ${nr} not counted`);
  assert.ok(all.usedByAll.includes(59) && all.usedByAll.includes(61));
  assert.deepEqual(only.argumentValues.filter((v) => v.syscall === 'ioctl').map((v) => [v.value, v.label, v.count]), [['21531', 'FIONREAD', 2]]);
});
