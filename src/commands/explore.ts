import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { writeAtomically } from '../fs/write-atomically.js';
import { makeOutputFolder } from '../fs/output-folder.js';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ExitCode, LoupeError } from '../core/errors.js';
import { defaultJobs } from '../explore/jobs.js';
import { formatDynCsv, formatStaticCsv, parseDynCsv, rowFromVerdicts } from '../db/csv.js';
import { earlierVerdicts, type EarlierVerdicts } from '../explore/priors.js';
import { startStaticAnalysis } from './static-beside-explore.js';
import { formatSubfeatureCsvs } from '../db/subfeature-csv.js';
import { FALLBACKS_CSV, formatFallbacksCsv } from '../db/fallbacks-csv.js';
import { explore } from '../explore/explore.js';
import { isGroupRun } from '../explore/group-testing.js';
import { eventLine, type ExploreEvent } from '../explore/events.js';
import { formatSummary } from '../explore/format.js';
import { Journal, workloadFingerprint } from '../explore/journal.js';
import { checkAnalysedBinary, checkArchitecture, checkPrivileges, checkTools, resolveWorkload } from '../explore/preflight.js';
import type { ExploreReport } from '../explore/report.js';
import type { AnalysisOptions } from '../explore/options.js';
import { ProcessGroups } from '../sandbox/process.js';
import type { SyscallTable } from '../syscalls/table.js';
import { createProgress } from '../ui/progress.js';
import { ISOLATE_HELPER_PATH, LAUNCHER_PATH, PACKAGE_ROOT, VERSION } from '../core/version.js';
import type { PerfOptions } from '../explore/perf/options.js';

/** The analysis options (src/explore/options.ts) and what this command does with the result. */
export interface ExploreCommandOptions extends AnalysisOptions {
  binary: string;
  args: string[];
  outputCsv: boolean;
  outputSysNames: boolean;
  jobs?: number;
  json: boolean;
  out?: string;
  journal?: string;
  verbose: boolean;
  /** Progress as JSON-line events on stderr (src/explore/events.ts), for generate. */
  events: boolean;
  quiet: boolean;
  /** --perf-analysis and its settings (src/explore/perf/options.ts); absent or perfAnalysis false: no perf analysis. */
  perf?: PerfOptions;
  /** Keep each run's writable layer and list of changed files beside its logs (--keep-writes). */
  keepWrites: boolean;
}

const SYSCALL_COUNTER_PATH = join(PACKAGE_ROOT, 'dist/bin/loupe-syscall-counter');

/**
 * Experiments mostly wait (a server idles between requests, a benchmark runs for a fixed
 * time), so two per core keep the machine busy; verdicts stay stable because a failing run
 * is attempted again and hang limits are ten times the unperturbed run.
 */
export async function exploreCommand(o: ExploreCommandOptions): Promise<void> {
  const table = checkArchitecture();
  checkTools(LAUNCHER_PATH, ISOLATE_HELPER_PATH);
  const cwd = process.cwd();
  const workload = resolveWorkload(o, cwd);
  const earlier = o.priors !== undefined ? readEarlierVerdicts(resolve(o.priors)) : undefined;
  await checkAnalysedBinary(workload);
  await checkPrivileges(ISOLATE_HELPER_PATH);
  // Loaded only when asked for: its statistics and plotting libraries cost every other analysis ~0.3 s of start-up.
  const perfOutputs = o.perf?.perfAnalysis ? await import('./perf-outputs.js') : undefined;
  const perf = perfOutputs && o.perf ? await perfOutputs.perfSettings(o.perf, workload.testScript) : undefined;

  const outDir = o.out === undefined ? undefined : resolve(o.out);
  if (outDir) makeOutputFolder(outDir, '--out');
  const workDir = outDir ? join(outDir, 'work') : mkdtempSync(join(tmpdir(), 'loupe-explore-'));
  if (outDir) rmSync(workDir, { recursive: true, force: true });
  const groups = new ProcessGroups();
  const abort = new AbortController();
  const onSignal = (): void => {
    abort.abort(new LoupeError('interrupted; every experiment was stopped', ExitCode.interrupted));
    void groups.stopAll();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const progress = createProgress(!o.quiet && !o.verbose && !o.events);
  const log = (line: string): void => {
    if (o.verbose) process.stderr.write(`${line}\n`);
  };
  const emit = (event: ExploreEvent): void => {
    if (o.events) process.stderr.write(`${eventLine(event)}\n`);
  };
  const experimentLines: string[] = [];
  const jobs = o.jobs ?? defaultJobs();

  const staticAnalysis = o.disableStatic ? undefined : startStaticAnalysis(groups, workload.onlyConsider ?? workload.program);
  let report: ExploreReport;
  // --keep-writes without --out keeps the temporary work folder: the layers are what was asked for.
  let keepWorkDir = outDir !== undefined || o.keepWrites;
  if (o.keepWrites && !outDir && !o.quiet) process.stderr.write(`loupe: the writes of every run are kept in ${workDir} (delete it when done)\n`);
  try {
    const journal = o.journal ? new Journal(resolve(o.journal), workloadFingerprint(workload, `${VERSION}/${o.partialSupport}/${o.attempts}`)) : undefined;
    if (journal && journal.size > 0 && !o.quiet) process.stderr.write(`loupe: resuming: ${journal.size} experiments already done in ${o.journal}\n`);
    report = await explore({
      workload,
      table,
      groups,
      launcher: LAUNCHER_PATH,
      isolateHelper: ISOLATE_HELPER_PATH,
      workDir,
      jobs,
      adaptiveJobs: o.jobs === undefined,
      attempts: o.attempts,
      partialSupport: o.partialSupport,
      finalCheck: o.finalCheck,
      groupTesting: o.groupTesting,
      ...(earlier ? { earlier } : {}),
      strict: o.strict,
      ...(o.fallbacks ? { syscallCounter: SYSCALL_COUNTER_PATH } : {}),
      journal,
      signal: abort.signal,
      version: VERSION,
      ...(perf ? { perf: { ...perf, quietBefore: staticAnalysis, onCondition: (d, failure) => { log(`perf   ${d}${failure ? ` — ${failure.message}` : ''}`); progress.tick(); } } } : {}),
      onPhase: (phase, total) => {
        log(`== ${phase} (${total})`);
        emit({ event: 'phase', phase, planned: total });
        progress.phase(phase, total);
      },
      onExperiment: (r, description) => {
        const line = `${r.verdict.padEnd(6)} ${description}${r.attempts > 1 ? ` (${r.attempts} attempts)` : ''}${r.reason ? ` — ${r.reason}` : ''} [${r.durationMs} ms]`;
        experimentLines.push(line);
        log(line);
        const group = isGroupRun(r.id);
        emit({ event: 'experiment', id: r.id, description, verdict: r.verdict, attempts: r.attempts, durationMs: r.durationMs, ...(group ? { group: true as const } : {}) });
        if (!group) progress.tick();
      },
    });
  } catch (err) {
    await groups.stopAll();
    if (abort.signal.aborted) throw abort.signal.reason;
    // The logs named in the error must still be there to read.
    keepWorkDir = true;
    if (!o.quiet) process.stderr.write(`loupe: logs of this analysis are kept in ${workDir}${outDir ? '' : ' (delete it when done)'}\n`);
    throw err;
  } finally {
    progress.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (!keepWorkDir) rmSync(workDir, { recursive: true, force: true });
  }

  if (staticAnalysis) {
    report.static = await staticAnalysis;
    if ('error' in report.static && !o.quiet) process.stderr.write(`loupe: warning: no static analysis: ${report.static.error}\n`);
  }
  const dynCsv = dynCsvOf(report, table);
  const perfSummary = report.perf && perfOutputs ? perfOutputs.formatPerfSummary(report.perf) : '';
  if (outDir) writeOutputs(outDir, report, table, dynCsv, perfSummary, experimentLines);
  if (outDir && report.perf && perfOutputs) await perfOutputs.writePerfOutputs(outDir, report.perf, report.workload.onlyConsider ?? report.workload.binary);
  if (o.outputCsv) process.stdout.write(dynCsv);
  else if (o.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  else if (!o.quiet) process.stdout.write(formatSummary(report, o.outputSysNames) + perfSummary);
  if (report.perf?.error) {
    process.stderr.write(`loupe: perf analysis: ${report.perf.error}\n`);
    process.exitCode = ExitCode.failed;
  }
}

/** An earlier analysis' dyn.csv (`--priors`), as verdicts; bad input is a LoupeError naming the file. */
function readEarlierVerdicts(path: string): EarlierVerdicts {
  const hint = "give --priors the dyn.csv of an earlier analysis of the same application (explore --out DIR writes DIR/dyn.csv)";
  let verdicts: EarlierVerdicts;
  try {
    verdicts = earlierVerdicts(parseDynCsv(readFileSync(path, 'utf8'), path));
  } catch (err) {
    throw new LoupeError(`cannot read the priors file: ${err instanceof Error ? err.message : String(err)}`, ExitCode.badInput, hint);
  }
  // An empty file (a failed redirection, a truncated copy) would silently mean no priors at all.
  if (verdicts.size === 0) throw new LoupeError(`the priors file ${path} marks no syscall as used: it says nothing of this application`, ExitCode.badInput, hint);
  return verdicts;
}

export function dynCsvOf(report: ExploreReport, table: SyscallTable): string {
  // Numbers newer than the table are analysed too: their rows follow the table's (readers accept any length).
  const highest = Math.max(table.maxNumber, ...report.syscalls.map((s) => s.nr));
  return formatDynCsv(report.syscalls.map((s) => rowFromVerdicts(s.nr, s.stub === 'works', s.fake === 'works')), highest);
}

function writeOutputs(outDir: string, report: ExploreReport, table: SyscallTable, dynCsv: string, perfSummary: string, experimentLines: readonly string[]): void {
  writeAtomically(join(outDir, 'dyn.csv'), dynCsv);
  if (report.static && 'syscalls' in report.static) {
    writeAtomically(join(outDir, 'static_binary.csv'), formatStaticCsv(report.static.syscalls, table.maxNumber));
  }
  writeAtomically(join(outDir, 'explore.json'), JSON.stringify(report, null, 2) + '\n');
  writeAtomically(join(outDir, 'explore.log'), `${formatSummary(report)}${perfSummary}\nExperiments:\n${experimentLines.join('\n')}\n`);
  for (const [name, text] of formatSubfeatureCsvs(report.subfeatures)) writeAtomically(join(outDir, name), text);
  if (report.fallbacks) writeAtomically(join(outDir, FALLBACKS_CSV), formatFallbacksCsv(report.fallbacks));
}
