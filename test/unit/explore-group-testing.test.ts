import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupExperiment, planGroups, runGroupTested, ALONE_BELOW, MAX_GROUP } from '../../src/explore/group-testing.js';
import { splitFailures, largestWorkingSet } from '../../src/explore/final-check.js';
import { planSyscallExperiments } from '../../src/explore/plan.js';
import { earlierVerdicts, expectedRunMs, isHangProne, longestFirst, priorWorks } from '../../src/explore/priors.js';
import { runPool } from '../../src/core/pool.js';
import type { Experiment, ExperimentResult, JudgeSettings, Workload } from '../../src/explore/experiment.js';
import { X86_64 } from '../../src/syscalls/table.js';

const workload: Workload = { program: '/bin/true', args: [], cwd: '/', sequential: true, timeoutMs: 1000 };
const judge: JudgeSettings = { attempts: 2, inconclusiveRetries: 3, readyListeners: 0, readyWaitMs: 0, hangLimitMs: 1000 };
const nr = (name: string): number => X86_64.number(name)!;
const USED = ['read', 'write', 'close', 'mmap', 'brk', 'munmap', 'rseq', 'set_robust_list', 'set_tid_address', 'getrandom', 'prlimit64', 'access', 'exit_group', 'getppid', 'sched_yield'].map(nr);
const plan = planSyscallExperiments(USED, X86_64, workload, judge);

test('splitFailures isolates every failing element and keeps working chunks', async () => {
  const tested: number[][] = [];
  const { passed, failed } = await splitFailures([1, 2, 3, 4, 5, 6, 7, 8], async (chunk) => {
    tested.push([...chunk]);
    return !chunk.includes(3) && !chunk.includes(8);
  });
  assert.deepEqual(failed, [3, 8]);
  assert.deepEqual(passed.flat().sort(), [1, 2, 4, 5, 6, 7]);
  assert.ok(tested.length < 16, `fewer tests than two per element: ${tested.length}`);
  // The final check keeps its behaviour on top of it.
  assert.deepEqual(await largestWorkingSet([1, 2, 3, 4], async (set) => !set.includes(3)), [1, 2, 4]);
});

test('groups hold one treatment each; likely-required and hang-prone syscalls run alone', () => {
  const groups = planGroups(plan);
  assert.deepEqual(groups.flat().map((p) => p.experiment.id).sort(), plan.map((p) => p.experiment.id).sort(), 'every experiment in exactly one group');
  for (const g of groups) {
    assert.equal(new Set(g.map((p) => p.action)).size, 1);
    assert.ok(g.length <= MAX_GROUP);
    if (g.length > 1) {
      for (const p of g) {
        assert.ok(priorWorks(p.syscall!, p.action) >= ALONE_BELOW, `${p.experiment.id} is likely to work`);
        assert.ok(!isHangProne(p.syscall!, p.action));
      }
    }
  }
  const alone = (id: string): boolean => groups.some((g) => g.length === 1 && g[0]!.experiment.id === id);
  assert.ok(alone('stub:read') && alone('fake:mmap'), 'the database says these are nearly always required');
  assert.ok(alone('fake:write'), 'faking write makes stdio spin');
  assert.ok(groups.some((g) => g.length > 1), 'some syscalls are grouped');
  assert.deepEqual(planGroups(plan), groups, 'deterministic, for the journal');
  const exp = groupExperiment(groups.find((g) => g.length > 1)!);
  assert.match(exp.id, /^group:(stub|fake):[a-z_0-9]+(,[a-z_0-9]+)+$/);
  assert.equal(exp.perturbation.rules.length, groups.find((g) => g.length > 1)!.length);
});

/** A workload model: the syscalls whose perturbation breaks it alone, and pairs that break it only together. */
function simulate(required: Set<string>, interacting: [string, string][]): (exp: Experiment) => Promise<ExperimentResult> {
  return async (exp) => {
    const perturbed = new Set(exp.perturbation.rules.map((r) => `${r.action}:${X86_64.name(r.nr)}`));
    const broken = [...perturbed].some((p) => required.has(p)) || interacting.some(([a, b]) => perturbed.has(a) && perturbed.has(b));
    return { id: exp.id, verdict: broken ? 'broken' : 'works', attempts: 1, durationMs: 1, workloadMs: 1 };
  };
}

test('group testing gives the verdicts of one-at-a-time testing, in fewer runs, and finds interactions', async () => {
  const required = new Set(['stub:read', 'fake:read', 'stub:write', 'fake:write', 'stub:mmap', 'fake:mmap', 'stub:close', 'fake:getrandom']);
  const interacting: [string, string][] = [['stub:rseq', 'stub:set_robust_list']];
  const run = simulate(required, interacting);
  const results = new Map<string, ExperimentResult>();
  const summary = await runGroupTested(plan, {
    run: async (exp) => {
      const r = await run(exp);
      results.set(r.id, r);
      return r;
    },
    record: (r) => results.set(r.id, r),
    pool: async (tasks) => void (await runPool(tasks, (t) => t(), { jobs: 3, stopOnFirstError: true })),
    cost: { sequential: true, baselineMs: 50, limitMs: 1000 },
  });
  for (const p of plan) {
    const expected = (await run(p.experiment)).verdict;
    assert.equal(results.get(p.experiment.id)?.verdict, expected, p.experiment.id);
  }
  assert.equal(summary.oneAtATimeRuns, plan.length);
  assert.ok(summary.runs < plan.length, `runs ${summary.runs} < ${plan.length}`);
  assert.equal(summary.runsSaved, plan.length - summary.runs);
  assert.ok(summary.inferred > 0);
  const inferred = [...results.values()].filter((r) => r.inferredFrom !== undefined);
  assert.equal(inferred.length, summary.inferred);
  assert.ok(inferred.every((r) => r.verdict === 'works' && r.attempts === 0 && results.get(r.inferredFrom!)?.verdict === 'works'));
  // rseq and set_robust_list each work stubbed alone but not together: if they shared a group, the split found it.
  const together = planGroups(plan).some((g) => ['stub:rseq', 'stub:set_robust_list'].every((id) => g.some((p) => p.experiment.id === id)));
  assert.ok(together, 'the fixture puts the interacting pair in one group');
  assert.equal(summary.interactions.length, 1);
  assert.equal(summary.interactions[0]!.treatment, 'stub');
  assert.ok(['rseq', 'set_robust_list'].every((name) => summary.interactions[0]!.syscalls.includes(name)), summary.interactions[0]!.syscalls.join(' '));
});

test('a working group that made the application execute another syscall is split until that syscall has a run of its own', async () => {
  const results = new Map<string, ExperimentResult>();
  const run = simulate(new Set(), []);
  // Stubbing getrandom makes the program fall back to reading /dev/urandom: it executes openat.
  const fallsBack = (exp: Experiment): boolean => exp.perturbation.rules.some((r) => r.action === 'stub' && r.nr === nr('getrandom'));
  const summary = await runGroupTested(plan, {
    run: async (exp) => {
      const r = { ...(await run(exp)), executed: fallsBack(exp) ? [nr('openat')] : [] };
      results.set(r.id, r);
      return r;
    },
    record: (r) => results.set(r.id, r),
    pool: async (tasks) => void (await runPool(tasks, (t) => t(), { jobs: 2, stopOnFirstError: true })),
    cost: { sequential: true, baselineMs: 50, limitMs: 1000 },
    addsSyscalls: (r) => (r.executed ?? []).length > 0,
  });
  const own = results.get('stub:getrandom')!;
  assert.equal(own.inferredFrom, undefined, 'stub:getrandom ran alone');
  assert.equal(own.attempts, 1);
  assert.ok(summary.splitForFallbacks >= 1);
  assert.equal(summary.interactions.length, 0, 'a split for a fallback is no interaction');
  // Every other verdict is still known, most of them from groups without getrandom stubbed.
  for (const p of plan) assert.equal(results.get(p.experiment.id)?.verdict, 'works', p.experiment.id);
  const inferredFrom = [...results.values()].flatMap((r) => (r.inferredFrom ? [r.inferredFrom] : []));
  assert.ok(inferredFrom.length > 0 && inferredFrom.every((id) => !/^group:stub:.*\bgetrandom\b/.test(id)), inferredFrom.join(' '));
});

test('longest expected first: likely hangs lead, ties keep their order', () => {
  const cost = { sequential: true, baselineMs: 50, limitMs: 1000 };
  const ordered = longestFirst(plan, (p) => expectedRunMs(p.experiment.perturbation.rules, cost)).map((p) => p.experiment.id);
  assert.equal(ordered[0], 'fake:write');
  assert.ok(expectedRunMs([{ nr: nr('write'), action: 'fake' }], cost) > 10 * expectedRunMs([{ nr: nr('getppid'), action: 'stub' }], cost));
  assert.deepEqual(longestFirst(['a', 'b', 'c'], () => 1), ['a', 'b', 'c']);
});

test("an earlier analysis' verdicts outweigh the database's", () => {
  const earlier = earlierVerdicts([
    { nr: nr('read'), used: true, fakeOnly: false, stubOnly: true, both: false },
    { nr: nr('brk'), used: true, fakeOnly: false, stubOnly: false, both: false },
    { nr: nr('write'), used: false, fakeOnly: false, stubOnly: false, both: false },
  ]);
  assert.ok(priorWorks(nr('read'), 'stub') < 0.1 && priorWorks(nr('read'), 'stub', earlier) > 0.9);
  assert.ok(priorWorks(nr('read'), 'fake', earlier) < 0.1);
  assert.ok(priorWorks(nr('brk'), 'stub', earlier) < 0.1);
  assert.equal(priorWorks(nr('write'), 'stub', earlier), priorWorks(nr('write'), 'stub'), 'unused rows say nothing');
  const groups = planGroups(plan, earlier);
  assert.ok(groups.some((g) => g.length > 1 && g.some((p) => p.experiment.id === 'stub:read')), 'read worked stubbed before: grouped');
  assert.ok(groups.some((g) => g.length === 1 && g[0]!.experiment.id === 'stub:brk'), 'brk broke before: alone');
});
