/**
 * Benchmark of `loupe explore` on the bundled examples. Prints, per example: wall time
 * (median of --runs), experiments, experiments per second, and the engine's own overhead per
 * experiment (time not spent in the application or the test script). With --stability, runs
 * the redis analysis twice and prints how many syscalls got the same class in both. With
 * --compare-group-testing, runs each example one syscall at a time (--no-group-testing) and with
 * group testing (the default), and prints the runs each made and every syscall whose class
 * differs. --one-at-a-time times every run with --no-group-testing.
 *
 * With --original DIR (a checkout of github.com/unikraft/loupe with src/seccomp-run built:
 * `make src/seccomp-run`), each of our runs is paired with a run of the original's explore.py on
 * the same example, the ratio is of the two medians, and the dyn.csv rows 0..334 (the original's
 * range) are compared. The breakdown says where the time goes: loupe's own start-up and
 * pre-flight (the process's wall time minus the analysis'), discovery, baseline, and per run
 * attempt the filter building, sandbox start-up, workload, test script and teardown.
 *
 * With --warm, each example is first analysed once (not timed) and the timed runs use that
 * analysis' dyn.csv as priors (`--priors`): an application analysed again.
 *
 * With --perf, one analysis with --perf-analysis per example (nginx, redis: their scripts have a
 * benchmark mode) prints the perf analysis's cost: its wall time against the time its runs'
 * workloads took (application up plus benchmark script), which must stay within 10%.
 *
 *
 * With --fallbacks-cost, runs each example with and without fallback measurement in turn
 * (paired, so a drift of the machine's speed hits both) and prints the median of the paired
 * wall-time ratios. --isolation-cost does the same with and without the copy-on-write
 * filesystem isolation (`--writable /`), --group-testing-cost with and without group testing
 * (`--no-group-testing`).
 *
 *
 *   npm run bench -- [--runs N] [--jobs N] [--only tiny,lua,nginx,redis] [--stability] [--compare-group-testing] [--one-at-a-time] [--warm] [--original DIR] [--perf [--perf-runs N]] [--fallbacks-cost] [--isolation-cost] [--group-testing-cost]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { dynCsvOf } from '../src/commands/explore.js';
import { X86_64 } from '../src/syscalls/table.js';
import { parseArgs } from 'node:util';
import type { ExploreReport } from '../src/explore/report.js';
import { PACKAGE_ROOT } from '../src/core/version.js';

interface Example {
  name: string;
  dir: string;
  args: string[];
  /** Run once in `dir` before the first analysis (builds the program). */
  prepare?: string[];
  /** What the original tool needed on this kind of machine, for the ratio without --original (lua: 2026-11-29; nginx: an earlier session's run). */
  originalSeconds?: number;
}

const EXAMPLES: Example[] = [
  { name: 'tiny', dir: 'examples/tiny', args: ['-b', './hello', '-t', './test.sh', '--test-sequential'], prepare: ['gcc', '-O2', '-o', 'hello', 'hello.c'] },
  { name: 'lua', dir: 'examples/lua', args: ['-b', 'lua5.4', '-t', './test.sh', '--test-sequential', '--', 'hello.lua'], originalSeconds: 24.0 },
  { name: 'nginx', dir: 'examples/nginx', args: ['-b', '/usr/sbin/nginx', '-t', './test.sh', '--', '-p', '.', '-c', 'nginx.conf'], originalSeconds: 850 },
  {
    name: 'redis',
    dir: 'examples/redis',
    args: ['-b', 'redis-server', '-t', './test.sh', '--', '--port', '6379', '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
  },
];

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    jobs: { type: 'string' },
    only: { type: 'string', default: 'tiny,lua,nginx' },
    stability: { type: 'boolean', default: false },
    'compare-group-testing': { type: 'boolean', default: false },
    'one-at-a-time': { type: 'boolean', default: false },
    original: { type: 'string' },
    warm: { type: 'boolean', default: false },
    'fallbacks-cost': { type: 'boolean', default: false },
    'isolation-cost': { type: 'boolean', default: false },
    'group-testing-cost': { type: 'boolean', default: false },
    perf: { type: 'boolean', default: false },
    'perf-runs': { type: 'string', default: '5' },
  },
});

let defaultExtra: readonly string[] = values['one-at-a-time'] ? ['--no-group-testing'] : [];

function explore(example: Example, extra: readonly string[] = defaultExtra): { report: ExploreReport; wallMs: number } {
  const cli = join(PACKAGE_ROOT, 'dist/src/cli/main.js');
  const jobs = values.jobs ? ['--jobs', values.jobs] : [];
  const started = Date.now();
  const r = spawnSync(process.execPath, [cli, 'explore', '--json', '--disable-static', ...jobs, ...extra, ...example.args], { cwd: join(PACKAGE_ROOT, example.dir), encoding: 'utf8', maxBuffer: 64 << 20 });
  const wallMs = Date.now() - started;
  if (r.status !== 0) throw new Error(`explore of ${example.name} failed (exit ${r.status}):\n${r.stderr}`);
  return { report: JSON.parse(r.stdout) as ExploreReport, wallMs };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** The original's explore.py on the same example: its dyn.csv and wall time. */
function original(example: Example, dir: string): { csv: string; wallMs: number } {
  const cwd = join(PACKAGE_ROOT, example.dir);
  const args = example.args.map((a, i) => {
    if (example.args[i - 1] === '-b') return a.includes('/') ? resolve(cwd, a) : spawnSync('sh', ['-c', `command -v ${a}`], { encoding: 'utf8' }).stdout.trim() || a;
    if (example.args[i - 1] === '-t') return resolve(cwd, a);
    return a;
  });
  const started = Date.now();
  const r = spawnSync('python3', [join(dir, 'explore.py'), '--disable-static', '--output-csv', ...args], { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  const wallMs = Date.now() - started;
  if (r.status !== 0) throw new Error(`the original's explore.py failed on ${example.name} (exit ${r.status}):\n${r.stderr.slice(-2000)}`);
  return { csv: r.stdout, wallMs };
}

/** The original's range of syscall numbers (it stops at 334). */
const ORIGINAL_MAX = 334;

function csvDifferences(ours: string, theirs: string): string[] {
  const rows = (text: string): Map<string, string> =>
    new Map(text.split('\n').filter((l) => /^\d+,/.test(l)).map((l) => [l.split(',')[0]!, l] as [string, string]).filter(([nr]) => Number(nr) <= ORIGINAL_MAX));
  const a = rows(ours);
  const b = rows(theirs);
  return [...a.keys()].filter((nr) => a.get(nr) !== b.get(nr)).map((nr) => `${X86_64.name(Number(nr)) ?? nr}: ours ${a.get(nr)}, original ${b.get(nr) ?? 'missing'}`);
}

const perAttempt = (total: number, attempts: number): string => `${(total / Math.max(1, attempts)).toFixed(1)} ms`;

function benchmark(example: Example, runs: number): void {
  if (values.warm) {
    const out = mkdtempSync(join(tmpdir(), `loupe-bench-${example.name}-`));
    explore(example, ['--out', out]);
    defaultExtra = [...defaultExtra, '--priors', join(out, 'dyn.csv')];
  }
  const walls: number[] = [];
  const originalWalls: number[] = [];
  let differences: string[] = [];
  let last: ExploreReport | undefined;
  for (let i = 0; i < runs; i++) {
    const { report, wallMs } = explore(example);
    walls.push(wallMs);
    last = report;
    if (values.original) {
      const theirs = original(example, values.original);
      originalWalls.push(theirs.wallMs);
      differences = csvDifferences(dynCsvOf(report, X86_64), theirs.csv);
    }
  }
  const report = last!;
  const wall = median(walls) / 1000;
  const n = runsOf(report);
  const attempts = report.experiments.reduce((sum, e) => sum + e.attempts, 0);
  const overheads = report.experiments.filter((e) => e.attempts > 0).map((e) => (e.durationMs - e.workloadMs) / e.attempts);
  const originalSeconds = values.original ? median(originalWalls) / 1000 : example.originalSeconds;
  const source = values.original ? `measured side by side: ${originalWalls.map((w) => (w / 1000).toFixed(1)).join(', ')} s` : 'an earlier measurement';
  const ratio = originalSeconds ? `, ${(originalSeconds / wall).toFixed(1)}x faster than the original's ${originalSeconds.toFixed(1)} s (${source})` : '';
  const cores = availableParallelism();
  const t = report.timing;
  const c = t.runs;
  console.log(
    `${example.name.padEnd(6)} wall ${wall.toFixed(2)} s (median of ${runs}: ${walls.map((w) => (w / 1000).toFixed(2)).join(', ')})${ratio}\n` +
      `       ${report.used.length} syscalls used, ${n} experiments run (${attempts} attempts), ${(n / wall).toFixed(1)} experiments/s, ` +
      `${(n / (wall * cores)).toFixed(2)} experiments per core-second (${cores} cores), jobs ${t.jobs}${t.jobsLargest !== undefined && t.jobsLargest !== t.jobs ? ` rising to ${t.jobsLargest}` : ''}\n` +
      `       engine overhead per experiment attempt: median ${median(overheads).toFixed(0)} ms, mean ${(overheads.reduce((a, b) => a + b, 0) / Math.max(1, overheads.length)).toFixed(0)} ms\n` +
      `       breakdown (last run): start-up and pre-flight ${((walls[walls.length - 1]! - t.wallMs) / 1000).toFixed(2)} s, discovery ${(t.discoveryMs / 1000).toFixed(2)} s, ` +
      `baseline ${((t.baselineMs ?? 0) / 1000).toFixed(2)} s, experiments ${(t.experimentsMs / 1000).toFixed(2)} s` +
      (c
        ? `\n       per attempt: filter ${perAttempt(c.filterBuildMs, c.attempts)}, sandbox start-up ${perAttempt(c.sandboxStartMs, c.attempts)}, ` +
          `workload ${perAttempt(c.workloadMs, c.attempts)} (test script ${perAttempt(c.testScriptMs, c.attempts)}), teardown ${perAttempt(c.teardownMs, c.attempts)}`
        : '') +
      (report.groupTesting ? `\n       group testing: ${report.groupTesting.runsSaved} of ${report.groupTesting.oneAtATimeRuns} runs saved` : '') +
      (values.original ? `\n       dyn.csv rows 0..${ORIGINAL_MAX} differing from the original's: ${differences.length === 0 ? 'none' : differences.join('; ')}` : ''),
  );
}

function stability(example: Example): void {
  const [first, second] = [explore(example), explore(example)];
  const [a, b] = [first.report, second.report];
  const classesB = new Map(b.syscalls.map((s) => [s.nr, s.class]));
  const all = new Set([...a.used, ...b.used]);
  const disagreements = a.syscalls.filter((s) => classesB.get(s.nr) !== s.class).map((s) => `${s.name}: ${s.class} / ${classesB.get(s.nr) ?? 'unused'}`);
  const onlyInB = b.syscalls.filter((s) => !a.used.includes(s.nr)).map((s) => `${s.name}: unused / ${s.class}`);
  const differing = disagreements.length + onlyInB.length;
  const attempts = (r: ExploreReport): number => r.experiments.reduce((sum, e) => sum + e.attempts, 0);
  console.log(
    `${example.name} stability: two full analyses agree on ${all.size - differing} of ${all.size} syscalls used ` +
      `(${(first.wallMs / 1000).toFixed(1)} s and ${(second.wallMs / 1000).toFixed(1)} s, ${attempts(a)} and ${attempts(b)} attempts)`,
  );
  for (const d of [...disagreements, ...onlyInB]) console.log(`       differs: ${d}`);
  // Why: each analysis' experiments on the syscalls that differ.
  const names = new Set([...disagreements, ...onlyInB].map((d) => d.split(':')[0]!));
  for (const [label, report] of [['first', a], ['second', b]] as const) {
    for (const e of report.experiments.filter((x) => names.has(x.id.split(':')[1] ?? ''))) {
      console.log(`       ${label}: ${e.id} ${e.verdict} after ${e.attempts} attempt(s), ${e.durationMs} ms${e.reason ? ` — ${e.reason}` : ''}${e.stoppedBecause ? ` [${e.stoppedBecause}]` : ''}`);
    }
  }
}

/** Experiments actually run (verdicts inferred from a group that worked are not runs). */
const runsOf = (report: ExploreReport): number => report.experiments.filter((e) => e.attempts > 0).length;

function compareGroupTesting(example: Example): void {
  const single = explore(example, ['--no-group-testing']);
  const grouped = explore(example, []);
  const classes = new Map(single.report.syscalls.map((s) => [s.name, s.class]));
  const differing = grouped.report.syscalls.filter((s) => classes.get(s.name) !== s.class).map((s) => `${s.name}: ${classes.get(s.name) ?? 'unused'} one at a time, ${s.class} grouped`);
  const g = grouped.report.groupTesting!;
  console.log(
    `${example.name.padEnd(6)} one at a time: ${runsOf(single.report)} runs, ${(single.wallMs / 1000).toFixed(2)} s; grouped: ${runsOf(grouped.report)} runs, ${(grouped.wallMs / 1000).toFixed(2)} s ` +
      `(${g.runsSaved} of ${g.oneAtATimeRuns} syscall runs saved, ${g.groupRuns} group runs, ${g.interactions.length} interactions); ` +
      `classes identical on ${grouped.report.syscalls.length - differing.length} of ${grouped.report.syscalls.length}`,
  );
  for (const d of differing) console.log(`       differs: ${d}`);
}

/**
 * The cost of one feature, paired: each pair runs the example with the feature and without it
 * (`offArgs`) in turn, so a drift of the machine's speed hits both; prints the median of the
 * paired wall-time ratios.
 */
function pairedCost(example: Example, runs: number, feature: string, offArgs: readonly string[], note: (report: ExploreReport) => string): void {
  const withWalls: number[] = [];
  const withoutWalls: number[] = [];
  const ratios: number[] = [];
  let report: ExploreReport | undefined;
  for (let i = 0; i < runs; i++) {
    const measured = explore(example);
    const plain = explore(example, [...defaultExtra, ...offArgs]);
    report = measured.report;
    withWalls.push(measured.wallMs);
    withoutWalls.push(plain.wallMs);
    ratios.push(measured.wallMs / plain.wallMs);
  }
  console.log(
    `${example.name.padEnd(6)} ${feature} cost: wall with/without = ${median(ratios).toFixed(3)} (median of ${runs} pairs: ${ratios.map((r) => r.toFixed(2)).join(', ')})\n` +
      `       with ${(median(withWalls) / 1000).toFixed(2)} s, without ${(median(withoutWalls) / 1000).toFixed(2)} s (medians)${note(report!)}`,
  );
}

const fallbacksNote = (report: ExploreReport): string => {
  const entries = Object.values(report.fallbacks ?? {}).reduce((n, e) => n + Object.keys(e).length, 0);
  return `; ${entries} working perturbations measured` + (report.fallbacksUnavailable ? `; NOT MEASURED: ${report.fallbacksUnavailable}` : '');
};

const groupTestingNote = (report: ExploreReport): string => {
  const g = report.groupTesting;
  return g ? `; ${g.runs} runs instead of ${g.oneAtATimeRuns} (${g.groupRuns} group runs, ${g.splitForFallbacks} split for a fallback)` : '; NOT GROUPED';
};

/** The perf analysis's own cost: wall time over the time its runs' workloads took. */
function perfCost(example: Example): void {
  const { report } = explore(example, ['--perf-analysis', '--perf-runs', values['perf-runs']!]);
  const perf = report.perf!;
  if (perf.error) throw new Error(`perf analysis of ${example.name} failed: ${perf.error}`);
  const overhead = perf.timing.wallMs / perf.timing.benchmarkMs - 1;
  console.log(
    `${example.name.padEnd(6)} perf analysis: ${perf.conditions.length} conditions, ${perf.timing.runs} runs in ${(perf.timing.wallMs / 1000).toFixed(1)} s; ` +
      `workloads ran ${(perf.timing.benchmarkMs / 1000).toFixed(1)} s (${(perf.timing.benchmarkMs / perf.timing.runs).toFixed(0)} ms per run)\n` +
      `       perf overhead beyond the runs themselves: ${(overhead * 100).toFixed(1)}% (bound: 10%)${overhead > 0.1 ? '  EXCEEDED' : ''}; ` +
      `normal analysis before it: ${((report.timing.wallMs - perf.timing.wallMs) / 1000).toFixed(1)} s`,
  );
}

const selected = EXAMPLES.filter((e) => values.only!.split(',').includes(e.name));
for (const example of selected) {
  if (!example.prepare) continue;
  const [command, ...args] = example.prepare;
  const built = spawnSync(command!, args, { cwd: join(PACKAGE_ROOT, example.dir), encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`${example.name}: ${example.prepare.join(' ')} failed:\n${built.stderr}`);
}
if (values['fallbacks-cost']) for (const example of selected) pairedCost(example, Number(values.runs), 'fallbacks', ['--no-fallbacks'], fallbacksNote);
// `--writable /` lets every run write the host's files: no copy-on-write layer at all.
else if (values['isolation-cost']) for (const example of selected) pairedCost(example, Number(values.runs), 'isolation', ['--writable', '/'], () => '');
else if (values['group-testing-cost']) for (const example of selected) pairedCost(example, Number(values.runs), 'group testing', ['--no-group-testing'], groupTestingNote);
else if (values.perf) for (const example of selected.filter((e) => e.name !== 'lua')) perfCost(example);
else if (values['compare-group-testing']) for (const example of selected) compareGroupTesting(example);
else if (values.stability) for (const example of selected) stability(example);
else for (const example of selected) benchmark(example, Number(values.runs));
