import { join } from 'node:path';
import { PACKAGE_ROOT } from '../core/version.js';
import { perfOptionArgs, type PerfOptions } from '../explore/perf/options.js';

/**
 * How generate calls `loupe explore` (its command-line contract), natively or inside a container.
 * The analysis options themselves are declared in src/explore/options.ts.
 */

/** Where one replica writes: its output folder, its resume journal, and its share of the cores. */
export interface ReplicaPlacement {
  outDir: string;
  journal: string;
  jobs: number;
  /** Whether this replica runs the static analysis (it does not depend on the run: one is enough). */
  staticAnalysis: boolean;
  /** Set when this replica runs the perf analysis (generate --perf-analysis: the first, alone on the machine). */
  perf?: PerfOptions;
}

/** `--events`: explore's stderr then carries its progress events, which generate's progress follows. */
export function placementArgs(p: ReplicaPlacement): string[] {
  return ['--jobs', String(p.jobs), '--journal', p.journal, '--out', p.outDir, '--events', ...(p.staticAnalysis ? [] : ['--disable-static']), ...perfOptionArgs(p.perf ?? {})];
}

/**
 * The command that runs `loupe explore` on this machine. LOUPE_EXPLORE_COMMAND (an executable
 * taking explore's arguments) replaces it; the test suite uses it to test generate on its own.
 */
export function nativeExploreCommand(env: NodeJS.ProcessEnv = process.env): string[] {
  const override = env.LOUPE_EXPLORE_COMMAND;
  if (override !== undefined && override !== '') return [override];
  return nativeLoupeCommand('explore');
}

/** The command that runs `loupe SUBCOMMAND` on this machine, with the Node running this one. */
export function nativeLoupeCommand(subcommand: string): string[] {
  return [process.execPath, join(PACKAGE_ROOT, 'dist/src/cli/main.js'), subcommand];
}

