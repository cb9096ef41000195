import { I386_SYSCALLS } from './i386-table.js';
import { X86_64_SYSCALLS } from './x86_64-table.js';

/** One architecture's system call table: the single source of syscall names and numbers. */
export interface SyscallTable {
  readonly arch: string;
  /** AUDIT_ARCH_* value that seccomp reports for this architecture. */
  readonly auditArch: number;
  /** Highest syscall number in the table; dyn.csv has one row per number 0..maxNumber. */
  readonly maxNumber: number;
  name(nr: number): string | undefined;
  number(name: string): number | undefined;
  /** All (number, name) pairs, sorted by number. */
  entries(): readonly (readonly [number, string])[];
}

function buildTable(arch: string, auditArch: number, pairs: readonly (readonly [number, string])[]): SyscallTable {
  const byNumber = new Map<number, string>();
  const byName = new Map<string, number>();
  for (const [nr, name] of pairs) {
    byNumber.set(nr, name);
    byName.set(name, nr);
  }
  const sorted = [...pairs].sort((a, b) => a[0] - b[0]);
  const maxNumber = sorted[sorted.length - 1]![0];
  return {
    arch,
    auditArch,
    maxNumber,
    name: (nr) => byNumber.get(nr),
    number: (name) => byName.get(name.trim()),
    entries: () => sorted,
  };
}

export const X86_64: SyscallTable = buildTable('x86_64', 0xc000003e, X86_64_SYSCALLS);

/**
 * The i386 table: the calls a 64-bit x86 program can still make with `int $0x80`. seccomp reports
 * them with AUDIT_ARCH_I386 (0x40000003) and the filter lets them through unperturbed, so they are
 * reported as "not analysed", by these names (strace names them the same way).
 */
export const I386: SyscallTable = buildTable('i386', 0x40000003, I386_SYSCALLS);

const TABLES: Record<string, SyscallTable> = { x86_64: X86_64 };

/** The table for `arch` (as reported by `uname -m` / `process.arch`), or undefined if unsupported. */
export function tableFor(arch: string): SyscallTable | undefined {
  const normalised = arch === 'x64' ? 'x86_64' : arch;
  return TABLES[normalised];
}

/** Bit 30 of a syscall number marks the x32 ABI; native numbers lie below it. */
export const X32_SYSCALL_BIT = 0x40000000;

/** Display name of a syscall number, falling back to the number itself for gaps. */
export function displayName(table: SyscallTable, nr: number): string {
  return table.name(nr) ?? `syscall_${nr}`;
}
