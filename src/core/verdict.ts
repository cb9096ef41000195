/**
 * The verdict model every layer speaks: how one perturbed run was judged, how a syscall or a
 * sub-feature behaves under the two treatments, and the class that follows from both.
 * Source of the classes: the original Loupe's dyn.csv columns (see docs/explore.md).
 */

/** How the test script judged a run. */
export type Verdict = 'works' | 'broken';

/** The two treatments of a syscall: return -ENOSYS without executing it (stub), or 0 (fake). */
export type Treatment = 'stub' | 'fake';
export const TREATMENTS: readonly Treatment[] = ['stub', 'fake'];

/** Every class a used syscall can have, in the order reports list them. */
export const SYSCALL_CLASSES = ['required', 'stubOnly', 'fakeOnly', 'both'] as const;
/** How a used syscall behaves when perturbed: neither treatment works, only one, or both. */
export type SyscallClass = (typeof SYSCALL_CLASSES)[number];

/**
 * The class that follows from the two treatments' outcomes; the one rule used by explore's
 * classification, the CSV formats and the replica merge.
 */
export function classFromVerdicts(stubWorks: boolean, fakeWorks: boolean): SyscallClass {
  if (stubWorks && fakeWorks) return 'both';
  if (stubWorks) return 'stubOnly';
  if (fakeWorks) return 'fakeOnly';
  return 'required';
}

/** One used syscall's verdicts under both treatments, with its class. */
export interface SyscallVerdict {
  nr: number;
  name: string;
  stub: Verdict;
  fake: Verdict;
  class: SyscallClass;
}

/** A sub-feature: one value of a selecting argument, one flag bit, or one pseudo-file. */
export interface SubfeatureVerdict {
  /** Family, e.g. `ioctl`, `fcntl`, `prctl`, `mmap-flags`, `clone-flags`, `pseudofile`. */
  kind: string;
  /** Syscall the feature belongs to (absent for pseudo-files). */
  syscall?: string;
  /** Argument index and value as a decimal string (64-bit exact), or the path for pseudo-files. */
  argIndex?: number;
  value: string;
  /** Symbolic name of the value when known (e.g. TCGETS, O_NONBLOCK, /proc/self/maps). */
  label: string;
  /** For flags: tested as one bit of a flag set rather than as the whole value. */
  bit?: boolean;
  /**
   * Verdict of the two perturbations: for pseudo-files, `stub` = file absent, `fake` = file empty.
   * `untested` where the perturbation cannot be made (a per-process /proc/self file cannot be
   * replaced by a mount before the process exists).
   */
  stub: Verdict | 'untested';
  fake: Verdict | 'untested';
}
