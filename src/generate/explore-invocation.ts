import { join } from 'node:path';
import { PACKAGE_ROOT } from '../version.js';

/**
 * How generate calls `loupe explore` (its command-line contract), natively or inside a container.
 * Only the options that change the analysis are kept here: they go into the run's record.
 */
export interface ExploreOptions {
  testScript?: string | undefined;
  timeoutSec?: number;
  sequential: boolean;
  onlyConsider?: string;
  partialSupport: boolean;
  finalCheck: boolean;
  disableStatic: boolean;
}

/** The explore options as command-line arguments, in a fixed order (the record depends on it). */
export function exploreOptionArgs(o: ExploreOptions): string[] {
  return [
    ...(o.testScript === undefined ? [] : ['-t', o.testScript]),
    ...(o.timeoutSec === undefined ? [] : ['--timeout', String(o.timeoutSec)]),
    ...(o.sequential ? ['--test-sequential'] : []),
    ...(o.onlyConsider === undefined ? [] : ['--only-consider', o.onlyConsider]),
    ...(o.partialSupport ? ['--partial-support'] : []),
    ...(o.finalCheck ? ['--final-check'] : []),
    ...(o.disableStatic ? ['--disable-static'] : []),
  ];
}

/** Where one replica writes: its output folder, its resume journal, and its share of the cores. */
export interface ReplicaPlacement {
  outDir: string;
  journal: string;
  jobs: number;
  /** Whether this replica runs the static analysis (it does not depend on the run: one is enough). */
  staticAnalysis: boolean;
  /** Set when this replica runs the perf analysis (generate --perf-analysis: the first, alone on the machine). */
  perf?: PerfRunCounts;
}

/** Runs per condition of a perf analysis (explore's --perf-runs and --perf-warmup). */
export interface PerfRunCounts {
  runs: number;
  warmup: number;
}

/** `-v`: explore's stderr then tells its phases and experiments, which generate's progress follows. */
export function placementArgs(p: ReplicaPlacement): string[] {
  return ['--jobs', String(p.jobs), '--journal', p.journal, '--out', p.outDir, '-v', ...(p.staticAnalysis ? [] : ['--disable-static']), ...(p.perf ? ['--perf-analysis', '--perf-runs', String(p.perf.runs), '--perf-warmup', String(p.perf.warmup)] : [])];
}

/**
 * The command that runs `loupe explore` on this machine. LOUPE_EXPLORE_COMMAND (an executable
 * taking explore's arguments) replaces it; the test suite uses it to test generate on its own.
 */
export function nativeExploreCommand(env: NodeJS.ProcessEnv = process.env): string[] {
  const override = env.LOUPE_EXPLORE_COMMAND;
  if (override !== undefined && override !== '') return [override];
  return [process.execPath, join(PACKAGE_ROOT, 'dist/src/cli/main.js'), 'explore'];
}

