import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { flagBitName, subfeatureSubject } from '../../src/syscalls/flag-bits.js';
import { describeFallbacks } from '../../src/explore/fallbacks.js';
import { X86_64 } from '../../src/syscalls/table.js';
import { REPO_ROOT } from '../helpers/cli.js';

// Names of flag bits from the kernel's headers (src/syscalls/flag-bits-table.ts).

test('clone bit 0x200000 is CLONE_CHILD_CLEARTID, as <linux/sched.h> says', () => {
  assert.equal(flagBitName('clone', 0, 0x200000n), 'CLONE_CHILD_CLEARTID');
  assert.equal(subfeatureSubject({ syscall: 'clone', argIndex: 0, value: String(0x200000), label: '0x200000', bit: true }), 'clone(bit CLONE_CHILD_CLEARTID)');
  // Each argument reads its own set: bit 0x800 is SOCK_NONBLOCK for socket's type, O_NONBLOCK for pipe2, CLONE_SIGHAND for clone.
  assert.equal(flagBitName('socket', 1, 0x800n), 'SOCK_NONBLOCK');
  assert.equal(flagBitName('pipe2', 1, 0x800n), 'O_NONBLOCK');
  assert.equal(flagBitName('clone', 0, 0x800n), 'CLONE_SIGHAND');
  assert.equal(flagBitName('mmap', 2, 0x4n), 'PROT_EXEC');
  assert.equal(flagBitName('getrandom', 2, 0x1n), 'GRND_NONBLOCK');
});

test('a bit no header names prints its hex with the argument it belongs to', () => {
  // Bits 26-31 of mmap's flags hold the huge page size (MAP_HUGE_SHIFT): a field, not flags.
  assert.equal(flagBitName('mmap', 3, 0x8000000n), undefined);
  assert.equal(subfeatureSubject({ syscall: 'mmap', argIndex: 3, value: String(0x8000000), label: '0x8000000', bit: true }), 'mmap(flags bit 0x8000000)');
  assert.equal(subfeatureSubject({ syscall: 'socket', argIndex: 1, value: String(0x40), label: '0x40', bit: true }), 'socket(type flags bit 0x40)');
  // clone's low byte is the exit signal, not flags: CLONE_NEWTIME (0x80) is a clone3 flag there.
  assert.equal(flagBitName('clone', 0, 0x80n), undefined);
  // A name strace told (no header has it) is kept; values keep their label.
  assert.equal(subfeatureSubject({ syscall: 'openat', argIndex: 2, value: String(0x2000), label: 'O_ASYNC', bit: true }), 'openat(bit O_ASYNC)');
  assert.equal(subfeatureSubject({ syscall: 'ioctl', argIndex: 1, value: '21505', label: 'TCGETS' }), 'ioctl(TCGETS)');
  assert.equal(subfeatureSubject({ value: '/proc/self/maps', label: '/proc/self/maps' }), '/proc/self/maps');
});

test('fallback lines name the bit, even without a label from the run', () => {
  const lines = describeFallbacks({ [`56/0&${0x200000}`]: { stub: { added: [], dropped: [218] } } }, X86_64);
  assert.deepEqual(lines, ['clone(bit CLONE_CHILD_CLEARTID): stub works, stops calling set_tid_address']);
});

test('the committed table is what the generator makes of the headers today', () => {
  const run = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts/generate-flag-bits.mjs'), '--check'], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
});
