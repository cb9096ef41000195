import { I386_SYSCALLS } from './i386-table.js';
import { X86_64_SYSCALLS } from './x86_64-table.js';
import type { SyscallRow } from './row.js';

export type { SyscallRow };

/** AUDIT_ARCH_X86_64 (<linux/audit.h>: EM_X86_64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE), what seccomp_data.arch holds for 64-bit calls. */
export const AUDIT_ARCH_X86_64 = 0xc000003e;
/** AUDIT_ARCH_I386 (<linux/audit.h>: EM_386 | __AUDIT_ARCH_LE), what seccomp_data.arch holds for `int $0x80` calls. */
export const AUDIT_ARCH_I386 = 0x40000003;
/** __X32_SYSCALL_BIT (<asm/unistd.h>): x32 ABI calls are numbered from here, on the same AUDIT_ARCH_X86_64. */
export const X32_SYSCALL_BIT = 0x40000000;

/**
 * One architecture's system call table: the single source of syscall names, numbers and
 * properties (which arguments are paths, which calls create processes or execute programs,
 * which arguments select a sub-feature).
 */
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
  /** The row of a syscall, by name; undefined for a name the table does not have. */
  row(name: string): SyscallRow | undefined;
}

function buildTable(arch: string, auditArch: number, rows: readonly SyscallRow[]): SyscallTable {
  const byNumber = new Map<number, string>();
  const byName = new Map<string, SyscallRow>();
  for (const row of rows) {
    byNumber.set(row.nr, row.name);
    byName.set(row.name, row);
  }
  const sorted = rows.map((r) => [r.nr, r.name] as const).sort((a, b) => a[0] - b[0]);
  const maxNumber = sorted[sorted.length - 1]![0];
  return {
    arch,
    auditArch,
    maxNumber,
    name: (nr) => byNumber.get(nr),
    number: (name) => byName.get(name.trim())?.nr,
    entries: () => sorted,
    row: (name) => byName.get(name),
  };
}

export const X86_64: SyscallTable = buildTable('x86_64', AUDIT_ARCH_X86_64, X86_64_SYSCALLS);

/**
 * The i386 table: the calls a 64-bit x86 program can still make with `int $0x80`. seccomp reports
 * them with AUDIT_ARCH_I386 and the filter lets them through unperturbed, so they are
 * reported as "not analysed", by these names (strace names them the same way).
 */
export const I386: SyscallTable = buildTable('i386', AUDIT_ARCH_I386, I386_SYSCALLS);

const TABLES: Record<string, SyscallTable> = { x86_64: X86_64 };

/** The table for `arch` (as reported by `uname -m` / `process.arch`), or undefined if unsupported. */
export function tableFor(arch: string): SyscallTable | undefined {
  const normalised = arch === 'x64' ? 'x86_64' : arch;
  return TABLES[normalised];
}

/** Display name of a syscall number, falling back to the number itself for gaps. */
export function displayName(table: SyscallTable, nr: number): string {
  return table.name(nr) ?? `syscall_${nr}`;
}
