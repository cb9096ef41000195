/**
 * Builder of classic-BPF seccomp programs that perturb system calls in the kernel:
 * a "stub" returns -ENOSYS and a "fake" returns 0, both without executing the call.
 *
 * Layout of the program (struct seccomp_data: nr @0, arch @4, instruction_pointer @8, args[i] @16+8i):
 *   1. arch check: anything but the table's architecture (e.g. int 0x80 calls) runs unperturbed;
 *   2. x32 guard: numbers with bit 30 set return -ENOSYS, so a rule cannot be bypassed through the x32 ABI;
 *   3. one block per perturbed syscall, tried in order: whole-call rules, then 64-bit exact argument
 *      matches and flag-bit matches;
 *   4. allow.
 * Pure: rules in, bytes out.
 */

import type { Treatment } from '../core/verdict.js';
import { X32_SYSCALL_BIT } from '../syscalls/table.js';

/** How a rule selects calls of its syscall: all of them, an exact argument value, or a flag bit set. */
export type ArgSelector =
  | { kind: 'all' }
  /** `(arg & mask) == value`; mask defaults to all 64 bits. A mask with a zero high word compares only the low word. */
  | { kind: 'equals'; argIndex: number; value: bigint; mask?: bigint }
  | { kind: 'bitSet'; argIndex: number; bit: bigint };

export interface PerturbRule {
  nr: number;
  action: Treatment;
  select: ArgSelector;
}

export interface FilterOptions {
  auditArch: number;
  /**
   * Calls of these syscalls whose first argument equals `value` are never perturbed. The launcher
   * execs the application with a path at a fixed address so that stubbing execve does not stop
   * the launcher itself from starting the program.
   */
  exemptions?: readonly { nr: number; argIndex: number; value: bigint }[];
}

export interface BpfInstruction {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

const BPF_LD_W_ABS = 0x20;
const BPF_JEQ_K = 0x15;
const BPF_JGE_K = 0x35;
const BPF_JSET_K = 0x45;
const BPF_RET_K = 0x06;
const BPF_AND_K = 0x54;

export const SECCOMP_RET_ALLOW = 0x7fff0000;
const SECCOMP_RET_ERRNO = 0x00050000;
export const ENOSYS = 38;
const OFFSET_NR = 0;
const OFFSET_ARCH = 4;
const MAX_INSTRUCTIONS = 4096; // BPF_MAXINSNS

export function returnValueOf(action: Treatment): number {
  return (SECCOMP_RET_ERRNO | (action === 'stub' ? ENOSYS : 0)) >>> 0;
}

const load = (offset: number): BpfInstruction => ({ code: BPF_LD_W_ABS, jt: 0, jf: 0, k: offset });
const ret = (k: number): BpfInstruction => ({ code: BPF_RET_K, jt: 0, jf: 0, k: k >>> 0 });
const jump = (code: number, k: number, jt: number, jf: number): BpfInstruction => {
  if (jt > 255 || jf > 255) throw new Error(`seccomp filter block too large for a BPF jump (${Math.max(jt, jf)} > 255)`);
  return { code, jt, jf, k: k >>> 0 };
};

const argLowOffset = (argIndex: number): number => 16 + 8 * argIndex;
const low32 = (v: bigint): number => Number(BigInt.asUintN(64, v) & 0xffffffffn);
const high32 = (v: bigint): number => Number(BigInt.asUintN(64, v) >> 32n);

/**
 * Instructions that return `k` when the selector matches and otherwise fall through to what follows.
 * Every jump is relative to the end of this sequence, so sequences can be concatenated.
 */
function selectThenReturn(select: ArgSelector, k: number): BpfInstruction[] {
  switch (select.kind) {
    case 'all':
      return [ret(k)];
    case 'equals': {
      const lo = argLowOffset(select.argIndex);
      const mask = BigInt.asUintN(64, select.mask ?? (1n << 64n) - 1n);
      const value = select.value & mask;
      const word = (offset: number, maskWord: number, valueWord: number, skip: number): BpfInstruction[] => [
        load(offset),
        ...(maskWord === 0xffffffff ? [] : [{ code: BPF_AND_K, jt: 0, jf: 0, k: maskWord >>> 0 }]),
        jump(BPF_JEQ_K, valueWord, 0, skip),
      ];
      // Built from the end: each word test skips everything after it on a mismatch.
      let tail: BpfInstruction[] = [ret(k)];
      if (high32(mask) !== 0) tail = [...word(lo + 4, high32(mask), high32(value), tail.length), ...tail];
      return [...word(lo, low32(mask), low32(value), tail.length), ...tail];
    }
    case 'bitSet': {
      if (select.bit === 0n || (select.bit & (select.bit - 1n)) !== 0n) throw new Error('bitSet selector needs exactly one bit');
      const inHighWord = select.bit > 0xffffffffn;
      const offset = argLowOffset(select.argIndex) + (inHighWord ? 4 : 0);
      const mask = inHighWord ? high32(select.bit) : low32(select.bit);
      return [load(offset), jump(BPF_JSET_K, mask, 0, 1), ret(k)];
    }
  }
}

/** The block for one syscall number: exemptions first (allow), then its rules; falls through if none match. */
function syscallBlock(rules: readonly PerturbRule[], exemptions: FilterOptions['exemptions']): BpfInstruction[] {
  const body: BpfInstruction[] = [];
  for (const ex of exemptions ?? []) {
    body.push(...selectThenReturn({ kind: 'equals', argIndex: ex.argIndex, value: ex.value }, SECCOMP_RET_ALLOW));
  }
  for (const rule of rules) body.push(...selectThenReturn(rule.select, returnValueOf(rule.action)));
  // Unless the block ends in a whole-call rule, calls can fall through it with an argument word in
  // the accumulator: restore the number for the next block's test.
  if (rules[rules.length - 1]?.select.kind !== 'all') body.push(load(OFFSET_NR));
  return body;
}

export function buildSeccompFilter(rules: readonly PerturbRule[], options: FilterOptions): BpfInstruction[] {
  const byNr = new Map<number, PerturbRule[]>();
  for (const rule of rules) {
    const list = byNr.get(rule.nr) ?? [];
    list.push(rule);
    byNr.set(rule.nr, list);
  }
  const program: BpfInstruction[] = [
    load(OFFSET_ARCH),
    jump(BPF_JEQ_K, options.auditArch, 1, 0),
    ret(SECCOMP_RET_ALLOW),
    load(OFFSET_NR),
    jump(BPF_JGE_K, X32_SYSCALL_BIT, 0, 1),
    ret(returnValueOf('stub')),
  ];
  for (const nr of [...byNr.keys()].sort((a, b) => a - b)) {
    // A whole-call rule makes argument rules of the same syscall irrelevant.
    const own = byNr.get(nr)!;
    const whole = own.find((r) => r.select.kind === 'all');
    const exemptions = options.exemptions?.filter((e) => e.nr === nr);
    const block = syscallBlock(whole ? [whole] : own, exemptions);
    program.push(jump(BPF_JEQ_K, nr, 0, block.length), ...block);
  }
  program.push(ret(SECCOMP_RET_ALLOW));
  if (program.length > MAX_INSTRUCTIONS) throw new Error(`seccomp filter has ${program.length} instructions (limit ${MAX_INSTRUCTIONS})`);
  return program;
}

/** The program as the kernel (and `bwrap --seccomp`) reads it: 8-byte little-endian `struct sock_filter` entries. */
export function encodeFilter(program: readonly BpfInstruction[]): Buffer {
  const buf = Buffer.alloc(program.length * 8);
  program.forEach((ins, i) => {
    buf.writeUInt16LE(ins.code, i * 8);
    buf.writeUInt8(ins.jt, i * 8 + 2);
    buf.writeUInt8(ins.jf, i * 8 + 3);
    buf.writeUInt32LE(ins.k >>> 0, i * 8 + 4);
  });
  return buf;
}

/**
 * A small interpreter of the programs this module emits, so the pure logic can be tested
 * without a kernel. Returns the seccomp action value for the given call.
 */
export function evaluateFilter(program: readonly BpfInstruction[], call: { arch: number; nr: number; args?: readonly bigint[] }): number {
  const word = (offset: number): number => {
    if (offset === OFFSET_NR) return call.nr >>> 0;
    if (offset === OFFSET_ARCH) return call.arch >>> 0;
    const argIndex = Math.floor((offset - 16) / 8);
    const value = BigInt.asUintN(64, call.args?.[argIndex] ?? 0n);
    return (offset - 16) % 8 === 0 ? low32(value) : high32(value);
  };
  let acc = 0;
  for (let pc = 0; pc < program.length; pc++) {
    const ins = program[pc]!;
    switch (ins.code) {
      case BPF_LD_W_ABS: acc = word(ins.k); break;
      case BPF_JEQ_K: pc += acc === ins.k ? ins.jt : ins.jf; break;
      case BPF_JGE_K: pc += acc >= ins.k ? ins.jt : ins.jf; break;
      case BPF_JSET_K: pc += (acc & ins.k) !== 0 ? ins.jt : ins.jf; break;
      case BPF_AND_K: acc = (acc & ins.k) >>> 0; break;
      case BPF_RET_K: return ins.k;
      default: throw new Error(`unknown BPF opcode 0x${ins.code.toString(16)}`);
    }
  }
  throw new Error('BPF program fell off its end');
}
