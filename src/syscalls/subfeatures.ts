/**
 * Sub-feature arguments: for syscalls whose behaviour is selected by one argument, which
 * argument that is and how to compare it. Discovery (src/trace/discovery.ts) reads this table
 * to collect the values an application passes, and the seccomp filter builder reads the same
 * table to match those values, so both sides agree on positions, widths and masks.
 *
 * Deliberately absent:
 * - clone3 and openat2: their flags live in a struct in user memory, which seccomp cannot read.
 * - futex operations keep FUTEX_PRIVATE_FLAG and FUTEX_CLOCK_REALTIME in the value: the exact
 *   value is what the application passes, and a plain equality matches it.
 */

import type { FlagSet } from './flag-bits-table.js';

export type ArgumentKind = 'value' | 'flags';

export interface SubfeatureArgument {
  /** Syscall name as in src/syscalls/table.ts. */
  syscall: string;
  /** Position in the kernel ABI (what seccomp sees as args[argIndex]). */
  argIndex: number;
  /** 'value': one selector among many (compare for equality); 'flags': a set of independent bits. */
  kind: ArgumentKind;
  /**
   * Bits the kernel reads. 32 for C `int` / `unsigned int` parameters: the kernel ignores the
   * upper half of the register, and callers leave it sign-extended or zero-extended at will,
   * so values are recorded (and must be matched) on the low 32 bits only.
   */
  width: 32 | 64;
  /**
   * Only these bits select the sub-feature (default: all `width` bits). Used where one
   * argument packs several things: socket's type (a value in the low 4 bits, plus flags) and
   * clone's exit signal (low byte, not a flag). For 'value', match `(arg & mask) == value`.
   */
  mask?: bigint;
  /**
   * strace prints this argument as `straceName=...` at a position other than argIndex
   * (clone on x86-64: strace shows `child_stack=..., flags=...` while the ABI has flags first).
   */
  straceName?: string;
  /** What the argument selects, for reports. */
  meaning: string;
  /** 'flags': the set of the kernel's names for its bits (src/syscalls/flag-bits-table.ts, generated from the headers). */
  bitNames?: FlagSet;
}

const SOCKET_TYPE_MASK = 0xfn;
const SOCKET_TYPE_FLAGS_MASK = 0x80800n; // SOCK_CLOEXEC | SOCK_NONBLOCK
const CLONE_FLAGS_MASK = 0xffffff00n; // the low byte (CSIGNAL) is the exit signal

export const SUBFEATURE_ARGUMENTS: readonly SubfeatureArgument[] = [
  { syscall: 'ioctl', argIndex: 1, kind: 'value', width: 32, meaning: 'request' },
  { syscall: 'fcntl', argIndex: 1, kind: 'value', width: 32, meaning: 'command' },
  { syscall: 'prctl', argIndex: 0, kind: 'value', width: 32, meaning: 'option' },
  { syscall: 'arch_prctl', argIndex: 0, kind: 'value', width: 32, meaning: 'code' },
  { syscall: 'mmap', argIndex: 2, kind: 'flags', width: 64, meaning: 'protection', bitNames: 'prot' },
  { syscall: 'mmap', argIndex: 3, kind: 'flags', width: 64, meaning: 'flags', bitNames: 'mmap' },
  { syscall: 'mprotect', argIndex: 2, kind: 'flags', width: 64, meaning: 'protection', bitNames: 'prot' },
  { syscall: 'pkey_mprotect', argIndex: 2, kind: 'flags', width: 64, meaning: 'protection', bitNames: 'prot' },
  { syscall: 'mremap', argIndex: 3, kind: 'flags', width: 64, meaning: 'flags', bitNames: 'mremap' },
  { syscall: 'madvise', argIndex: 2, kind: 'value', width: 32, meaning: 'advice' },
  { syscall: 'socket', argIndex: 0, kind: 'value', width: 32, meaning: 'domain' },
  { syscall: 'socket', argIndex: 1, kind: 'value', width: 32, mask: SOCKET_TYPE_MASK, meaning: 'type' },
  { syscall: 'socket', argIndex: 1, kind: 'flags', width: 32, mask: SOCKET_TYPE_FLAGS_MASK, meaning: 'type flags', bitNames: 'socket' },
  { syscall: 'socketpair', argIndex: 0, kind: 'value', width: 32, meaning: 'domain' },
  { syscall: 'socketpair', argIndex: 1, kind: 'value', width: 32, mask: SOCKET_TYPE_MASK, meaning: 'type' },
  { syscall: 'socketpair', argIndex: 1, kind: 'flags', width: 32, mask: SOCKET_TYPE_FLAGS_MASK, meaning: 'type flags', bitNames: 'socket' },
  { syscall: 'setsockopt', argIndex: 1, kind: 'value', width: 32, meaning: 'level' },
  { syscall: 'setsockopt', argIndex: 2, kind: 'value', width: 32, meaning: 'option name' },
  { syscall: 'getsockopt', argIndex: 1, kind: 'value', width: 32, meaning: 'level' },
  { syscall: 'getsockopt', argIndex: 2, kind: 'value', width: 32, meaning: 'option name' },
  { syscall: 'accept4', argIndex: 3, kind: 'flags', width: 32, meaning: 'flags', bitNames: 'socket' },
  // Legacy clone reads only the low 32 bits of its flags (lower_32_bits in kernel/fork.c).
  { syscall: 'clone', argIndex: 0, kind: 'flags', width: 32, mask: CLONE_FLAGS_MASK, straceName: 'flags', meaning: 'flags', bitNames: 'clone' },
  { syscall: 'futex', argIndex: 1, kind: 'value', width: 32, meaning: 'operation' },
  { syscall: 'clock_gettime', argIndex: 0, kind: 'value', width: 32, meaning: 'clock' },
  { syscall: 'clock_getres', argIndex: 0, kind: 'value', width: 32, meaning: 'clock' },
  { syscall: 'clock_nanosleep', argIndex: 0, kind: 'value', width: 32, meaning: 'clock' },
  { syscall: 'timer_create', argIndex: 0, kind: 'value', width: 32, meaning: 'clock' },
  { syscall: 'timerfd_create', argIndex: 0, kind: 'value', width: 32, meaning: 'clock' },
  { syscall: 'getrlimit', argIndex: 0, kind: 'value', width: 32, meaning: 'resource' },
  { syscall: 'setrlimit', argIndex: 0, kind: 'value', width: 32, meaning: 'resource' },
  { syscall: 'prlimit64', argIndex: 1, kind: 'value', width: 32, meaning: 'resource' },
  { syscall: 'open', argIndex: 1, kind: 'flags', width: 32, meaning: 'flags', bitNames: 'open' },
  { syscall: 'openat', argIndex: 2, kind: 'flags', width: 32, meaning: 'flags', bitNames: 'open' },
  { syscall: 'fadvise64', argIndex: 3, kind: 'value', width: 32, meaning: 'advice' },
  { syscall: 'rt_sigaction', argIndex: 0, kind: 'value', width: 32, meaning: 'signal' },
  { syscall: 'getrandom', argIndex: 2, kind: 'flags', width: 32, meaning: 'flags', bitNames: 'getrandom' },
  { syscall: 'pipe2', argIndex: 1, kind: 'flags', width: 32, meaning: 'flags', bitNames: 'open' },
  { syscall: 'membarrier', argIndex: 0, kind: 'value', width: 32, meaning: 'command' },
  { syscall: 'epoll_ctl', argIndex: 1, kind: 'value', width: 32, meaning: 'operation' },
];

const BY_SYSCALL = new Map<string, SubfeatureArgument[]>();
for (const entry of SUBFEATURE_ARGUMENTS) {
  const entries = BY_SYSCALL.get(entry.syscall) ?? [];
  entries.push(entry);
  BY_SYSCALL.set(entry.syscall, entries);
}

/** Sub-feature arguments of one syscall, in table order (looked up once per traced call). */
export function subfeatureArgumentsOf(syscall: string): readonly SubfeatureArgument[] {
  return BY_SYSCALL.get(syscall) ?? [];
}

/** The bits of an argument that select its sub-feature: the mask, or all bits of its width. */
export function effectiveMask(entry: SubfeatureArgument): bigint {
  return entry.mask ?? (1n << BigInt(entry.width)) - 1n;
}
