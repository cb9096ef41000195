import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideRetry, EXPECTED_BROKEN, HANG_RETRY_MARGIN, hangLimitNow, LOAD_WAIT_SHARE, WorkingRunTimes, type RetryContext } from '../../src/explore/retry-policy.js';

const hang = (limitMs: number) => ({ failure: 'hang' as const, reason: 'program still running', limitMs, workloadMs: limitMs });
const ctx = (over: Partial<RetryContext> = {}): RetryContext => ({ attemptsAllowed: 2, typicalWorkingMs: 60, priorWorks: 0.8, ...over });

test('a crash with a signal is deterministic: never retried', () => {
  const d = decideRetry([{ failure: 'crash', reason: 'program exited with 139 (SIGSEGV)', limitMs: 1000, workloadMs: 20 }], ctx({ attemptsAllowed: 5 }));
  assert.equal(d.retry, false);
  assert.match(d.why, /deterministic.*SIGSEGV/);
});

test('a hang is retried only when the limit is close to what working runs take under the same load', () => {
  // lua: faking write spins; working runs take ~60 ms, the limit is 1 s.
  const far = decideRetry([hang(1000)], ctx());
  assert.equal(far.retry, false);
  assert.match(far.why, /16\.7x.*load cannot explain it/);
  // A loaded server whose working runs take 600 ms: a 1 s limit may have been hit by load.
  const near = decideRetry([hang(1000)], ctx({ typicalWorkingMs: 600 }));
  assert.equal(near.retry, true);
  assert.match(near.why, /load may explain it/);
  assert.equal(decideRetry([hang(1000)], ctx({ typicalWorkingMs: 1000 / HANG_RETRY_MARGIN })).retry, false);
  assert.equal(decideRetry([hang(1000)], ctx({ typicalWorkingMs: 1000 / HANG_RETRY_MARGIN + 1 })).retry, true);
});

test('other failures: retried unless the same failure is seen twice, attempts are used up, or the perturbation is expected to break', () => {
  const exit1 = { failure: 'test' as const, reason: 'test script exited with 1', limitMs: 1000, workloadMs: 40 };
  const exit2 = { failure: 'test' as const, reason: 'test script exited with 2', limitMs: 1000, workloadMs: 40 };
  assert.equal(decideRetry([exit1], ctx({ attemptsAllowed: 3 })).retry, true);
  const twice = decideRetry([exit1, exit1], ctx({ attemptsAllowed: 3 }));
  assert.equal(twice.retry, false);
  assert.match(twice.why, /same failure twice/);
  assert.equal(decideRetry([exit1, exit2], ctx({ attemptsAllowed: 3 })).retry, true, 'different failures: flaky');
  assert.match(decideRetry([exit1, exit2, exit1], ctx({ attemptsAllowed: 3 })).why, /all 3 attempts failed/);
  assert.equal(decideRetry([exit1], ctx({ attemptsAllowed: 1 })).retry, false, '--attempts 1 never retries');
  const expected = decideRetry([exit1], ctx({ priorWorks: EXPECTED_BROKEN / 2 }));
  assert.equal(expected.retry, false);
  assert.match(expected.why, /expected/);
  assert.equal(decideRetry([exit1], ctx({ priorWorks: EXPECTED_BROKEN })).retry, true);
  // Load makes runs slow: a failure slower than a typical working run, or of the sandbox's start, is retried whatever the prior.
  assert.equal(decideRetry([{ ...exit1, workloadMs: 61 }], ctx({ priorWorks: EXPECTED_BROKEN / 2 })).retry, true);
  assert.equal(decideRetry([{ ...exit1, failure: 'start' as const }], ctx({ priorWorks: EXPECTED_BROKEN / 2 })).retry, true);
  assert.equal(decideRetry([{ ...exit1, failure: 'inconclusive' as const }], ctx({ priorWorks: EXPECTED_BROKEN / 2 })).retry, true);
  // A group run is split next: no retry, whatever the failure.
  assert.equal(decideRetry([hang(1000)], ctx({ group: true, typicalWorkingMs: 900 })).retry, false);
});

test('a typical working run is the 90th percentile: one slow outlier does not make every hang look like load', () => {
  const times = new WorkingRunTimes(80);
  assert.equal(times.typical(), 80, 'the stand-in before any run');
  for (let i = 1; i <= 19; i++) times.record(100 + i);
  times.record(5000); // a faked futex that spins but works
  assert.equal(times.typical(), 118);
});

test('the hang limit follows the machine: raised to 10x what working runs take now, never lowered, once enough runs are seen', () => {
  assert.equal(hangLimitNow(undefined, 500), undefined, 'no limit but the time-out stays so');
  assert.equal(hangLimitNow(4000, 0), 4000);
  assert.equal(hangLimitNow(4000, 300), 4000, 'a faster machine does not lower it');
  // redis calibrated at 400 ms (limit 4 s); a load spike makes working runs take 700 ms.
  assert.equal(hangLimitNow(4000, 700), 7000);
  const times = new WorkingRunTimes(2000);
  for (let i = 0; i < 4; i++) times.record(700);
  assert.equal(times.measured(), 0, 'four runs: the stand-in is no measure');
  times.record(700);
  assert.equal(times.measured(), 700);
});

test('a hang far above working runs is retried when its threads waited for a CPU a quarter of the limit or more', () => {
  // redis with futex faked: its threads spin and work, slowly; a load spike starved them.
  const starved = decideRetry([{ ...hang(2230), waitedMs: 1500 }], ctx({ typicalWorkingMs: 223 }));
  assert.equal(starved.retry, true);
  assert.match(starved.why, /waited 1500 ms for a CPU.*load may explain it/);
  assert.equal(decideRetry([{ ...hang(2000), waitedMs: 2000 * LOAD_WAIT_SHARE }], ctx()).retry, true);
  // A deadlocked server sleeps: it never waits for a CPU.
  const asleep = decideRetry([{ ...hang(2230), waitedMs: 30 }], ctx({ typicalWorkingMs: 223 }));
  assert.equal(asleep.retry, false);
  assert.match(asleep.why, /waited 30 ms for a CPU: load cannot explain it/);
  // Starved twice in a row: the same failure, deterministic enough.
  assert.equal(decideRetry([{ ...hang(2230), waitedMs: 1500 }, { ...hang(2230), waitedMs: 1500 }], ctx({ attemptsAllowed: 3 })).retry, false);
});
