import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileC, processesMentioning, REPO_ROOT, runLoupe, tempDir, writeScript } from '../helpers/cli.js';
import { runAttempt } from '../../src/explore/attempt.js';
import type { Experiment } from '../../src/explore/experiment.js';
import { ProcessGroups } from '../../src/sandbox/process.js';
import { ResourceMeter } from '../../src/sandbox/resources.js';
import { filterFor } from '../../src/explore/run-experiment.js';
import { X86_64 } from '../../src/syscalls/table.js';
import type { ExploreReport } from '../../src/explore/report.js';
import { parsePerfCsv } from '../../src/db/perf-csv.js';
import Database from 'better-sqlite3';
import { tempRepo } from '../helpers/git-tree.js';

// The benchmark prints a number that depends on nothing, except when close failed (stubbed):
// then it prints garbage, so that one condition fails and the analysis goes on.
const BENCHMARK_SCRIPT = `
grep -q '^ok$' "$1" || exit 1
[ "$2" = benchmark ] || exit 0
if grep -q close-failed "$1"; then echo "n/a"; else echo 1000; fi`;

test('perf analysis: whole-tree memory, CPU and peak descriptors; a failing benchmark fails its condition only', async () => {
  const dir = tempDir('perf');
  const prog = compileC('fd-memory.c', dir, ['-static']);
  const script = writeScript(dir, 'test.sh', BENCHMARK_SCRIPT);
  const out = join(dir, 'out');
  const r = await runLoupe(['explore', '-b', prog, '-t', script, '--test-sequential', '--timeout', '20', '--disable-static',
    '--perf-analysis', '--perf-runs', '2', '--perf-warmup', '0', '--json', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as ExploreReport;
  const perf = report.perf!;
  assert.ok(perf, 'a perf key');
  assert.match(perf.sources.memory, /cgroup v1/);
  // The 16 MiB and the 150 ms of CPU belong to the forked child: only a whole-tree measure sees them.
  assert.ok(perf.baseline.medians.memory >= 16 * 2 ** 20, `memory ${perf.baseline.medians.memory}`);
  assert.ok(perf.baseline.medians.cpu >= 140, `cpu ${perf.baseline.medians.cpu}`);
  // The program's own descriptors only, not the sandbox's: stdin, stdout and stderr in each of
  // its 2 processes, and at times the one the parent opens and closes at once.
  assert.ok(perf.baseline.medians.fds >= 6 && perf.baseline.medians.fds <= 7, `fds ${perf.baseline.medians.fds}`);
  assert.deepEqual(perf.baseline.blocks.map((b) => [b.at, b.samples.length]), [['start', 2], ['middle', 2], ['end', 2]]);

  const fakeClose = perf.conditions.find((c) => c.name === 'close' && c.treatment === 'fake')!;
  assert.ok(fakeClose, 'faking close works for this program and is measured');
  // 200 descriptors left open on top of a few dozen: several-fold, significant and flagged.
  assert.ok(fakeClose.fds!.relative! > 4, JSON.stringify(fakeClose.fds));
  assert.ok(fakeClose.fds!.median >= 200);
  assert.equal(fakeClose.fds!.flagged, true);
  assert.equal(fakeClose.performance!.relative, 1);
  assert.equal(fakeClose.performance!.flagged, false);
  const stubClose = perf.conditions.find((c) => c.name === 'close' && c.treatment === 'stub');
  if (stubClose) {
    assert.equal(stubClose.failure?.kind, 'not-a-number');
    assert.match(stubClose.failure!.message, /"n\/a/);
  }
  // Every condition was measured, failures included; the others have all four figures.
  for (const c of perf.conditions.filter((c) => !c.failure)) for (const m of ['performance', 'fds', 'memory', 'cpu'] as const) assert.ok(c[m], `${c.name} ${m}`);

  const rows = parsePerfCsv(readFileSync(join(out, 'perf.csv'), 'utf8'), 'perf.csv');
  assert.equal(rows.length, perf.conditions.length + 1);
  assert.equal(rows.find((row) => row.name === 'close' && row.treatment === 'fake')!.metrics.fds!.flagged, true);
  assert.ok(existsSync(join(out, 'perf.svg')) && existsSync(join(out, 'perf.png')));
  assert.ok(existsSync(join(out, 'dyn.csv')));
  assert.deepEqual(processesMentioning(dir), []);
});

for (const [what, body, kind, status] of [
  ['no benchmark mode', `exit 0`, /no-number.*printed nothing/s, 'failed:no-number'],
  ['several numbers', `[ "$2" = benchmark ] && echo 1 2 3; exit 0`, /several-numbers.*3 numbers.*"1 2 3/s, 'failed:several-numbers'],
  ['a hanging benchmark', `[ "$2" = benchmark ] && sleep 60; exit 0`, /script-failed.*still running at the limit/s, 'failed:script-failed'],
] as const) {
  test(`perf analysis, ${what}: a named error, the normal analysis kept, exit status 1`, async () => {
    const dir = tempDir('perf-bad');
    const script = writeScript(dir, 'test.sh', body);
    const out = join(dir, 'out');
    const started = Date.now();
    // /bin/true: few syscalls, so the normal analysis before the perf analysis is short.
    const r = await runLoupe(['explore', '-b', '/bin/true', '-t', script, '--test-sequential', '--timeout', '3', '--disable-static', '--perf-analysis', '--perf-runs', '2', '--out', out]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /perf analysis: the baseline's benchmark failed/);
    assert.match(r.stderr, kind);
    assert.ok(existsSync(join(out, 'dyn.csv')), 'the normal analysis is written');
    // Nothing was measured to be relative to: the relative cells are empty.
    assert.match(readFileSync(join(out, 'perf.csv'), 'utf8'), new RegExp(`^,,baseline,${status},,,,,`, 'm'));
    if (what === 'a hanging benchmark') assert.ok(Date.now() - started < 60_000, 'bounded by --timeout');
    assert.deepEqual(processesMentioning(dir), []);
  });
}

test('generate --perf-analysis stores data/perf.csv; search --show-perf and the SQLite export read it', async () => {
  // /bin/true and a constant benchmark: few syscalls, so few conditions; what is checked is the
  // path from the replica to the database, search and SQLite (the figures are checked above).
  const dir = tempDir('perf-db');
  writeScript(dir, 'test.sh', `[ "$2" = benchmark ] && echo 1000; exit 0`);
  const db = tempRepo();
  const gen = await runLoupe(['generate', '-db', db, '-a', 'truth', '-b', '-w', 'self', '-t', 'test.sh', '--test-sequential', '--timeout', '20',
    '--disable-static', '--replicas', '2', '--perf-analysis', '--perf-runs', '2', '--perf-warmup', '0', '--commit', '--json', '--', '/bin/true'], { cwd: dir });
  assert.equal(gen.code, 0, gen.stderr);
  const outcome = JSON.parse(gen.stdout);
  const folder = join(db, 'truth/benchmark-self', outcome.run);
  const rows = parsePerfCsv(readFileSync(join(folder, 'data/perf.csv'), 'utf8'), 'perf.csv');
  assert.ok(rows.length > 5 && rows[0]!.treatment === 'baseline');
  assert.match(readFileSync(join(folder, 'explore.logs'), 'utf8'), /Sources: memory cgroup v1/, 'the perf table and its sources are in the logs');
  const record = JSON.parse(readFileSync(join(folder, 'environment.json'), 'utf8')) as { command: { explore: string[] } };
  assert.deepEqual(record.command.explore.filter((arg) => arg.startsWith('--perf')), [], 'perf options are not part of the run\'s record');

  const show = await runLoupe(['search', '-db', db, '-a', 'truth', '--show-perf', '--json']);
  assert.equal(show.code, 0, show.stderr);
  const [entry] = JSON.parse(show.stdout) as { application: string; baseline: { performance: number }; conditions: { name: string; treatment: string; metrics: { performance?: { relative: number } } }[] }[];
  assert.equal(entry!.application, 'truth');
  assert.equal(entry!.baseline.performance, 1000);
  assert.equal(entry!.conditions.length, rows.length - 1);
  assert.ok(entry!.conditions.every((c) => c.metrics.performance?.relative === 1));
  const text = await runLoupe(['search', '-db', db, '-a', 'truth', '--show-perf']);
  assert.match(text.stdout, /^\| System call +\| Treatment \| Performance/m);
  assert.match(text.stdout, /Baseline \(median\): benchmark 1000, /);

  const sqlite = join(dir, 'loupe.sqlite');
  const exp = await runLoupe(['search', '-db', db, '--export-sqlite', sqlite]);
  assert.equal(exp.code, 0, exp.stderr);
  const sql = new Database(sqlite, { readonly: true });
  const count = sql.prepare("SELECT COUNT(*) AS n FROM perf_results p JOIN runs r ON r.id = p.run_id WHERE r.path LIKE 'truth/%' AND metric = 'performance'").get() as { n: number };
  const flagged = sql.prepare("SELECT COUNT(*) AS n FROM flagged_perf_impacts WHERE application = 'truth' AND metric = 'performance'").get() as { n: number };
  sql.close();
  assert.equal(count.n, rows.length);
  assert.equal(flagged.n, 0, 'a constant benchmark flags nothing');
});

test('without cgroups, memory and CPU time of the whole tree are sampled from /proc', async () => {
  const dir = tempDir('perf-sampled');
  const prog = compileC('fd-memory.c', dir, ['-static']);
  const meter = new ResourceMeter('sampled', false);
  assert.deepEqual(meter.joinPrefix, [], 'no cgroup to join');
  const groups = new ProcessGroups();
  const exp: Experiment = {
    id: 'baseline', description: 'baseline', perturbation: { rules: [] },
    workload: { program: prog, args: [], cwd: dir, sequential: true, timeoutMs: 20_000 },
    judge: { attempts: 1, inconclusiveRetries: 0, readyListeners: 0, readyWaitMs: 0 },
  };
  const outcome = await runAttempt(exp, {
    groups, launcher: join(REPO_ROOT, 'dist/bin/loupe-launch'), isolateHelper: join(REPO_ROOT, 'dist/bin/loupe-isolate'), workDir: dir, dir,
    filter: filterFor([], X86_64), observer: meter,
  });
  const resources = await meter.finish();
  assert.equal(outcome.verdict, 'works', outcome.reason);
  assert.equal(resources.memorySource, 'sampled-rss');
  assert.equal(resources.cpuSource, 'sampled');
  // The child holds 16 MiB and spins 150 ms for 200 ms: sampling every 50 ms sees both.
  assert.ok(resources.peakMemoryBytes >= 16 * 2 ** 20, `memory ${resources.peakMemoryBytes}`);
  assert.ok(resources.cpuMs >= 100, `cpu ${resources.cpuMs}`);
  assert.ok(resources.peakFds >= 3 && resources.samples >= 3, JSON.stringify(resources));
  await groups.killAll();
  assert.deepEqual(processesMentioning(dir), []);
});
