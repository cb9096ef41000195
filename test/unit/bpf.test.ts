import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildSeccompFilter, encodeFilter, evaluateFilter, returnValueOf, SECCOMP_RET_ALLOW, type PerturbRule,
} from '../../src/sandbox/bpf.js';

const X86_64 = 0xc000003e;
const I386 = 0x40000003;
const STUB = returnValueOf('stub');
const FAKE = returnValueOf('fake');

test('stub returns ERRNO|ENOSYS and fake ERRNO|0', () => {
  assert.equal(STUB, 0x00050026);
  assert.equal(FAKE, 0x00050000);
});

test('whole-call rules perturb only their syscall', () => {
  const prog = buildSeccompFilter([{ nr: 110, action: 'fake', select: { kind: 'all' } }, { nr: 102, action: 'stub', select: { kind: 'all' } }], { auditArch: X86_64 });
  assert.equal(evaluateFilter(prog, { arch: X86_64, nr: 110 }), FAKE);
  assert.equal(evaluateFilter(prog, { arch: X86_64, nr: 102 }), STUB);
  assert.equal(evaluateFilter(prog, { arch: X86_64, nr: 0 }), SECCOMP_RET_ALLOW);
  assert.equal(evaluateFilter(prog, { arch: X86_64, nr: 435 }), SECCOMP_RET_ALLOW);
});

test('other architectures pass untouched and the x32 range is refused', () => {
  const prog = buildSeccompFilter([{ nr: 20, action: 'fake', select: { kind: 'all' } }], { auditArch: X86_64 });
  assert.equal(evaluateFilter(prog, { arch: I386, nr: 20 }), SECCOMP_RET_ALLOW);
  assert.equal(evaluateFilter(prog, { arch: X86_64, nr: 0x40000000 | 20 }), STUB);
});

test('argument values match on all 64 bits', () => {
  const big = 0x1_0000_5401n; // same low word as TCGETS, different high word
  const rules: PerturbRule[] = [{ nr: 16, action: 'stub', select: { kind: 'equals', argIndex: 1, value: 0x5401n } }];
  const prog = buildSeccompFilter(rules, { auditArch: X86_64 });
  assert.equal(evaluateFilter(prog, { arch: X86_64, nr: 16, args: [0n, 0x5401n] }), STUB);
  assert.equal(evaluateFilter(prog, { arch: X86_64, nr: 16, args: [0n, big] }), SECCOMP_RET_ALLOW);
  assert.equal(evaluateFilter(prog, { arch: X86_64, nr: 16, args: [0n, 0x5402n] }), SECCOMP_RET_ALLOW);
  const high = buildSeccompFilter([{ nr: 16, action: 'fake', select: { kind: 'equals', argIndex: 1, value: 0xc0ffee00_80045430n } }], { auditArch: X86_64 });
  assert.equal(evaluateFilter(high, { arch: X86_64, nr: 16, args: [0n, 0xc0ffee00_80045430n] }), FAKE);
  assert.equal(evaluateFilter(high, { arch: X86_64, nr: 16, args: [0n, 0x80045430n] }), SECCOMP_RET_ALLOW);
});

test('negative argument values are compared as their 64-bit two\'s complement', () => {
  const prog = buildSeccompFilter([{ nr: 257, action: 'stub', select: { kind: 'equals', argIndex: 0, value: -100n } }], { auditArch: X86_64 });
  assert.equal(evaluateFilter(prog, { arch: X86_64, nr: 257, args: [BigInt.asUintN(64, -100n)] }), STUB);
});

test('flag bits match when set, in either word, and a block falls through to the next syscall', () => {
  const rules: PerturbRule[] = [
    { nr: 9, action: 'fake', select: { kind: 'bitSet', argIndex: 3, bit: 0x20n } },
    { nr: 9, action: 'stub', select: { kind: 'bitSet', argIndex: 3, bit: 1n << 40n } },
    { nr: 10, action: 'stub', select: { kind: 'all' } },
  ];
  const prog = buildSeccompFilter(rules, { auditArch: X86_64 });
  assert.equal(evaluateFilter(prog, { arch: X86_64, nr: 9, args: [0n, 0n, 0n, 0x22n] }), FAKE);
  assert.equal(evaluateFilter(prog, { arch: X86_64, nr: 9, args: [0n, 0n, 0n, (1n << 40n) | 2n] }), STUB);
  assert.equal(evaluateFilter(prog, { arch: X86_64, nr: 9, args: [0n, 0n, 0n, 0x2n] }), SECCOMP_RET_ALLOW);
  assert.equal(evaluateFilter(prog, { arch: X86_64, nr: 10, args: [0n, 0n, 0n, 0x2n] }), STUB);
  assert.throws(() => buildSeccompFilter([{ nr: 9, action: 'fake', select: { kind: 'bitSet', argIndex: 3, bit: 3n } }], { auditArch: X86_64 }));
});

test('exempted calls (the launcher\'s own execve) are never perturbed', () => {
  const addr = 0x7e5e_c0d0_0000n;
  const prog = buildSeccompFilter([{ nr: 59, action: 'stub', select: { kind: 'all' } }], { auditArch: X86_64, exemptions: [{ nr: 59, argIndex: 0, value: addr }] });
  assert.equal(evaluateFilter(prog, { arch: X86_64, nr: 59, args: [addr] }), SECCOMP_RET_ALLOW);
  assert.equal(evaluateFilter(prog, { arch: X86_64, nr: 59, args: [0x5555_0000_1000n] }), STUB);
});

test('encoding is 8 bytes per instruction, little-endian', () => {
  const prog = buildSeccompFilter([], { auditArch: X86_64 });
  const bytes = encodeFilter(prog);
  assert.equal(bytes.length, prog.length * 8);
  assert.equal(bytes.readUInt16LE(0), 0x20);
  assert.equal(bytes.readUInt32LE(4), 4, 'first instruction loads the arch word');
  assert.equal(bytes.readUInt32LE(bytes.length - 4), SECCOMP_RET_ALLOW);
});

test('masked equality compares only the selecting bits, and 32-bit arguments only their low word', () => {
  // socket type: low 4 bits select SOCK_STREAM (1); SOCK_NONBLOCK|SOCK_CLOEXEC are other bits.
  const prog = buildSeccompFilter([{ nr: 41, action: 'stub', select: { kind: 'equals', argIndex: 1, value: 1n, mask: 0xfn } }], { auditArch: X86_64 });
  assert.equal(evaluateFilter(prog, { arch: X86_64, nr: 41, args: [2n, 0x80801n] }), STUB);
  assert.equal(evaluateFilter(prog, { arch: X86_64, nr: 41, args: [2n, 0x80802n] }), SECCOMP_RET_ALLOW);
  // ioctl request is an unsigned int: garbage in the high word must not hide it.
  const ioctl = buildSeccompFilter([{ nr: 16, action: 'fake', select: { kind: 'equals', argIndex: 1, value: 0x5401n, mask: 0xffffffffn } }], { auditArch: X86_64 });
  assert.equal(evaluateFilter(ioctl, { arch: X86_64, nr: 16, args: [0n, 0xffffffff_00005401n] }), FAKE);
  assert.equal(evaluateFilter(ioctl, { arch: X86_64, nr: 16, args: [0n, 0x5402n] }), SECCOMP_RET_ALLOW);
});
