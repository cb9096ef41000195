import type { SubfeatureVerdict, SyscallVerdict, Verdict } from '../core/verdict.js';
import type { PerfReport } from '../core/perf-report.js';
import type { GroupTestingSummary } from './group-testing.js';
import type { RunCosts } from './run-experiment.js';
import type { DiscoveryDiagnostics } from './discover.js';
import type { NegativeControl } from './negative-control.js';
import type { Fallbacks } from '../core/fallbacks.js';
import type { GroupFallbacks } from './fallbacks.js';

export type { SubfeatureVerdict, SyscallVerdict, Verdict };

/**
 * The result of one `loupe explore`: plain JSON-serialisable data that feeds the human
 * output, `--json`, the CSV files, and `loupe generate`.
 */

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
  /** Not run (attempts 0): the verdict comes from this group experiment, which worked (`--group-testing`). */
  inferredFrom?: string;
  /** Why each attempt after the first was made. */
  retries?: string[];
  /** Why the failure was accepted without a further attempt (deterministic, load cannot explain a hang, attempts used up). */
  stoppedBecause?: string;
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
  /** What discovery could not see or use: unknown names, unparsed lines, calls not analysed, the traced run's verdict. */
  discovery: DiscoveryDiagnostics;
  /** The test script's answer for a do-nothing stand-in (absent without a test script). */
  negativeControl?: NegativeControl;
  syscalls: SyscallVerdict[];
  subfeatures: SubfeatureVerdict[];
  finalCheck?: FinalCheck;
  /** --perf-analysis: impact of each working stub and fake on performance and resources (analysis/perf.ts). */
  perf?: PerfReport;
  /** With `--group-testing`: runs made and saved, interactions found. */
  groupTesting?: GroupTestingSummary;
  /** What working perturbations made the application execute instead (src/explore/fallbacks.ts). */
  fallbacks?: Fallbacks;
  /** Why fallbacks were not measured (no cgroup v2, no BPF), when they were asked for. */
  fallbacksUnavailable?: string;
  /** Syscalls left out of every fallback: the runs of one experiment disagreed on them (explore/fallbacks.ts varyingSyscalls). */
  fallbacksVarying?: number[];
  /**
   * With --group-testing: what each working group run changed, for its members together (their
   * verdicts were inferred from it, so none has a `fallbacks` entry of its own).
   */
  fallbackGroups?: GroupFallbacks[];
  /** Static upper bound of the analysed binary with its libraries (absent with --disable-static). */
  static?: { syscalls: number[]; unresolvedSites: number } | { error: string };
  experiments: ExperimentRecord[];
  /**
   * Wall times of the phases, ms; `runs` sums where the time of every attempt went (sandbox
   * start-up, workload, test script, teardown, filter building). `jobs` is the limit of runs
   * side by side at the start, `jobsLargest` the largest it rose to (adaptive-jobs.ts).
   */
  timing: { wallMs: number; discoveryMs: number; baselineMs?: number; experimentsMs: number; jobs: number; jobsLargest?: number; runs?: RunCosts };
}
