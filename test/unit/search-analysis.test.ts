import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rowFromVerdicts } from '../../src/db/csv.js';
import { combineUsage, sortedNumbers, usageOfRun, type Usage } from '../../src/analysis/usage.js';
import { densestUnlock } from '../../src/analysis/densest-unlock.js';
import { appsAt, meanAppsRunning, planSupport } from '../../src/analysis/support-plan.js';
import { compatScore } from '../../src/analysis/compat-score.js';
import { parseOsList } from '../../src/db/reader.js';

/** A usage from [nr, works stubbed, works faked] verdicts. */
function usage(...verdicts: [number, boolean, boolean][]): Usage {
  return usageOfRun({ dyn: verdicts.map(([nr, stub, fake]) => rowFromVerdicts(nr, stub, fake)) });
}

const REQ = [false, false] as const;
const STUB = [true, false] as const;
const FAKE = [false, true] as const;
const BOTH = [true, true] as const;

test('combining: required wins, a class must hold for every user, stub vs fake disagreement is required', () => {
  const a = usage([1, ...REQ], [2, ...BOTH], [3, ...STUB], [4, ...BOTH], [5, ...STUB]);
  const b = usage([1, ...BOTH], [2, ...STUB], [3, ...STUB], [4, ...FAKE], [5, ...FAKE], [6, ...BOTH]);
  const c = combineUsage([a, b]);
  assert.deepEqual(sortedNumbers(c.required), [1, 5]);
  assert.deepEqual(sortedNumbers(c.conflicting), [5]);
  assert.deepEqual(sortedNumbers(c.stubOnly), [2, 3]);
  assert.deepEqual(sortedNumbers(c.fakeOnly), [4]);
  assert.deepEqual(sortedNumbers(c.both), [6]);
  assert.deepEqual(sortedNumbers(c.used), [1, 2, 3, 4, 5, 6]);
  assert.equal(c.staticBinary, undefined);
});

test('static results combine by union over the members that have them', () => {
  const a = usageOfRun({ staticBinary: [1, 2] });
  const b = usageOfRun({ staticBinary: [2, 3], staticSources: [9] });
  const c = combineUsage([a, b, usageOfRun({})]);
  assert.deepEqual(sortedNumbers(c.staticBinary!), [1, 2, 3]);
  assert.deepEqual(sortedNumbers(c.staticSources!), [9]);
});

test('densest unlock finds the best ratio of applications to syscalls, smallest such group', () => {
  // {10} unlocks 1 (ratio 1); {1,2} unlocks 3 apps (1.5); {1,2,3} unlocks 4 (1.33).
  const groups = [new Set([1, 2]), new Set([1]), new Set([2, 1]), new Set([1, 2, 3]), new Set([10])];
  assert.deepEqual(densestUnlock(groups), [0, 1, 2]);
  assert.deepEqual(densestUnlock([new Set([5])]), [0]);
});

test('greedy plan: apps needing nothing first, ties by name, a treatment decided once', () => {
  const apps = [
    { name: 'zeta', usage: usage([1, ...REQ], [7, ...STUB]) },
    { name: 'alpha', usage: usage([2, ...REQ], [7, ...BOTH]) },
    { name: 'beta', usage: usage([1, ...REQ], [7, ...FAKE]) },
    { name: 'ready', usage: usage([1, ...STUB]) },
    { name: 'native', usage: usage([0, ...REQ]) },
  ];
  const plan = planSupport('greedy', [0], apps);
  assert.deepEqual(plan.supportedWithoutChanges, ['native', 'ready']);
  assert.deepEqual(plan.initialStub, [1]);
  // alpha and beta (then zeta) each miss one syscall: alpha first by name.
  assert.deepEqual(plan.steps[0], { apps: ['alpha'], implement: [2], stub: [7], fake: [] });
  // 1 was stubbed for `ready`; beta and zeta require it. beta also needs 7 faked: implemented instead.
  assert.deepEqual(plan.steps[1], { apps: ['zeta'], implement: [1], stub: [], fake: [] });
  assert.deepEqual(plan.steps[2], { apps: ['beta'], implement: [7], stub: [], fake: [] });
  assert.deepEqual(plan.curve, [{ implemented: 0, apps: 2 }, { implemented: 1, apps: 3 }, { implemented: 2, apps: 4 }, { implemented: 3, apps: 5 }]);
  assert.equal(appsAt(plan.curve, 2), 4);
  assert.equal(meanAppsRunning(plan.curve, 3), (2 + 3 + 4 + 5) / 4);
});

test('unlock plan beats greedy where one shared set unlocks many applications', () => {
  const apps = [
    { name: 'a-cheap', usage: usage([1, ...REQ]) },
    ...['s1', 's2', 's3', 's4'].map((name) => ({ name, usage: usage([2, ...REQ], [3, ...REQ]) })),
  ];
  const greedy = planSupport('greedy', [], apps);
  const unlock = planSupport('unlock', [], apps);
  assert.deepEqual(greedy.steps.map((s) => s.apps), [['a-cheap'], ['s1', 's2', 's3', 's4']]);
  assert.deepEqual(unlock.steps.map((s) => s.apps), [['s1', 's2', 's3', 's4'], ['a-cheap']]);
  assert.ok(meanAppsRunning(unlock.curve, 3) > meanAppsRunning(greedy.curve, 3));
});

test('compatibility score: runs today, weighted completeness, most valuable missing syscalls', () => {
  const apps = [
    { name: 'a', usage: usage([1, ...REQ], [2, ...REQ]) },
    { name: 'b', usage: usage([1, ...REQ], [3, ...REQ], [4, ...STUB]) },
    { name: 'c', usage: usage([1, ...REQ], [3, ...REQ], [5, ...REQ]) },
  ];
  const score = compatScore('Toy', [1, 2], apps);
  assert.deepEqual(score.runningToday, ['a']);
  assert.equal(score.completeness, 4 / 7);
  assert.deepEqual(score.missing, [{ nr: 3, unlocks: 1, neededBy: 2 }, { nr: 5, unlocks: 0, neededBy: 1 }]);
});

test('OS lists: names mapped through the syscall table, unknown names reported, comments and blanks skipped', () => {
  const os = parseOsList('# my OS\nread\n\nwrite \nfutimensat\nclone3\nread\n', '/x/Mine.syscalls');
  assert.equal(os.name, 'Mine');
  assert.deepEqual(os.supported, [0, 1, 435]);
  assert.deepEqual(os.unknownNames, ['futimensat']);
});
