import type { Treatment } from './verdict.js';

/**
 * The perf analysis's model (explore --perf-analysis): metrics, the comparison of one figure
 * with the baseline, conditions, the report and its table rows. Plain JSON-serialisable
 * values shared by explore (which measures), analysis (which compares and formats) and db
 * (perf.csv, the SQLite export). How figures are compared: src/analysis/perf.ts.
 */

export const PERF_METRICS = ['performance', 'fds', 'memory', 'cpu'] as const;
export type PerfMetric = (typeof PERF_METRICS)[number];

/** One measured run: the script's number; peak open descriptors; peak memory (bytes); CPU time (ms). */
export type PerfSample = Record<PerfMetric, number>;

export const DEFAULT_THRESHOLDS: Record<PerfMetric, number> = { performance: 0.03, fds: 0.01, memory: 0.01, cpu: 0.01 };

export interface MetricComparison {
  /** mean(condition) / mean(baseline); null when the baseline's mean is 0 or a sample is missing. */
  relative: number | null;
  /** Fieller's 95% interval of `relative`; null when unbounded or not computable (fewer than 2 runs). */
  ciLow: number | null;
  ciHigh: number | null;
  flagged: boolean;
  /** Welch's two-sided p-value; null with fewer than 2 runs on a side. */
  p: number | null;
  /** Median of the condition's runs, in the metric's unit. */
  median: number;
  baselineMedian: number;
}

/** Kinds of benchmark failure, each with its own message (see explore/perf/benchmark-output.ts). */
export type BenchmarkFailureKind = 'no-number' | 'several-numbers' | 'not-a-number' | 'script-failed' | 'run-failed';

export interface BenchmarkFailure {
  kind: BenchmarkFailureKind;
  message: string;
}

export interface PerfCondition {
  nr: number;
  /** Syscall name, or the sub-feature's description such as `ioctl(arg1 =TCGETS)`. */
  name: string;
  treatment: Treatment;
  /** Present for sub-features: the experiment's id. */
  subfeature?: string;
  /** Absent when the benchmark failed (then `failure` says why). */
  performance?: MetricComparison;
  fds?: MetricComparison;
  memory?: MetricComparison;
  cpu?: MetricComparison;
  failure?: BenchmarkFailure;
  samples: PerfSample[];
}

export type BaselineBlockName = 'start' | 'middle' | 'end';

export interface BaselineBlock {
  at: BaselineBlockName;
  samples: PerfSample[];
  failure?: BenchmarkFailure;
}

export interface Drift {
  metric: PerfMetric;
  /** The later block compared with the start block. */
  at: Exclude<BaselineBlockName, 'start'>;
  relative: number;
  /** |relative - 1| is larger than the metric's threshold. */
  beyondMargin: boolean;
}

export interface PerfReport {
  settings: {
    runs: number;
    warmup: number;
    cpus?: string;
    thresholds: Record<PerfMetric, number>;
    test: 'welch-t';
    interval: 'fieller';
    confidence: number;
    significance: number;
  };
  /** Where memory and CPU figures come from: the run's cgroup, or sampling /proc (with the reason). */
  sources: { memory: string; cpu: string; fds: string; note?: string };
  baseline: {
    /** Medians over every measured baseline run, per metric (units as in PerfSample); each condition's own baselineMedian is that of the blocks it was compared with. */
    medians: Record<PerfMetric, number>;
    blocks: BaselineBlock[];
    drift: Drift[];
  };
  conditions: PerfCondition[];
  /** Set when no comparison was possible (the baseline's benchmark failed); conditions are then empty. */
  error?: string;
  timing: { wallMs: number; runs: number; benchmarkMs: number };
}

/** One line of the perf table: the baseline or a condition, as in perf.csv. */
export interface PerfRow {
  /** null for the baseline. */
  nr: number | null;
  name: string;
  treatment: Treatment | 'baseline';
  /** `measured`, or `failed:KIND`. */
  status: string;
  metrics: Partial<Record<PerfMetric, MetricComparison>>;
}
