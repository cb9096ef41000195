import { optionArgs, type OptionSpec } from '../options.js';
import { DEFAULT_THRESHOLDS } from '../../core/perf-report.js';

/**
 * The options of the perf analysis, declared once for `explore` and `generate`. They are not
 * analysis options (src/explore/options.ts): they change no verdict, so generate gives them
 * to its first replica only and keeps them out of a native run's record.
 */

export const DEFAULT_PERF_RUNS = 5;
export const DEFAULT_PERF_WARMUP = 1;

export interface PerfOptions {
  perfAnalysis: boolean;
  perfRuns: number;
  perfWarmup: number;
  /** Percent. */
  perfThreshold: number;
  /** Percent. */
  resourceThreshold: number;
  cpus?: string;
}

export const PERF_OPTIONS: readonly OptionSpec<keyof PerfOptions>[] = [
  { key: 'perfAnalysis', flags: '--perf-analysis', kind: 'flag', default: false,
    description: 'then measure the performance and resource impact of every working stub and fake (SCRIPT LOGFILE benchmark prints one number)' },
  { key: 'perfRuns', requires: 'perfAnalysis', flags: '--perf-runs <n>', kind: 'positiveInteger', default: DEFAULT_PERF_RUNS,
    description: 'perf analysis: measured runs per condition' },
  { key: 'perfWarmup', requires: 'perfAnalysis', flags: '--perf-warmup <n>', kind: 'nonNegativeInteger', default: DEFAULT_PERF_WARMUP,
    description: 'perf analysis: warm-up runs per condition, not counted' },
  { key: 'perfThreshold', requires: 'perfAnalysis', flags: '--perf-threshold <percent>', kind: 'positiveNumber', default: DEFAULT_THRESHOLDS.performance * 100,
    description: 'perf analysis: smallest performance change flagged (the original\'s margin)' },
  { key: 'resourceThreshold', requires: 'perfAnalysis', flags: '--resource-threshold <percent>', kind: 'positiveNumber', default: DEFAULT_THRESHOLDS.fds * 100,
    description: 'perf analysis: smallest change of descriptors, memory or CPU time flagged' },
  { key: 'cpus', requires: 'perfAnalysis', flags: '--cpus <list>', kind: 'text',
    description: 'perf analysis: pin the measured runs (application and script) to these CPUs (taskset -c LIST)' },
];

/** The perf options as explore's arguments (defaults left out); none without --perf-analysis. */
export function perfOptionArgs(o: Partial<PerfOptions>): string[] {
  return o.perfAnalysis ? optionArgs(o, PERF_OPTIONS) : [];
}
