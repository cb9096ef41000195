/**
 * `loupe search`: queries over a Loupe database. Wiring and output formatting only; the
 * analyses live in analysis/, the plots in plots/, the export in db/sqlite-export.ts.
 */
import { basename, resolve } from 'node:path';
import { compatScore, type CompatScore } from '../analysis/compat-score.js';
import { coverageRows, formatCoverageRows, type CoverageRow } from '../analysis/coverage.js';
import { cumulativeCurve, histogramBars, PAPER_HISTOGRAM_APPS, syscallShares, ANALYSES, type HistogramBar } from '../analysis/figures.js';
import { ALL, selectApplications, usageByWorkloadKind, type Selection } from '../analysis/selection.js';
import { meanAppsRunning, planSupport, PLANNERS, type FallbackReliance, type PlannerName, type SupportPlan } from '../analysis/support-plan.js';
import { combineUsage, sortedNumbers, treatmentWorks, type Usage } from '../analysis/usage.js';
import { ExitCode, LoupeError } from '../core/errors.js';
import { formatBaselineMedians, formatPerfTable } from '../analysis/perf.js';
import { PERF_METRICS } from '../core/perf-report.js';
import { readDatabase, readOsList, type DatabaseContents, type OsList } from '../db/reader.js';
import { cumulativeSpec, heatmapSpec, histogramSpec, planCurvesSpec, type PlanCurveRow } from '../plots/specs.js';
import { displayName } from '../syscalls/table.js';
import type { TopLevelSpec } from 'vega-lite';
import { counted } from '../core/text.js';

export interface SearchOptions {
  db: string;
  applications: string;
  workloads: string;
  showUsage?: boolean;
  guideSupport?: string;
  planner: PlannerName;
  compatScore?: string[];
  cumulativePlot?: boolean;
  heatmapPlot?: boolean;
  paperHistogramPlot?: boolean;
  planCurvesPlot?: boolean;
  staticSource?: boolean;
  showCoverage?: boolean;
  outputSysNames?: boolean;
  exportSqlite?: string;
  /** --show-perf: the perf table of each selected workload's chosen run that has data/perf.csv. */
  showPerf?: boolean;
  json?: boolean;
  out?: string;
}

type Syscall = number | string;

interface Context {
  db: DatabaseContents;
  options: SearchOptions;
  /** Syscall numbers as printed: numbers, or names with --output-sys-names. */
  show: (nrs: Iterable<number>) => Syscall[];
  /** Lines of human output. */
  out: string[];
}

const warn = (message: string): void => void process.stderr.write(`loupe: warning: ${message}\n`);

function reportUnknownNames(ctx: Context, os: OsList): void {
  if (os.unknownNames.length > 0) warn(`${os.file}: not ${ctx.db.table.arch} Linux syscalls, ignored: ${os.unknownNames.join(', ')}`);
}

function describeSelection(ctx: Context, selection: Selection): string {
  const apps = selection.applications.map((a) => a.name);
  return `${counted(apps.length, 'application')} (workloads: ${ctx.options.workloads})`;
}

function wrapList(label: string, items: readonly Syscall[]): string[] {
  const lines = [`${label} (${items.length}):`];
  let line = ' ';
  for (const item of items.map(String)) {
    if (line.length + item.length + 2 > 100) {
      lines.push(line.trimEnd());
      line = ' ';
    }
    line += ` ${item},`;
  }
  if (items.length > 0) lines.push(line.replace(/,$/, ''));
  return lines;
}

function usageJson(ctx: Context, selection: Selection, usage: Usage): Record<string, unknown> {
  const json: Record<string, unknown> = {
    required: ctx.show(usage.required),
    stubOnly: ctx.show(usage.stubOnly),
    fakeOnly: ctx.show(usage.fakeOnly),
    both: ctx.show(usage.both),
    used: ctx.show(usage.used),
    conflicting: ctx.show(usage.conflicting),
    applications: selection.applications.map((a) => a.name),
    runs: selection.applications.flatMap((a) => a.workloads.map((w) => w.chosen.path)),
  };
  if (usage.staticBinary) json.staticBinary = ctx.show(usage.staticBinary);
  if (ctx.options.staticSource && usage.staticSources) json.staticSources = ctx.show(usage.staticSources);
  if (usage.fallbacks) json.fallbacks = fallbacksJson(ctx, usage);
  return json;
}

/** `{"435": {"stub": [56]}}` (names with --output-sys-names), for syscalls used whose working treatment has fallbacks. */
function fallbacksJson(ctx: Context, usage: Usage): Record<string, Record<string, Syscall[]>> {
  const out: Record<string, Record<string, Syscall[]>> = {};
  for (const nr of sortedNumbers(usage.fallbacks!.keys())) {
    const entry = usage.fallbacks!.get(nr)!;
    const key = String(ctx.show([nr])[0]);
    for (const t of ['stub', 'fake'] as const) if (entry[t] && treatmentWorks(usage, nr, t)) out[key] = { ...out[key], [t]: ctx.show(entry[t]!) };
  }
  return out;
}

/** Lines such as `clone3: stub falls back to clone`. */
function fallbackLines(ctx: Context, usage: Usage): string[] {
  const name = (nr: number): string => displayName(ctx.db.table, nr);
  return Object.entries(fallbacksJson({ ...ctx, show: (nrs) => sortedNumbers(nrs) }, usage)).map(
    ([nr, entry]) => `  ${name(Number(nr))}: ${Object.entries(entry).map(([t, nrs]) => `${t} falls back to ${nrs.map((n) => name(Number(n))).join(', ')}`).join('; ')}`,
  );
}

function showUsage(ctx: Context, selection: Selection): Record<string, unknown> {
  const usage = combineUsage(selection.applications.map((a) => a.usage));
  const json = usageJson(ctx, selection, usage);
  ctx.out.push(`Syscall usage of ${describeSelection(ctx, selection)}: ${selection.applications.map((a) => a.name).join(', ')}`);
  ctx.out.push(...wrapList('Required (neither stubbing nor faking works)', ctx.show(usage.required)));
  // The conflicting syscalls are part of the required list, so they are listed under it.
  if (usage.conflicting.size > 0) {
    ctx.out.push(...wrapList('  of which required because applications disagree on stub vs fake', ctx.show(usage.conflicting)));
  }
  ctx.out.push(...wrapList('Stub-only (works when stubbed, not when faked)', ctx.show(usage.stubOnly)));
  ctx.out.push(...wrapList('Fake-only (works when faked, not when stubbed)', ctx.show(usage.fakeOnly)));
  ctx.out.push(...wrapList('Both (works stubbed and faked)', ctx.show(usage.both)));
  if (usage.staticBinary) ctx.out.push(...wrapList('Static binary analysis', ctx.show(usage.staticBinary)));
  if (ctx.options.staticSource) {
    if (usage.staticSources) ctx.out.push(...wrapList('Static source analysis', ctx.show(usage.staticSources)));
    else ctx.out.push('Static source analysis: no selected run has static_sources.csv');
  }
  if (usage.fallbacks) {
    const lines = fallbackLines(ctx, usage);
    ctx.out.push(`Fallbacks (what the applications execute instead when a treatment works) (${lines.length}):`, ...lines);
  }
  return json;
}

function planJson(ctx: Context, os: OsList, plan: SupportPlan, other: SupportPlan): Record<string, unknown> {
  const width = Math.max(plan.curve.at(-1)!.implemented, other.curve.at(-1)!.implemented);
  return {
    os: os.name,
    planner: plan.planner,
    supportedWithoutChanges: plan.supportedWithoutChanges,
    initialStub: ctx.show(plan.initialStub),
    initialFake: ctx.show(plan.initialFake),
    ...(plan.initialFallbacks ? { initialFallbacks: plan.initialFallbacks.map((r) => relianceJson(ctx, r)) } : {}),
    steps: plan.steps.map((s) => ({
      apps: s.apps,
      implement: ctx.show(s.implement),
      stub: ctx.show(s.stub),
      fake: ctx.show(s.fake),
      ...(s.fallbacks ? { fallbacks: s.fallbacks.map((r) => relianceJson(ctx, r)) } : {}),
    })),
    curve: plan.curve,
    meanAppsRunning: { [plan.planner]: meanAppsRunning(plan.curve, width), [other.planner]: meanAppsRunning(other.curve, width), overImplemented: width },
    unknownNames: os.unknownNames,
  };
}

function relianceJson(ctx: Context, r: FallbackReliance): Record<string, unknown> {
  return { syscall: ctx.show([r.nr])[0], treatment: r.treatment, fallbacks: ctx.show(r.fallbacks), apps: r.apps };
}

/** Why a step implements a syscall no application requires: `  stub clone3: redis falls back to clone`. */
function relianceLines(ctx: Context, reliances: readonly FallbackReliance[] | undefined): string[] {
  const name = (nr: number): string => displayName(ctx.db.table, nr);
  return (reliances ?? []).map((r) => `  ${r.treatment} ${name(r.nr)}: ${r.apps.join(', ')} then call${r.apps.length === 1 ? 's' : ''} ${r.fallbacks.map(name).join(', ')} instead (fallback, supported from here)`);
}

function guideSupport(ctx: Context, selection: Selection, osFile: string): Record<string, unknown> {
  const os = readOsList(osFile, ctx.db.table);
  reportUnknownNames(ctx, os);
  const apps = selection.applications;
  const plan = planSupport(ctx.options.planner, os.supported, apps);
  const other = planSupport(ctx.options.planner === 'greedy' ? 'unlock' : 'greedy', os.supported, apps);
  const json = planJson(ctx, os, plan, other);
  const list = (nrs: number[]): string => (nrs.length === 0 ? '-' : ctx.show(nrs).join(', '));
  ctx.out.push(`Support plan for ${os.name} (${os.supported.length} syscalls supported), ${describeSelection(ctx, selection)}, ${plan.planner} planner`);
  ctx.out.push(`Supported without implementing anything (${plan.supportedWithoutChanges.length}): ${plan.supportedWithoutChanges.join(', ') || '-'}`);
  ctx.out.push(`  stub: ${list(plan.initialStub)}`);
  ctx.out.push(`  fake: ${list(plan.initialFake)}`);
  ctx.out.push(...relianceLines(ctx, plan.initialFallbacks));
  let running = plan.supportedWithoutChanges.length;
  let implemented = 0;
  plan.steps.forEach((step, i) => {
    running += step.apps.length;
    implemented += step.implement.length;
    ctx.out.push(`Step ${i + 1}: ${step.apps.join(', ')} (${running}/${apps.length} applications, ${counted(implemented, 'syscall')} implemented)`);
    ctx.out.push(`  implement: ${list(step.implement)}`);
    if (step.stub.length > 0) ctx.out.push(`  stub: ${list(step.stub)}`);
    if (step.fake.length > 0) ctx.out.push(`  fake: ${list(step.fake)}`);
    ctx.out.push(...relianceLines(ctx, step.fallbacks));
  });
  const means = json.meanAppsRunning as Record<string, number>;
  ctx.out.push(
    `Mean applications running over 0..${means.overImplemented} syscalls implemented: ` +
      PLANNERS.map((p) => `${p} ${means[p]!.toFixed(2)}`).join(', '),
  );
  return json;
}

function compatJson(ctx: Context, score: CompatScore, unknownNames: string[]): Record<string, unknown> {
  return {
    os: score.os,
    applications: score.applications,
    runningToday: score.runningToday,
    runningTodayCount: score.runningToday.length,
    completeness: score.completeness,
    meanApplicationCompleteness: score.meanApplicationCompleteness,
    missingRequiredCount: score.missing.length,
    mostValuableMissing: score.missing.slice(0, 10).map((m) => ({ syscall: ctx.show([m.nr])[0], unlocks: m.unlocks, neededBy: m.neededBy })),
    unknownNames,
  };
}

function compatScores(ctx: Context, selection: Selection, files: string[]): Record<string, unknown>[] {
  const rows: string[][] = [['OS', 'Runs today', 'Completeness', 'Per-app mean', 'Missing', 'Most valuable missing (unlocks/needed by)']];
  const json = files.map((file) => {
    const os = readOsList(file, ctx.db.table);
    reportUnknownNames(ctx, os);
    const score = compatScore(os.name, os.supported, selection.applications);
    const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
    const top = score.missing.slice(0, 4).map((m) => `${displayName(ctx.db.table, m.nr)} (${m.unlocks}/${m.neededBy})`);
    rows.push([os.name, `${score.runningToday.length}/${score.applications}`, pct(score.completeness), pct(score.meanApplicationCompleteness), String(score.missing.length), top.join(', ')]);
    return compatJson(ctx, score, os.unknownNames);
  });
  ctx.out.push(`Compatibility with ${describeSelection(ctx, selection)}`);
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) ctx.out.push(r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  '));
  return json;
}

const WRITE_REFUSALS = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOENT', 'ENOTDIR', 'EISDIR', 'ENOSPC', 'SQLITE_CANTOPEN']);

/** Runs a write to `target`, turning the file system's refusals into a user-facing error. */
async function writingTo<T>(target: string, write: () => T | Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && WRITE_REFUSALS.has(code)) {
      throw new LoupeError(`cannot write ${target}: ${(err as Error).message}`, ExitCode.badInput, 'check that its folder exists and is writable');
    }
    throw err;
  }
}

const databaseName = (ctx: Context): string => basename(resolve(ctx.db.root));

function subtitleOf(ctx: Context, selection: Selection): string {
  return `${describeSelection(ctx, selection)}, database ${databaseName(ctx)}`;
}

async function plots(ctx: Context, selection: Selection): Promise<string[]> {
  // Loaded on demand: vega takes about 350 ms to load, several times a whole usage query.
  const { writePlot: writePlotFiles } = await import('../plots/render.js');
  const dir = ctx.options.out ?? process.cwd();
  const written: string[] = [];
  const subtitle = subtitleOf(ctx, selection);
  const writePlot = (name: string, spec: TopLevelSpec): Promise<string[]> => writingTo(dir, () => writePlotFiles(dir, name, spec));
  const needShares = ctx.options.cumulativePlot || ctx.options.heatmapPlot;
  const shares = needShares ? syscallShares(selection.applications, ctx.db.table) : [];
  if (ctx.options.cumulativePlot) written.push(...(await writePlot('cumulative', cumulativeSpec(cumulativeCurve(shares), subtitle))));
  if (ctx.options.heatmapPlot) {
    for (const analysis of ANALYSES) {
      const rows = shares.filter((s) => s.analysis === analysis);
      if (rows.length === 0) continue;
      const detail = `${rows[0]!.population} of ${describeSelection(ctx, selection)} have ${analysis} results; database ${databaseName(ctx)}`;
      written.push(...(await writePlot(`heatmap-${analysis.replace(/ /g, '-')}`, heatmapSpec(rows, `Heatmap: ${analysis}`, detail))));
    }
  }
  if (ctx.options.paperHistogramPlot) written.push(...(await writePlot('paper-histogram', histogramSpec(paperHistogram(ctx)))));
  if (ctx.options.planCurvesPlot) written.push(...(await writePlot('support-plan-curves', planCurvesSpec(planCurves(ctx, selection), subtitle))));
  ctx.out.push(...written.map((p) => `wrote ${p}`));
  return written;
}

/** The paper's applications, or those given with -a; every workload of each. */
function paperHistogram(ctx: Context): HistogramBar[] {
  const explicit = ctx.options.applications.trim() !== ALL;
  const names = explicit ? selectApplications(ctx.db, ctx.options.applications, ALL).applications.map((a) => a.name) : [...PAPER_HISTOGRAM_APPS];
  const byName = new Map(ctx.db.applications.map((a) => [a.name, a]));
  return names.filter((n) => byName.has(n)).flatMap((n) => histogramBars(n, usageByWorkloadKind(byName.get(n)!)));
}

/** Both planners' curves for the OS lists at the database root, and the --guide-support list. */
function planCurves(ctx: Context, selection: Selection): PlanCurveRow[] {
  const lists = [...ctx.db.osLists];
  if (ctx.options.guideSupport) lists.push(readOsList(ctx.options.guideSupport, ctx.db.table));
  if (lists.length === 0) throw new LoupeError('no OS syscall list for the support-plan curves', ExitCode.badInput, 'put <OS>.syscalls files at the database root or pass --guide-support FILE');
  const apps = selection.applications;
  return lists.flatMap((os) =>
    PLANNERS.flatMap((planner) => planSupport(planner, os.supported, apps).curve.map((p) => ({ os: os.name, planner, ...p }))),
  );
}

async function exportDatabase(ctx: Context, file: string): Promise<Record<string, unknown>> {
  const { exportSqlite } = await import('../db/sqlite-export.js');
  const usage = new Map(selectApplications(ctx.db).applications.map((a) => [a.name, a.usage]));
  const usageOf = (name: string): Usage => usage.get(name) ?? combineUsage([]);
  await writingTo(file, () => exportSqlite(ctx.db, file, usageOf));
  const runs = ctx.db.applications.reduce((n, a) => n + a.workloads.reduce((m, w) => m + w.runs.length, 0), 0);
  ctx.out.push(`exported ${counted(ctx.db.applications.length, 'application')}, ${counted(runs, 'run')} and ${counted(ctx.db.osLists.length, 'OS list')} to ${file}`);
  return { file, applications: ctx.db.applications.length, runs, osLists: ctx.db.osLists.length };
}

function showCoverage(ctx: Context, selection: Selection): CoverageRow[] {
  const rows = coverageRows(selection);
  ctx.out.push(...formatCoverageRows(rows, selection.applications.reduce((n, a) => n + a.workloads.length, 0)));
  return rows;
}

/** The perf table of every selected workload whose chosen run has perf.csv. */
function showPerf(ctx: Context, selection: Selection): Record<string, unknown>[] {
  const found = selection.applications.flatMap((a) => a.workloads.filter((w) => w.chosen.perf !== undefined).map((w) => ({ app: a.name, workload: w })));
  if (found.length === 0) {
    ctx.out.push(`No perf analysis for ${describeSelection(ctx, selection)} (store one with generate --perf-analysis)`);
    return [];
  }
  return found.map(({ app, workload }) => {
    const rows = workload.chosen.perf!;
    const baseline = rows.find((r) => r.treatment === 'baseline');
    const medians = Object.fromEntries(PERF_METRICS.map((m) => [m, baseline?.metrics[m]?.median]));
    ctx.out.push('', `${app} / ${workload.dir} (${workload.chosen.path}/data/perf.csv)`, `Baseline (median): ${formatBaselineMedians(medians)}`, formatPerfTable(rows).trimEnd());
    return { application: app, workload: workload.dir, run: workload.chosen.path, baseline: medians, conditions: rows.filter((r) => r.treatment !== 'baseline') };
  });
}

function wantsPlots(o: SearchOptions): boolean {
  return Boolean(o.cumulativePlot || o.heatmapPlot || o.paperHistogramPlot || o.planCurvesPlot);
}

export async function search(options: SearchOptions): Promise<void> {
  const db = await readDatabase(options.db);
  const table = db.table;
  const show = (nrs: Iterable<number>): Syscall[] =>
    options.outputSysNames ? sortedNumbers(nrs).map((nr) => displayName(table, nr)) : sortedNumbers(nrs);
  const ctx: Context = { db, options, show, out: [] };
  const selection = selectApplications(db, options.applications, options.workloads);
  // Only the rows this query reads: a query on dhrystone said "313 rows normalised", all django's.
  // A warning starts with its file's path, `APP/WORKLOAD/RUN/data/dyn.csv` (db/reader.ts).
  const selected = selection.applications.map((a) => `${a.name}/`);
  const normalised = options.exportSqlite ? db.warnings : db.warnings.filter((w) => selected.some((prefix) => w.startsWith(prefix)));
  if (normalised.length > 0) {
    process.stderr.write(`loupe: note: ${normalised.length} rows of old data were normalised while reading (first: ${normalised[0]})\n`);
  }
  if (selection.withoutMatchingWorkload.length > 0 && options.applications.trim() !== ALL) {
    warn(`no workload matching "${options.workloads}" for: ${selection.withoutMatchingWorkload.join(', ')}; left out`);
  }
  const results: Record<string, unknown> = {};
  const noAction = !options.guideSupport && !options.compatScore && !options.exportSqlite && !options.showPerf && !options.showCoverage && !wantsPlots(options);
  if (options.showUsage || noAction) results.usage = showUsage(ctx, selection);
  if (options.guideSupport) results.supportPlan = guideSupport(ctx, selection, options.guideSupport);
  if (options.compatScore) results.compatScore = compatScores(ctx, selection, options.compatScore);
  if (options.showPerf) results.perf = showPerf(ctx, selection);
  if (wantsPlots(options)) results.plots = await plots(ctx, selection);
  if (options.exportSqlite) results.export = await exportDatabase(ctx, options.exportSqlite);
  if (options.showCoverage) results.coverage = showCoverage(ctx, selection);
  if (options.json) {
    const keys = Object.keys(results);
    // One query prints its own object (e.g. {"required": [...]}); several are keyed by query.
    process.stdout.write(`${JSON.stringify(keys.length === 1 ? results[keys[0]!] : results, null, 2)}\n`);
  } else {
    process.stdout.write(`${ctx.out.join('\n')}\n`);
  }
}
