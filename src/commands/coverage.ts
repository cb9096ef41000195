/** `loupe coverage`: checks, the coverage run, the output folder, the summary. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ExitCode, LoupeError } from '../core/errors.js';
import { COVERAGE_JSON } from '../db/layout.js';
import { makeOutputFolder } from '../fs/output-folder.js';
import { formatCoverage } from '../coverage/format.js';
import { renderHtml } from '../coverage/lcov.js';
import { measureCoverage, type CoverageReport } from '../coverage/measure.js';
import type { AnalysisOptions } from '../explore/options.js';
import {
  checkAnalysedBinary, checkArchitecture, checkPrivileges, checkTools, resolveBinary, resolveWorkload,
} from '../explore/preflight.js';
import { writeAtomically } from '../fs/write-atomically.js';
import { ProcessGroups } from '../sandbox/process.js';
import { checkSourceDirectory } from '../static/source.js';
import { ISOLATE_HELPER_PATH, LAUNCHER_PATH } from '../core/version.js';

/** The analysis options (src/explore/options.ts; those about experiments are ignored) and coverage's own. */
export interface CoverageCommandOptions extends AnalysisOptions {
  binary: string;
  args: string[];
  source: string;
  instrumented?: string;
  out?: string;
  stopTimeoutSec: number;
  syscalls: boolean;
  json: boolean;
  quiet: boolean;
}

/** Files of --out (coverage.json is named as in the database: db/layout.ts). */
export const TRACEFILE = 'coverage.info';
export const HTML_DIR = 'html';

export async function coverageCommand(o: CoverageCommandOptions): Promise<void> {
  const table = checkArchitecture();
  checkTools(LAUNCHER_PATH, ISOLATE_HELPER_PATH);
  const cwd = process.cwd();
  const sourceDir = resolve(cwd, o.source);
  checkSourceDirectory(sourceDir);
  const workload = resolveWorkload({ ...o, keepWrites: false }, cwd);
  await checkAnalysedBinary(workload);
  const instrumented = o.instrumented === undefined ? undefined : resolveBinary(o.instrumented, cwd);
  await checkPrivileges(ISOLATE_HELPER_PATH);

  const outDir = o.out === undefined ? undefined : resolve(cwd, o.out);
  const workDir = outDir === undefined ? mkdtempSync(join(tmpdir(), 'loupe-coverage-')) : join(outDir, 'work');
  if (outDir !== undefined) {
    makeOutputFolder(outDir, '--out');
    rmSync(workDir, { recursive: true, force: true });
  }
  const groups = new ProcessGroups();
  let interrupted = false;
  const onSignal = (): void => {
    interrupted = true;
    void groups.killAll();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const say = (line: string): void => {
    if (!o.quiet && !o.json) process.stderr.write(`loupe: ${line}\n`);
  };
  let report: CoverageReport;
  try {
    report = await measureCoverage({
      workload, sourceDir, ...(instrumented === undefined ? {} : { instrumented }), workDir, tracefile: join(workDir, TRACEFILE), groups, launcher: LAUNCHER_PATH, isolateHelper: ISOLATE_HELPER_PATH, table,
      stopGraceMs: Math.round(o.stopTimeoutSec * 1000), syscalls: o.syscalls, onPhase: say,
    });
    if (outDir !== undefined) {
      say('writing the HTML report');
      await renderHtml(join(workDir, TRACEFILE), join(outDir, HTML_DIR), groups);
      writeAtomically(join(outDir, TRACEFILE), readTracefile(workDir));
      writeAtomically(join(outDir, COVERAGE_JSON), `${JSON.stringify(report, null, 2)}\n`);
    }
  } catch (err) {
    await groups.killAll();
    if (interrupted) throw new LoupeError('interrupted; the run was stopped', ExitCode.interrupted);
    if (!o.quiet) process.stderr.write(`loupe: the run's files are kept in ${workDir}\n`);
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (outDir === undefined) rmSync(workDir, { recursive: true, force: true });
  process.stdout.write(o.json ? `${JSON.stringify(report, null, 2)}\n` : o.quiet ? '' : formatCoverage(report));
  if (outDir !== undefined && !o.json && !o.quiet) {
    process.stdout.write(`report: ${join(outDir, HTML_DIR, 'index.html')}; tracefile: ${join(outDir, TRACEFILE)}; ${join(outDir, COVERAGE_JSON)}\n`);
  }
  if (report.workload.verdict !== 'works') {
    throw new LoupeError(`the workload failed its test: ${report.workload.reason ?? 'broken'}`, ExitCode.failed,
      'the coverage above is that of a failing run; fix the workload first');
  }
}

function readTracefile(workDir: string): string {
  return readFileSync(join(workDir, TRACEFILE), 'utf8');
}
