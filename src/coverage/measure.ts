/**
 * `loupe coverage`: one run of the workload in explore's sandbox with nothing perturbed, the
 * program's .gcda files redirected into a folder of ours, the tracefile and its totals, and the
 * syscall call sites of the static source analysis joined with the lines the run executed.
 */
import { chmodSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode, LoupeError } from '../core/errors.js';
import { INCONCLUSIVE_RETRIES, KEPT_WRITES_DIR, runAttempt, type AttemptOutcome } from '../explore/attempt.js';
import type { Experiment, Workload } from '../explore/experiment.js';
import { filterFor } from '../explore/run-experiment.js';
import type { ProcessGroups } from '../sandbox/process.js';
import { readKeptLayers } from '../sandbox/sandbox.js';
import { analyseSources } from '../static/index.js';
import type { SyscallTable } from '../syscalls/table.js';
import { joinCallSites, summariseCallSites, type CallSiteSummary, type SyscallSites } from './call-sites.js';
import { countsInLayers, countsUnderPrefix, findNotes, isInstrumented, stageData } from './gcov-data.js';
import { captureTracefile, requireLcov } from './lcov.js';
import { parseTracefile, totalsOf, type Totals } from './tracefile.js';

/** The JSON document of `loupe coverage --json`, stored as coverage.json by `generate --coverage`. */
export interface CoverageReport {
  /** The instrumented program whose coverage this is (--instrumented, else --only-consider's binary, else -b's). */
  binary: string;
  /** The build tree given with --source. */
  source: string;
  /** How the workload's run went: its test's verdict, and how the application ended. */
  workload: { verdict: AttemptOutcome['verdict']; reason?: string; stopped: NonNullable<AttemptOutcome['stopped']> };
  lines: Totals;
  functions: Totals;
  branches: Totals;
  /** Source files in the tracefile (system headers left out). */
  files: number;
  /** Absent with --no-syscalls. */
  callSites?: CallSiteSummary & {
    /** Syscalls the static source analysis finds in all, call sites or not (the C runtime's have none). */
    staticSyscalls: number;
    /** Translation units analysed: those compiled into the program, as the tracefile lists them. */
    translationUnits: number;
  };
  /** Per syscall with call sites: each site and whether the workload executed it. */
  syscalls: SyscallSites[];
  warnings: string[];
}

export interface CoverageOptions {
  /** Resolved as explore resolves it (absolute program, test script, only-consider). */
  workload: Workload;
  /** Absolute path of the build tree with the .gcno files. */
  sourceDir: string;
  /**
   * An instrumented copy of the analysed binary (--only-consider's, else the program), seen at
   * the binary's path during the run; absent: the binary itself is the instrumented build.
   */
  instrumented?: string;
  /** Scratch folder: the .gcda prefix, the staging folder, the run's logs. */
  workDir: string;
  /** Where the tracefile is written. */
  tracefile: string;
  groups: ProcessGroups;
  launcher: string;
  /** The filesystem isolation helper: the run sees a copy-on-write view of the files. */
  isolateHelper: string;
  table: SyscallTable;
  /** How long a server may take to exit after SIGTERM. */
  stopGraceMs: number;
  /** Join the static source analysis (needs clang). */
  syscalls: boolean;
  onPhase?: (phase: string) => void;
}

/** Longest wait for a server's first listening socket before the test script starts anyway. */
const READY_WAIT_MS = 10_000;

/**
 * Measures the workload's coverage. Throws LoupeError: no .gcno under the source, a binary
 * without gcov, lcov missing, a server that does not exit on SIGTERM, a run that wrote no data,
 * .gcda files of another build.
 */
export async function measureCoverage(o: CoverageOptions): Promise<CoverageReport> {
  await requireLcov(o.groups);
  const notes = findNotes(o.sourceDir);
  const analysed = o.workload.onlyConsider ?? o.workload.program;
  const binary = o.instrumented ?? analysed;
  if (!isInstrumented(binary)) {
    throw new LoupeError(`${binary} was built without coverage (it has no gcov run-time)`, ExitCode.badInput,
      'run the binary built in --source with `--coverage` (in CFLAGS and LDFLAGS), or name it with --instrumented');
  }
  o.onPhase?.('running the workload');
  const prefix = join(o.workDir, 'gcda');
  const runDir = join(o.workDir, 'run');
  mkdirSync(prefix, { recursive: true });
  // Servers write their counts from processes that dropped root (nginx's workers run as nobody).
  chmodSync(prefix, 0o777);
  mkdirSync(runDir, { recursive: true });
  const experiment: Experiment = {
    id: 'coverage',
    description: 'coverage run (nothing perturbed)',
    // The run's writable layers are kept: processes that cleared their environment (GCOV_PREFIX
    // with it) write their .gcda files at the object paths, that is into these layers.
    workload: { ...o.workload, filesystem: { writable: o.workload.filesystem?.writable ?? [], keepWrites: true } },
    perturbation: { rules: [] },
    judge: {
      attempts: 1,
      inconclusiveRetries: INCONCLUSIVE_RETRIES,
      // Without a discovery run the count of listening sockets is unknown: wait for the first one.
      readyListeners: o.workload.sequential ? 0 : 1,
      readyWaitMs: Math.min(READY_WAIT_MS, o.workload.timeoutMs),
    },
  };
  const outcome = await runAttempt(experiment, {
    groups: o.groups, launcher: o.launcher, isolateHelper: o.isolateHelper, dir: runDir,
    // The work folder is the run's way out of its copy-on-write view: the .gcda files land there.
    workDir: o.workDir,
    filter: filterFor([], o.table),
    // PREFIX/<absolute path of the object>.gcda: nothing is written into the build tree.
    env: { GCOV_PREFIX: prefix, GCOV_PREFIX_STRIP: '0' },
    ...(o.instrumented === undefined ? {} : { replacedFiles: [[o.instrumented, analysed]] }),
    gracefulStopMs: o.stopGraceMs,
  });
  const stopped = outcome.stopped ?? 'exited';
  if (stopped === 'killed' && !o.workload.sequential) {
    throw new LoupeError(`the application did not exit within ${o.stopGraceMs / 1000} s of SIGTERM: it was killed and wrote no coverage data`,
      ExitCode.failed, 'make the server exit on SIGTERM (nginx: `daemon off;` in the foreground), or give it longer with --stop-timeout');
  }

  o.onPhase?.('collecting coverage data');
  const cleared = countsInLayers(readKeptLayers(join(runDir, KEPT_WRITES_DIR)));
  const staged = stageData([countsUnderPrefix(prefix), cleared.counts], notes, o.sourceDir, join(o.workDir, 'staging'));
  if (staged.pairs === 0) {
    throw new LoupeError(`the run wrote no coverage data (application: ${outcome.verdict}${outcome.reason ? `, ${outcome.reason}` : ''})`, ExitCode.failed,
      `gcov writes its data when the program exits normally (exit or return from main, not _exit or a fatal signal); see ${outcome.appLog}`);
  }
  await captureTracefile(staged.staging, o.tracefile, o.groups);
  const coverage = parseTracefile(readFileSync(o.tracefile, 'utf8'));
  const totals = totalsOf(coverage.values());
  const warnings = staged.orphans.length === 0 ? [] : [`${staged.orphans.length} object(s) with coverage data have no .gcno under ${o.sourceDir}: left out`];
  if (cleared.merged.length > 0) {
    warnings.push(`${cleared.merged.length} .gcda file(s) already in the build tree took the counts of processes that cleared GCOV_PREFIX (${cleared.merged.slice(0, 3).join(', ')}${cleared.merged.length > 3 ? ', ...' : ''}): `
      + `earlier runs' counts cannot be told apart from this run's, so those counts are left out; delete the build tree's .gcda files (find ${o.sourceDir} -name '*.gcda' -delete) to count them`);
  }
  if (outcome.verdict !== 'works') warnings.push(`the workload failed its test: ${outcome.reason ?? 'broken'} (logs: ${outcome.appLog}, ${outcome.testLog})`);

  let syscalls: SyscallSites[] = [];
  let callSites: CoverageReport['callSites'];
  if (o.syscalls) {
    o.onPhase?.('static source analysis');
    const source = await analyseSources(o.sourceDir, { table: o.table, onlyFiles: new Set(coverage.keys()) });
    syscalls = joinCallSites(source.callSites, o.sourceDir, coverage, o.table);
    callSites = { ...summariseCallSites(syscalls), staticSyscalls: source.syscalls.length, translationUnits: source.translationUnits };
    for (const failed of source.failedUnits) warnings.push(`clang failed on ${failed.file}: ${failed.error}`);
  }
  return {
    binary,
    source: o.sourceDir,
    workload: { verdict: outcome.verdict, ...(outcome.reason === undefined ? {} : { reason: outcome.reason }), stopped },
    ...totals,
    files: coverage.size,
    ...(callSites === undefined ? {} : { callSites }),
    syscalls,
    warnings,
  };
}
