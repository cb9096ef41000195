/**
 * One row of a syscall table: a number, its name and the properties the engine needs, in the
 * spirit of strace's syscallent rows. Tables are generated (scripts/generate-syscall-table.mjs).
 */
export interface SyscallRow {
  readonly nr: number;
  readonly name: string;
  /** Positions of arguments that are paths looked up by name (0-based, kernel ABI order). */
  readonly pathArguments?: readonly number[];
  /** The call creates a process or thread (clone, clone3, fork, vfork). */
  readonly createsProcess?: true;
  /** The call executes a program (execve, execveat); its path is pathArguments[0]. */
  readonly executesProgram?: true;
  /** Positions of the arguments that select a sub-feature (see src/syscalls/subfeatures.ts). */
  readonly subfeatureArguments?: readonly number[];
}
