import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStraceLog, type SyscallEvent } from '../../src/trace/parser.js';
import { MULTI_PROCESS_LOG, SIGNALS_LOG, THREAD_EXEC_LOG } from './strace-fixtures.js';

function eventsOf(events: SyscallEvent[], pid: number, name: string): SyscallEvent[] {
  return events.filter((event) => event.pid === pid && event.name === name);
}

test('every line of a multi-process log is understood', () => {
  const parsed = parseStraceLog(MULTI_PROCESS_LOG);
  assert.deepEqual(parsed.unrecognisedLines, []);
  assert.deepEqual(parsed.unknownSyscallNames, []);
  // One event per call line, unfinished and resumed halves counting once; signals and exits are not calls.
  const callLines = MULTI_PROCESS_LOG.split('\n').filter((line) => /^\d+ [a-z_0-9]+\(/.test(line));
  assert.equal(parsed.events.length, callLines.length);
});

test('processes: parents, threads, executables and exit statuses', () => {
  const { processes } = parseStraceLog(MULTI_PROCESS_LOG);
  const byPid = new Map(processes.map((record) => [record.pid, record]));
  assert.deepEqual(processes.map((record) => record.pid), [17471, 17474, 17476, 17485]);
  assert.deepEqual(byPid.get(17471), { pid: 17471, thread: false, executables: ['./f'], exitStatus: 'exited with 0' });
  assert.deepEqual(byPid.get(17474), { pid: 17474, parent: 17471, thread: true, executables: [], exitStatus: 'exited with 0' });
  assert.deepEqual(byPid.get(17476), { pid: 17476, parent: 17471, thread: false, executables: ['/bin/true'], exitStatus: 'exited with 0' });
  assert.deepEqual(byPid.get(17485), { pid: 17485, parent: 17471, thread: false, executables: [], exitStatus: 'killed by SIGKILL' });
});

test('unfinished and resumed halves join into one call, in the place of its start', () => {
  const { events } = parseStraceLog(MULTI_PROCESS_LOG);
  const [wait] = eventsOf(events, 17471, 'wait4');
  assert.deepEqual(wait, { pid: 17471, nr: 61, name: 'wait4', args: ['17476', 'NULL', '0', 'NULL'], result: '17476' });
  const [execve] = eventsOf(events, 17476, 'execve');
  assert.deepEqual(execve!.args, ['"/bin/true"', '[...]', '0x7ffd0e96bab8 /* 35 vars */']);
  assert.equal(execve!.result, '0');
  // The child's first call was interrupted by the thread's rseq; both come after the parent's wait4 started.
  const order = events.map((event) => `${event.pid} ${event.name}`);
  assert.ok(order.indexOf('17471 wait4') < order.indexOf('17476 set_robust_list'));
  assert.ok(order.indexOf('17476 set_robust_list') < order.indexOf('17474 rseq'));
  const [futex] = eventsOf(events, 17471, 'futex');
  assert.equal(futex!.args.length, 5);
  assert.equal(futex!.args[4], '0xffffffff /* FUTEX_BITSET_MATCH_ANY */');
  assert.equal(futex!.result, '0');
});

test('strings with commas, quotes, braces and parentheses stay one argument', () => {
  const { events } = parseStraceLog(MULTI_PROCESS_LOG);
  const [access] = eventsOf(events, 17471, 'access');
  assert.deepEqual(access!.args, [String.raw`"/proc/a, \"{b}(c)\\d"`, '0 /* F_OK */']);
  assert.equal(access!.result, '-1 ENOENT (No such file or directory)');
  const [clone3] = eventsOf(events, 17471, 'clone3');
  assert.equal(clone3!.args.length, 2);
  assert.match(clone3!.args[0]!, /^\{flags=0x3d0f00 .* => \{parent_tid=\[17474\]\}$/);
});

test('calls strace could not name are mapped by number', () => {
  const { events } = parseStraceLog(MULTI_PROCESS_LOG);
  const unnamed = events.find((event) => event.nr === 451);
  assert.equal(unnamed?.name, 'cachestat');
  assert.equal(unnamed?.result, '-1 EFAULT (Bad address)');
});

test('numbers above the table are kept under their number; negative numbers are not syscalls', () => {
  const parsed = parseStraceLog(SIGNALS_LOG);
  assert.deepEqual(parsed.unknownSyscallNames, ['syscall_0xffffffffffffffff']);
  const above = parsed.events.find((event) => event.nr === 0x1d6);
  assert.equal(above?.name, 'syscall_470');
  assert.equal(above?.abi, undefined, 'a native call');
});

// A 64-bit program making i386 calls with int $0x80, as strace 6.1 prints it with --quiet=attach.
const I386_LOG = `300 getuid()                          = 0
300 [ Process PID=300 runs in 32 bit mode. ]
300 getpid()                          = 300
300 syscall_0x1f4(0x3e6e, 0, 0, 0x55e0d6bb6013, 0x7fff54633ad0, 0x1) = -1 ENOSYS (Function not implemented)
300 write(1, ""..., 3 <unfinished ...>
301 getppid()                         = 299
300 [ Process PID=300 runs in 64 bit mode. ]
300 <... write resumed>)                = 3
300 getpid()                          = 300
300 +++ exited with 0 +++
`;

test('i386 int $0x80 calls are numbered in the i386 table and marked, between personality lines', () => {
  const parsed = parseStraceLog(I386_LOG);
  assert.deepEqual(parsed.unrecognisedLines, []);
  const described = parsed.events.map((e) => `${e.pid} ${e.abi ?? 'native'} ${e.name}=${e.nr}`);
  assert.deepEqual(described, [
    '300 native getuid=102',
    '300 i386 getpid=20',
    '300 i386 syscall_500=500',
    '300 i386 write=4', // started in 32-bit mode, resumed after the switch back
    '301 native getppid=110', // another thread keeps its own mode
    '300 native getpid=39',
  ]);
});

test('interrupted calls, signals, ? results and exit statuses', () => {
  const parsed = parseStraceLog(SIGNALS_LOG);
  assert.deepEqual(parsed.unrecognisedLines, []);
  const reads = eventsOf(parsed.events, 13522, 'read');
  assert.deepEqual(reads.map((event) => event.result), ['? ERESTARTSYS (To be restarted if SA_RESTART is set)', '0']);
  const [sleep] = eventsOf(parsed.events, 13522, 'clock_nanosleep');
  assert.equal(sleep!.result, '? ERESTART_RESTARTBLOCK (Interrupted by signal)');
  const [exit] = eventsOf(parsed.events, 13522, 'exit_group');
  assert.equal(exit!.result, '?');
  assert.equal(parsed.processes[0]!.exitStatus, 'exited with 3');
  const ioctls = eventsOf(parsed.events, 13522, 'ioctl');
  assert.deepEqual(ioctls[0]!.args, ['0', '0xc0186201 /* _IOC(_IOC_READ|_IOC_WRITE, 0x62, 0x1, 0x18) */', '0']);
});

test('a call that never resumed keeps its first half and has no result', () => {
  const truncated = MULTI_PROCESS_LOG.slice(0, MULTI_PROCESS_LOG.indexOf('17476 <... set_robust_list resumed>'));
  const { events } = parseStraceLog(truncated);
  const [wait] = eventsOf(events, 17471, 'wait4');
  assert.deepEqual(wait, { pid: 17471, nr: 61, name: 'wait4', args: ['17476'] });
  const [rseq] = eventsOf(events, 17474, 'rseq');
  assert.deepEqual(rseq!.args, ['0x7f00278a8fe0', '0x20', '0', '0x53053053']);
  assert.equal(rseq!.result, undefined);
});

test('execve from a non-leader thread continues under the leader pid', () => {
  const parsed = parseStraceLog(THREAD_EXEC_LOG);
  assert.deepEqual(parsed.unrecognisedLines, []);
  const byPid = new Map(parsed.processes.map((record) => [record.pid, record]));
  assert.deepEqual(byPid.get(13528)!.executables, ['./b', '/bin/true']);
  assert.equal(byPid.get(13528)!.exitStatus, 'exited with 0');
  assert.equal(byPid.get(13529)!.thread, true);
  assert.equal(byPid.get(13529)!.exitStatus, 'became pid 13528 by execve');
  const execs = parsed.events.filter((event) => event.name === 'execve');
  assert.deepEqual(execs.map((event) => [event.pid, event.args[0], event.result]), [
    [13528, '"./b"', '0'],
    [13528, '"/bin/true"', '0'],
  ]);
  const [pause] = eventsOf(parsed.events, 13528, 'pause');
  assert.equal(pause!.result, '?');
});

test('lines without a pid are kept aside rather than misread', () => {
  const parsed = parseStraceLog('strace: Process 12 attached\n12 getpid() = 12\n');
  assert.deepEqual(parsed.unrecognisedLines, ['strace: Process 12 attached']);
  assert.deepEqual(parsed.events, [{ pid: 12, nr: 39, name: 'getpid', args: [], result: '12' }]);
});
