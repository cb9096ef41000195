import type { SyscallClass } from '../db/csv.js';

/**
 * The result of one `loupe explore`: plain JSON-serialisable data that feeds the human
 * output, `--json`, the CSV files, and `loupe generate`.
 */

export type Verdict = 'works' | 'broken';
export type Perturbation = 'stub' | 'fake';

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

export interface ExperimentRecord {
  id: string;
  /** What was perturbed, human-readable (e.g. `stub read`, `fake ioctl(TCGETS)`, `absent /proc/self/maps`). */
  description: string;
  verdict: Verdict;
  attempts: number;
  durationMs: number;
  /** Part of durationMs during which the application or the test script ran; the rest is the engine's overhead. */
  workloadMs: number;
  /** Why a run was judged broken (test exit code, timeout, program exit status). */
  reason?: string;
}

export interface FinalCheck {
  allStubbed: { syscalls: number[]; verdict: Verdict };
  allFaked: { syscalls: number[]; verdict: Verdict };
  /** When a joint run fails: a large subset that works jointly, found by splitting. */
  largestWorkingStubSet?: number[];
  largestWorkingFakeSet?: number[];
}

export interface ExploreReport {
  schema: 'loupe-explore/1';
  tool: { name: 'loupe'; version: string };
  arch: string;
  workload: {
    binary: string;
    args: string[];
    testScript?: string;
    sequential: boolean;
    timeoutSec: number;
    onlyConsider?: string;
    cwd: string;
  };
  /** Syscall numbers used by the analysed binary during discovery, sorted. */
  used: number[];
  /** Discovery's usage per executable (canonical path), over every traced process. */
  usedByExecutable: Record<string, number[]>;
  syscalls: SyscallVerdict[];
  subfeatures: SubfeatureVerdict[];
  finalCheck?: FinalCheck;
  /** Static upper bound of the analysed binary with its libraries (absent with --disable-static). */
  static?: { syscalls: number[]; unresolvedSites: number } | { error: string };
  experiments: ExperimentRecord[];
  timing: { wallMs: number; discoveryMs: number; experimentsMs: number; jobs: number };
}
