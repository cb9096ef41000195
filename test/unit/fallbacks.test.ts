import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareFallbackKeys, fallbackKey, parseFallbackKey, type Fallbacks } from '../../src/core/fallbacks.js';
import { computeFallbacks, computeGroupFallbacks, describeFallbacks, formatFallbackSection } from '../../src/explore/fallbacks.js';
import { formatFallbacksCsv, parseFallbacksCsv, FALLBACKS_CSV_HEADER } from '../../src/db/fallbacks-csv.js';
import { CsvFormatError, rowFromVerdicts } from '../../src/db/csv.js';
import { mergeFallbacks } from '../../src/generate/merge.js';
import { parseTaken } from '../../src/trace/syscall-counter.js';
import { combineUsage, missingSyscalls, sortedNumbers, usageOfRun, type Usage } from '../../src/analysis/usage.js';
import { planSupport } from '../../src/analysis/support-plan.js';
import { compatScore } from '../../src/analysis/compat-score.js';
import { X86_64 } from '../../src/syscalls/table.js';

const CLONE = 56;
const CLONE3 = 435;
const FUTEX = 202;
const READ = 0;
const WRITE = 1;

test('keys: whole syscall by number, sub-features by argument value or bit, and back', () => {
  assert.equal(fallbackKey({ nr: 435 }), '435');
  assert.equal(fallbackKey({ nr: 16, argIndex: 1, value: '21505' }), '16/1=21505');
  assert.equal(fallbackKey({ nr: 9, argIndex: 3, value: '32', bit: true }), '9/3&32');
  for (const key of ['435', '16/1=21505', '9/3&32']) assert.equal(fallbackKey(parseFallbackKey(key)!), key);
  assert.equal(parseFallbackKey('clone3'), undefined);
  assert.deepEqual(['9/3&32', '435', '9', '16/1=21505'].sort(compareFallbackKeys), ['9', '9/3&32', '16/1=21505', '435']);
});

test('computeFallbacks: added against discovery and the baseline, dropped only what both executed, every run must agree', () => {
  const discovery = [READ, WRITE, FUTEX, CLONE3];
  // The baseline did not need futex (no contention): futex is noise, never reported dropped.
  const baseline = new Set([READ, WRITE, CLONE3, 231]);
  const fallbacks = computeFallbacks(discovery, baseline, [
    { target: { nr: CLONE3 }, treatment: 'stub', executed: [new Set([READ, WRITE, CLONE]), new Set([READ, WRITE, CLONE, 39])] },
    // 231 (in the baseline only) is no fallback; 39 in one run of two is chance.
    { target: { nr: WRITE }, treatment: 'fake', executed: [new Set([READ, CLONE3, 231])] },
    { target: { nr: 16, argIndex: 1, value: '21505' }, treatment: 'stub', executed: [new Set(discovery)] },
  ]);
  assert.deepEqual(fallbacks, {
    [WRITE]: { fake: { added: [], dropped: [WRITE] } },
    [CLONE3]: { stub: { added: [CLONE], dropped: [CLONE3] } },
    '16/1=21505': { stub: { added: [], dropped: [] } },
  });
  // JavaScript lists integer keys first: whole syscalls, then sub-features.
  assert.deepEqual(Object.keys(fallbacks), ['1', '435', '16/1=21505']);
});

test('computeFallbacks: a syscall the runs of one experiment disagree on is nobody\'s fallback or drop', () => {
  const discovery = [READ, WRITE, FUTEX, CLONE3];
  const baseline = new Set(discovery);
  const fallbacks = computeFallbacks(discovery, baseline, [
    // futex: in one run of this experiment and not in the other (pthread_join waited once).
    { target: { nr: WRITE }, treatment: 'fake', executed: [new Set([READ, FUTEX, CLONE3, 39]), new Set([READ, CLONE3])] },
    // Both runs of this one skipped futex: alone, that would read as a drop.
    { target: { nr: CLONE3 }, treatment: 'stub', executed: [new Set([READ, WRITE, CLONE]), new Set([READ, WRITE, CLONE])] },
    // The perturbed syscall's own drop stays, even when its use varies elsewhere.
    { target: { nr: FUTEX }, treatment: 'fake', executed: [new Set([READ, WRITE, CLONE3])] },
  ]);
  assert.deepEqual(fallbacks, {
    [WRITE]: { fake: { added: [], dropped: [WRITE] } },
    [FUTEX]: { fake: { added: [], dropped: [FUTEX] } },
    [CLONE3]: { stub: { added: [CLONE], dropped: [CLONE3] } },
  });
});

test('group runs: what a working group changed belongs to the group, its members\' own drops included; the summary says so', () => {
  const discovery = [READ, WRITE, FUTEX, CLONE3, 318];
  const baseline = new Set(discovery);
  const groups = computeGroupFallbacks(discovery, baseline, [
    { treatment: 'stub', syscalls: [WRITE, 318], executed: [new Set([READ, FUTEX, CLONE3, 228]), new Set([READ, CLONE3, 228])] },
    { treatment: 'fake', syscalls: [READ, WRITE], executed: [new Set([FUTEX, CLONE3, 318])] },
  ], new Set([FUTEX]));
  assert.deepEqual(groups, [
    { treatment: 'stub', syscalls: [WRITE, 318], added: [228], dropped: [WRITE, 318] },
    { treatment: 'fake', syscalls: [READ, WRITE], added: [], dropped: [READ, WRITE] },
  ]);
  const lines = formatFallbackSection({ fallbacks: {}, fallbackGroups: groups, fallbacksVarying: [FUTEX], subfeatures: [] });
  assert.deepEqual(lines.slice(2), [
    '  4 verdicts inferred from 2 group runs; a group run that made the application execute another syscall was split, what one stops calling is measured for the group:',
    '    stub together (write, getrandom): works, falls back to clock_gettime',
    '  left out, as two runs of one experiment disagreed on them: futex',
  ]);
});

test('the human summary names fallbacks and drops, never the perturbed syscall\'s own drop', () => {
  const lines = describeFallbacks(
    {
      [CLONE3]: { stub: { added: [CLONE], dropped: [CLONE3] } },
      [WRITE]: { fake: { added: [], dropped: [WRITE] } },
      '16/1=21505': { fake: { added: [], dropped: [16] } },
    },
    X86_64,
    new Map([['16/1=21505', 'TCGETS']]),
  );
  assert.deepEqual(lines, ['clone3: stub works, falls back to clone', 'ioctl(TCGETS): fake works, stops calling ioctl']);
});

test('fallbacks.csv: documented header, round trip, and errors that name file and line', () => {
  const fallbacks: Fallbacks = {
    [CLONE3]: { stub: { added: [CLONE], dropped: [CLONE3] } },
    '16/1=21505': { stub: { added: [], dropped: [] }, fake: { added: [7, 232], dropped: [] } },
    '9/3&32': { fake: { added: [], dropped: [9] } },
  };
  const text = formatFallbacksCsv(fallbacks);
  assert.equal(text.split('\n')[0], FALLBACKS_CSV_HEADER);
  assert.match(text, /^435,,,,stub,56,435$/m);
  assert.match(text, /^16,1,value,21505,fake,7 232,$/m);
  assert.match(text, /^9,3,bit,32,fake,,9$/m);
  assert.deepEqual(text.split('\n').slice(1, -1).map((l) => l.split(',')[0]), ['9', '16', '16', '435'], 'rows in syscall order');
  assert.deepEqual(parseFallbacksCsv(text, 'f.csv'), fallbacks);
  assert.throws(() => parseFallbacksCsv(`${FALLBACKS_CSV_HEADER}\n435,,,,stub,clone,\n`, 'f.csv'), (e: unknown) => e instanceof CsvFormatError && /f\.csv:2: not a syscall number: clone/.test(e.message));
  assert.throws(() => parseFallbacksCsv('435,,,,ignore,,\n', 'f.csv'), /f\.csv:1: treatment must be stub or fake/);
  assert.throws(() => parseFallbacksCsv('16,1,,21505,stub,,\n', 'f.csv'), /f\.csv:1: a sub-feature needs/);
  assert.throws(() => parseFallbacksCsv('435,stub,56\n', 'f.csv'), /f\.csv:1: expected 7 fields/);
});

test('replica merge: added united, dropped intersected, replicas without data left out', () => {
  const a: Fallbacks = { [CLONE3]: { stub: { added: [CLONE], dropped: [CLONE3, FUTEX] } } };
  const b: Fallbacks = { [CLONE3]: { stub: { added: [CLONE, 39], dropped: [CLONE3] } }, [WRITE]: { fake: { added: [], dropped: [WRITE] } } };
  assert.deepEqual(mergeFallbacks([a, undefined, b]), {
    [WRITE]: { fake: { added: [], dropped: [WRITE] } },
    [CLONE3]: { stub: { added: [39, CLONE], dropped: [CLONE3] } },
  });
  assert.equal(mergeFallbacks([undefined, undefined]), undefined);
});

test('the recorder\'s answer about one run: its syscall numbers, one a line (the ready line before it ignored)', () => {
  assert.deepEqual(sortedNumbers(parseTaken('ready\n56\n0\n435\n')), [0, 56, 435]);
  assert.deepEqual(parseTaken(''), new Set());
});

/** An application using clone3 (stub works, falls back to clone) and read (required). */
function threaded(stubFallbacks: number[] | undefined): Usage {
  return usageOfRun({
    dyn: [rowFromVerdicts(READ, false, false), rowFromVerdicts(CLONE3, true, false)],
    ...(stubFallbacks ? { fallbacks: { [CLONE3]: { stub: { added: stubFallbacks, dropped: [CLONE3] } } } } : {}),
  });
}

test('missing syscalls: a treatment counts only with its fallbacks supported; the cheaper of fallbacks and the syscall itself', () => {
  assert.deepEqual(sortedNumbers(missingSyscalls(threaded([CLONE]), new Set([READ]))), [CLONE]);
  assert.deepEqual(sortedNumbers(missingSyscalls(threaded([CLONE]), new Set([READ, CLONE]))), []);
  assert.deepEqual(sortedNumbers(missingSyscalls(threaded([CLONE, 39]), new Set([READ]))), [CLONE3], 'two fallbacks cost more than clone3');
  assert.deepEqual(sortedNumbers(missingSyscalls(threaded(undefined), new Set([READ]))), [], 'no data: as before');
  // Workloads combine by union: a treatment must work with every workload's fallbacks.
  const both = combineUsage([threaded([CLONE]), threaded([39])]);
  assert.deepEqual(sortedNumbers(both.fallbacks!.get(CLONE3)!.stub!), [39, CLONE]);
});

test('support plan on a small database: never "stub clone3" without clone, and the step says why', () => {
  const apps = [
    { name: 'redis', usage: threaded([CLONE]) },
    { name: 'single', usage: usageOfRun({ dyn: [rowFromVerdicts(READ, false, false), rowFromVerdicts(WRITE, false, false)] }) },
  ];
  for (const planner of ['greedy', 'unlock'] as const) {
    const plan = planSupport(planner, [READ], apps);
    assert.deepEqual(plan.supportedWithoutChanges, [], 'clone3 stubbed is no help without clone');
    const step = plan.steps.find((s) => s.apps.includes('redis'))!;
    assert.deepEqual(step.implement, [CLONE]);
    assert.deepEqual(step.stub, [CLONE3]);
    assert.deepEqual(step.fallbacks, [{ nr: CLONE3, treatment: 'stub', fallbacks: [CLONE], apps: ['redis'] }]);
    // On an OS with clone, stubbing clone3 is enough from the start, and the plan says on what it relies.
    const withClone = planSupport(planner, [READ, CLONE], apps);
    assert.deepEqual(withClone.supportedWithoutChanges, ['redis']);
    assert.deepEqual(withClone.initialStub, [CLONE3]);
    assert.deepEqual(withClone.initialFallbacks, [{ nr: CLONE3, treatment: 'stub', fallbacks: [CLONE], apps: ['redis'] }]);
  }
  // Without fallback data the plan has no fallback fields at all (output unchanged).
  const old = planSupport('greedy', [READ], [{ name: 'redis', usage: threaded(undefined) }]);
  assert.deepEqual(old, { planner: 'greedy', supportedWithoutChanges: ['redis'], initialStub: [CLONE3], initialFake: [], steps: [], curve: [{ implemented: 0, apps: 1 }] });
});

test('compatibility score: an application runs only when its fallbacks are supported', () => {
  const apps = [{ name: 'redis', usage: threaded([CLONE]) }];
  const without = compatScore('OS', [READ], apps);
  assert.deepEqual(without.runningToday, []);
  assert.deepEqual(without.missing, [{ nr: CLONE, unlocks: 1, neededBy: 1 }]);
  assert.equal(without.completeness, 1, 'completeness still counts required syscalls only');
  assert.deepEqual(compatScore('OS', [READ, CLONE], apps).runningToday, ['redis']);
  assert.deepEqual(compatScore('OS', [READ], [{ name: 'redis', usage: threaded(undefined) }]).runningToday, ['redis']);
});
