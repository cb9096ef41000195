import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideRetry, EXPECTED_BROKEN, HANG_RETRY_MARGIN, hangLimitNow, LOAD_WAIT_SHARE, STARVATION_CAP, STARVED_SHARE_FLOOR, starvedDeadline, WorkingRunTimes, type RetryContext } from '../../src/explore/retry-policy.js';
import { RunDeadline } from '../../src/explore/run-deadline.js';
import { parseCpuPressure } from '../../src/sandbox/cpu-pressure.js';

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

test('a failure of a run starved no more than the working runs is not load\'s doing: accepted, whatever its speed or prior', () => {
  // nginx: wrk ran its second and saw socket errors; working runs were held off the CPU up to 48% of their time.
  const slow = { failure: 'test' as const, reason: 'test script exited with 1', limitMs: 11000, workloadMs: 1100, starvedShare: 0.3 };
  const accepted = decideRetry([slow], ctx({ typicalWorkingMs: 1100, workingStarvedShare: 0.48 }));
  assert.equal(accepted.retry, false);
  assert.match(accepted.why, /not load: other work kept the run off the CPU 30% of its time, no more than the working runs of this analysis \(48%/);
  assert.equal(decideRetry([{ ...slow, starvedShare: 0.48 }], ctx({ workingStarvedShare: 0.48 })).retry, false, 'as starved as the working runs');
  // Starved more than any working run: load may have done it; the reason says by how much.
  const starved = decideRetry([{ ...slow, starvedShare: 0.7 }], ctx({ typicalWorkingMs: 1100, workingStarvedShare: 0.48 }));
  assert.equal(starved.retry, true);
  assert.match(starved.why, /off the CPU 70% of its time, working runs 48%/);
  // Working runs that were never starved: a run starved under the floor was not starved either.
  assert.equal(decideRetry([{ ...slow, starvedShare: STARVED_SHARE_FLOOR }], ctx({ workingStarvedShare: 0 })).retry, false);
  assert.equal(decideRetry([{ ...slow, starvedShare: STARVED_SHARE_FLOOR + 0.01 }], ctx({ workingStarvedShare: 0 })).retry, true);
  // The program's own exit is judged the same way.
  assert.equal(decideRetry([{ ...slow, failure: 'exit' as const, starvedShare: 0.1 }], ctx({ workingStarvedShare: 0.2 })).retry, false);
  // No measure (no run cgroup, or too few working runs yet): today's rule, a slow failure is retried.
  assert.equal(decideRetry([{ ...slow, starvedShare: undefined }], ctx({ typicalWorkingMs: 1100, workingStarvedShare: 0.48 })).retry, true);
  assert.equal(decideRetry([slow], ctx({ typicalWorkingMs: 1100 })).retry, true);
  // A sandbox that failed to start says nothing of the perturbation: still retried.
  assert.equal(decideRetry([{ ...slow, failure: 'start' as const, starvedShare: 0 }], ctx({ workingStarvedShare: 0.48 })).retry, true);
  // A server never ready (its test answered 200 to the end) is judged by its starvation like a failure.
  const neverReady = { ...slow, failure: 'inconclusive' as const, reason: 'test script still inconclusive (200) after 21 tries' };
  assert.equal(decideRetry([{ ...neverReady, starvedShare: 0 }], ctx({ workingStarvedShare: 0.48 })).retry, false);
  assert.equal(decideRetry([{ ...neverReady, starvedShare: 0.7 }], ctx({ workingStarvedShare: 0.48 })).retry, true, 'starved more than working runs: may be a slow start');
});

test('working runs\' starvation is known once enough of them have a measure: the 90th percentile', () => {
  const times = new WorkingRunTimes();
  for (let i = 0; i < 4; i++) times.record(100, 0.1 * i);
  times.record(100); // a run without a cgroup
  assert.equal(times.starvedShare(), undefined, 'four measures are too few');
  for (let i = 4; i < 20; i++) times.record(100, i / 100);
  assert.equal(times.starvedShare(), 0.19, '20 measures (0, 0.04 .. 0.19, 0.1, 0.2, 0.3): the 18th smallest');
});

test('a hang\'s limit is moved on by the time other work kept it off the CPU, up to a cap', () => {
  const limits = { calibratedMs: 1000, plainMs: 1000, timeoutMs: 60_000 };
  assert.deepEqual(starvedDeadline(limits, 0), { atMs: 1000, capped: false }, 'a deadlock is never starved: the plain limit');
  assert.deepEqual(starvedDeadline(limits, 2500), { atMs: 3500, capped: false });
  assert.deepEqual(starvedDeadline(limits, 10_000), { atMs: STARVATION_CAP * 1000, capped: true });
  assert.deepEqual(starvedDeadline({ ...limits, timeoutMs: 2000 }, 2500), { atMs: 2000, capped: true }, 'never past the time-out');
  // A limit already raised for a slower machine is not multiplied by the starvation: the later of the two.
  assert.deepEqual(starvedDeadline({ ...limits, plainMs: 3000 }, 1500), { atMs: 3000, capped: false });
  assert.deepEqual(starvedDeadline({ ...limits, plainMs: 3000 }, 2500), { atMs: 3500, capped: false });
  assert.deepEqual(starvedDeadline({ ...limits, plainMs: 8000 }, 9000), { atMs: 8000, capped: true });
  // A program that gets a quarter of a CPU: the deadline that gives it its limit of running time is the fixed point.
  let at = 1000;
  for (let i = 0; i < 50; i++) at = starvedDeadline(limits, 0.75 * at).atMs;
  assert.ok(Math.abs(at - 4000) < 1, `converges to 4x the limit: ${at}`);
});

test('a hang measured by its cgroup: retried only when it ran less than twice what working runs take, starvation included', () => {
  const extended = (ms: number, capped = false) => ({ ...hang(2000), waitedMs: 1900, extension: { ms, capped } });
  // Given its limit of time on a CPU, still running: a faked write that spins, or a deadlock.
  const spun = decideRetry([extended(1500)], ctx({ typicalWorkingMs: 200 }));
  assert.equal(spun.retry, false, 'the threads\' run delay no longer decides once the limit was stretched');
  assert.match(spun.why, /2000 ms limit plus 1500 ms for the time other work kept it off the CPU is 17\.5x what working runs take now.*load cannot explain it$/);
  // Starved to the cap: a second run under the same load would be starved the same way, at up to 5x the limit again.
  const capped = decideRetry([extended(8000, true)], ctx({ typicalWorkingMs: 1200 }));
  assert.equal(capped.retry, false);
  assert.match(capped.why, new RegExp(`the cap, ${STARVATION_CAP}x the limit.*starved the same way`));
  // Working runs take nearly the limit now (the test script's starvation is not in the run's cgroup): retried.
  assert.equal(decideRetry([extended(0)], ctx({ typicalWorkingMs: 1200 })).retry, true);
  assert.equal(decideRetry([extended(399)], ctx({ typicalWorkingMs: 1200 })).retry, true);
  assert.equal(decideRetry([extended(400)], ctx({ typicalWorkingMs: 1200 })).retry, false, '2400 ms is twice 1200 ms');
});

test('cpu.pressure: totals in µs; a file without a full line (kernels before 5.13) is no measure', () => {
  const text = 'some avg10=16.30 avg60=2.94 avg300=0.61 total=2346737\nfull avg10=16.30 avg60=2.94 avg300=0.61 total=2342910\n';
  assert.deepEqual(parseCpuPressure(text), { someMs: 2346.737, fullMs: 2342.91 });
  assert.equal(parseCpuPressure('some avg10=0.00 avg60=0.00 avg300=0.00 total=12\n'), undefined);
  assert.equal(parseCpuPressure(''), undefined);
});

test('a server\'s readiness limit is moved on by the starvation its run has seen, as the hang limit is, up to the same cap', () => {
  let starved: number | undefined;
  const deadline = new RunDeadline({ calibratedMs: 10_000, plainMs: 10_000, timeoutMs: 60_000 }, () => starved);
  assert.equal(deadline.stretched(2000), 2000, 'not measured: the limit itself');
  starved = 0;
  assert.equal(deadline.stretched(2000), 2000, 'never starved: the limit itself');
  starved = 1500;
  assert.equal(deadline.stretched(2000), 3500);
  starved = 60_000;
  assert.equal(deadline.stretched(2000), STARVATION_CAP * 2000);
  assert.equal(new RunDeadline({ calibratedMs: 10_000, plainMs: 10_000, timeoutMs: 60_000 }).stretched(2000), 2000, 'no cgroup: the limit itself');
});
