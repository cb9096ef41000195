import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { compileC, EXAMPLES, processesMentioning, runLoupe, tempDir, writeScript, forkingServer } from '../helpers/cli.js';
import type { ExploreReport } from '../../src/explore/report.js';
import { parseEventLine, progressOfEvents } from '../../src/explore/events.js';

/**
 * Group testing must give the whole-syscall verdicts of one-at-a-time testing. Each workload is
 * analysed both ways; the classes must be identical. Programs whose verdicts do not depend on
 * load (runs to completion, a forking server judged on its answers) are used, so that a
 * difference can only come from the grouping. The bundled servers (nginx, redis) are compared by
 * `npm run bench -- --compare-group-testing --only nginx,redis`.
 */

interface Workload {
  name: string;
  args: string[];
  cwd: string;
}

async function analyseWith(args: readonly string[], cwd: string): Promise<ExploreReport> {
  const r = await runLoupe(['explore', '--json', '--disable-static', ...args], { cwd });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as ExploreReport;
}

async function analyse(w: Workload, grouped: boolean): Promise<ExploreReport> {
  const r = await runLoupe(['explore', '--json', '--disable-static', '--events', ...(grouped ? [] : ['--no-group-testing']), ...w.args], { cwd: w.cwd });
  assert.equal(r.code, 0, `${w.name}${grouped ? ' (grouped)' : ''}: ${r.stderr}`);
  const report = JSON.parse(r.stdout) as ExploreReport;
  // Progress counts verdicts: in the syscalls phase, one event per planned experiment (run alone
  // or inferred from a group), and the group runs on top, marked as such.
  const lines = r.stderr.split('\n');
  const start = lines.findIndex((l) => { const e = parseEventLine(l); return e?.event === 'phase' && e.phase === 'syscalls'; });
  const next = lines.findIndex((l, i) => i > start && parseEventLine(l)?.event === 'phase');
  const phaseLines = lines.slice(0, next === -1 ? undefined : next);
  const phaseEvents = phaseLines.slice(start + 1).map(parseEventLine).flatMap((e) => (e?.event === 'experiment' ? [e] : []));
  const progress = progressOfEvents(phaseLines.join('\n'));
  assert.deepEqual(phaseEvents.filter((e) => e.group !== true).map((e) => e.id).sort(), report.experiments.filter((e) => /^(stub|fake):/.test(e.id)).map((e) => e.id).sort());
  assert.equal(progress.done, progress.planned, `${w.name}: every planned verdict is reported once`);
  assert.equal(phaseEvents.filter((e) => e.group === true).length, report.groupTesting?.groupRuns ?? 0);
  return report;
}

const classes = (report: ExploreReport): Record<string, string> => Object.fromEntries(report.syscalls.map((s) => [s.name, s.class]));
const runs = (report: ExploreReport): number => report.experiments.filter((e) => e.attempts > 0).length;

async function compare(w: Workload): Promise<{ single: ExploreReport; grouped: ExploreReport }> {
  const single = await analyse(w, false);
  const grouped = await analyse(w, true);
  assert.deepEqual(classes(grouped), classes(single), `${w.name}: classes grouped and one at a time`);
  const g = grouped.groupTesting!;
  assert.ok(g, 'the report says what group testing did');
  assert.equal(g.oneAtATimeRuns, single.used.length * 2);
  assert.equal(g.runsSaved, g.oneAtATimeRuns - g.runs);
  assert.equal(runs(grouped), g.runs, 'every run is in the experiments');
  assert.equal(single.groupTesting, undefined);
  // Every syscall still has a stub and a fake record: run alone, or inferred from a group that worked.
  for (const e of grouped.experiments.filter((x) => x.inferredFrom !== undefined)) {
    assert.equal(e.attempts, 0);
    assert.equal(grouped.experiments.find((x) => x.id === e.inferredFrom)?.verdict, 'works', `${e.id} inferred from a working group`);
  }
  return { single, grouped };
}

test('group testing: the C programs with known verdicts get the same classes, in fewer runs', async () => {
  const dir = tempDir('groups');
  const script = writeScript(dir, 'test.sh', `grep -q '^ok' "$1"`);
  for (const source of ['known-verdicts.c', 'pseudo-files.c']) {
    const prog = compileC(source, dir);
    const { grouped } = await compare({ name: source, args: ['-b', prog, '-t', script, '--test-sequential'], cwd: dir });
    assert.ok(grouped.groupTesting!.runsSaved > 0, `${source}: runs saved`);
  }
});

test('group testing: an interaction (a group fails, each member works alone) is found by the split', async () => {
  const dir = tempDir('interaction');
  const prog = compileC('interaction.c', dir);
  const script = writeScript(dir, 'test.sh', `grep -qx ok "$1"`);
  const { grouped } = await compare({ name: 'interaction.c', args: ['-b', prog, '-t', script, '--test-sequential'], cwd: dir });
  const c = classes(grouped);
  assert.equal(c.madvise, 'both');
  assert.equal(c.sysinfo, 'both');
  const found = grouped.groupTesting!.interactions.filter((i) => i.treatment === 'stub' && i.syscalls.includes('madvise') && i.syscalls.includes('sysinfo'));
  assert.equal(found.length, 1, JSON.stringify(grouped.groupTesting!.interactions));

  // An earlier analysis' dyn.csv as priors: the same classes again.
  const first = await runLoupe(['explore', '--disable-static', '-q', '--out', join(dir, 'first'), '-b', prog, '-t', script, '--test-sequential'], { cwd: dir });
  assert.equal(first.code, 0, first.stderr);
  const again = await analyseWith(['--priors', join(dir, 'first', 'dyn.csv'), '-b', prog, '-t', script, '--test-sequential'], dir);
  assert.deepEqual(classes(again), classes(grouped));
  assert.ok(again.groupTesting!.runsSaved > 0);
  const bad = await runLoupe(['explore', '--priors', join(dir, 'test.sh'), '-b', prog, '-t', script, '--test-sequential'], { cwd: dir });
  assert.equal(bad.code, 3, 'a priors file that is not a dyn.csv is bad input');
  assert.match(bad.stderr, /cannot read the priors file: .*test\.sh:\d+: 5 fields expected/);
});

test('group testing: a forking server on a fixed port gets the same classes', async () => {
  const dir = tempDir('groups-server');
  const { prog, script } = forkingServer(dir);
  await compare({ name: 'forking-server.c', args: ['-b', prog, '-t', script, '--timeout', '10', '--', '7777'], cwd: dir });
  assert.deepEqual(processesMentioning(dir), []);
});

test('lua example: same classes grouped; the spinning fake write is run twice only if load may explain it, and the JSON says why', async () => {
  const { single, grouped } = await compare({ name: 'lua', args: ['-b', 'lua5.4', '-t', './test.sh', '--test-sequential', '--', 'hello.lua'], cwd: join(EXAMPLES, 'lua') });
  assert.ok(grouped.groupTesting!.runsSaved > 0);
  for (const report of [single, grouped]) {
    const fakeWrite = report.experiments.find((e) => e.id === 'fake:write')!;
    assert.equal(fakeWrite.verdict, 'broken');
    // Run twice only if working runs were so slow (a loaded machine) that load may explain the hang.
    if (fakeWrite.attempts === 1) assert.match(fakeWrite.stoppedBecause ?? '', /load cannot explain it|spinning/);
    else assert.match(fakeWrite.retries?.[0] ?? '', /load may explain it/);
    for (const e of report.experiments.filter((x) => x.attempts > 1)) assert.equal(e.retries?.length, e.attempts - 1, `${e.id}: one reason per retry`);
  }
});
