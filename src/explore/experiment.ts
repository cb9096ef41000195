import type { Treatment } from '../core/verdict.js';
import type { Verdict } from './report.js';
import type { FilesystemIsolation } from '../sandbox/isolation.js';

/**
 * An experiment is a self-contained, JSON-serialisable value: what to run, what to perturb and
 * how to judge. Its result is another. The local scheduler runs them on this machine's cores;
 * the same values can be shipped unchanged to other machines (a batch job per experiment).
 */

export interface Workload {
  program: string;
  args: string[];
  cwd: string;
  /** Absent: the program's own exit status is the verdict (the workload is then sequential). */
  testScript?: string;
  /** Run to completion (test suites): the program must exit 0 in time, then the script judges its log. */
  sequential: boolean;
  timeoutMs: number;
  /** Perturb (and attribute usage to) only processes executing this binary. */
  onlyConsider?: string;
  /** What runs may write to the machine's files; absent: nothing (each run has a copy-on-write view). */
  filesystem?: FilesystemIsolation;
}

/** A perturbation rule in serialisable form: 64-bit values as decimal strings. */
export interface RuleSpec {
  nr: number;
  action: Treatment;
  argIndex?: number;
  /** Value of argument argIndex, compared under `mask` (all 64 bits when absent). */
  equals?: string;
  mask?: string;
  /** One flag bit that must be set in argument argIndex. */
  bitSet?: string;
}

export interface Perturbation {
  rules: RuleSpec[];
  /** Paths replaced by an empty file. */
  emptyFiles?: string[];
  /** Paths made absent (open and stat fail with ENOENT). */
  absentFiles?: string[];
}

export interface JudgeSettings {
  /** Runs of a failing experiment before "broken" is recorded. */
  attempts: number;
  /** Times the test script may answer 200 (inconclusive) within one run. */
  inconclusiveRetries: number;
  /** Listening sockets the unperturbed application has once ready (0: start the test at once). */
  readyListeners: number;
  /** Longest wait for those sockets before the test starts anyway. */
  readyWaitMs: number;
  /**
   * A run still going after this long is judged hung (broken) before the workload's time-out:
   * a multiple of the unperturbed run's duration, so a perturbation that makes the program
   * loop forever costs seconds, not the whole time-out. Absent: only the time-out applies.
   */
  hangLimitMs?: number;
  /**
   * Runs to completion: a run whose processes have used more CPU time than this is judged hung
   * (spinning) at once. CPU time does not grow with load as wall time does, so this limit can be
   * far below the wall-time one. Absent: no CPU limit.
   */
  cpuLimitMs?: number;
  /**
   * Servers: a run whose test script still answers 200 (not ready) this long after the
   * application started is judged never ready (broken), before the hang limit: a multiple of the
   * time the unperturbed server took to be ready (see readyLimitFor). Absent: the hang limit.
   */
  readyLimitMs?: number;
}

export interface Experiment {
  id: string;
  description: string;
  workload: Workload;
  perturbation: Perturbation;
  judge: JudgeSettings;
}

export interface ExperimentResult {
  id: string;
  verdict: Verdict;
  attempts: number;
  durationMs: number;
  /** Time the application (and test) ran; the rest of durationMs is the engine's own overhead. */
  workloadMs: number;
  reason?: string;
  /** Not run: the verdict comes from this group experiment, which worked (group testing). */
  inferredFrom?: string;
  /** Why each attempt after the first was made (one entry per retry). */
  retries?: string[];
  /** Why a failure was accepted as the verdict without a further attempt. */
  stoppedBecause?: string;
  /**
   * Syscall numbers the application executed in the last attempt, sorted, when runs are recorded
   * (fallbacks, explore/fallbacks.ts). Kept in the journal, so that a resumed analysis still has
   * the fallbacks of the experiments it restores.
   */
  executed?: number[];
}
