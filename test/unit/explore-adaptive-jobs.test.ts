import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdaptiveJobs, MEASURED_RUNS, SHORTEST_ADAPTIVE_RUN_MS } from '../../src/explore/adaptive-jobs.js';
import { MAX_JOBS_FACTOR } from '../../src/explore/jobs.js';

/** Records `n` working runs of `ms` each, started at the current limit. */
function working(jobs: AdaptiveJobs, ms: number, n = MEASURED_RUNS): void {
  for (let i = 0; i < n; i++) jobs.recordWorking(ms, jobs.limit());
}

test('runs whose length a clock sets (nginx under 1 s of wrk) raise the limit step by step to its maximum', () => {
  const jobs = new AdaptiveJobs(4, true);
  jobs.setBaseline(1100);
  working(jobs, 1150, MEASURED_RUNS - 1);
  assert.equal(jobs.limit(), 4, 'not before MEASURED_RUNS working runs');
  working(jobs, 1150, 1);
  assert.equal(jobs.limit(), 8);
  working(jobs, 1200);
  assert.equal(jobs.limit(), 12);
  working(jobs, 1250);
  assert.equal(jobs.limit(), MAX_JOBS_FACTOR * 4, 'never above the maximum');
  assert.equal(jobs.largest(), 12);
});

test('CPU-bound runs, slowed side by side, keep the starting limit', () => {
  const jobs = new AdaptiveJobs(4, true);
  jobs.setBaseline(800);
  working(jobs, 1500, 3 * MEASURED_RUNS);
  assert.equal(jobs.limit(), 4);
  assert.equal(jobs.largest(), 4);
});

test('a slow baseline lets a CPU-bound workload try a higher limit once; slowed there, it falls back and stays', () => {
  const jobs = new AdaptiveJobs(4, true);
  jobs.setBaseline(900); // alone on a busy machine
  working(jobs, 700);
  assert.equal(jobs.limit(), 8);
  working(jobs, 1400); // twice the runs, twice as long: no gain
  assert.equal(jobs.limit(), 4);
  working(jobs, 500, 4 * MEASURED_RUNS);
  assert.equal(jobs.limit(), 4, 'a limit found too slow is not tried again');
  assert.equal(jobs.largest(), 8);
});

test('runs started at another limit, and runs before the baseline is known, say nothing', () => {
  const jobs = new AdaptiveJobs(4, true);
  for (let i = 0; i < MEASURED_RUNS; i++) jobs.recordWorking(1000, 4);
  assert.equal(jobs.limit(), 4, 'no baseline yet');
  jobs.setBaseline(1000);
  for (let i = 0; i < MEASURED_RUNS; i++) jobs.recordWorking(1000, 8);
  assert.equal(jobs.limit(), 4, 'started at a limit that is not the current one');
});

test('a limit the user chose is kept throughout', () => {
  const jobs = new AdaptiveJobs(4, false);
  jobs.setBaseline(1000);
  working(jobs, 1000, 4 * MEASURED_RUNS);
  assert.equal(jobs.limit(), 4);
});

test('runs shorter than SHORTEST_ADAPTIVE_RUN_MS keep the starting limit, however little they are slowed', () => {
  const jobs = new AdaptiveJobs(4, true);
  jobs.setBaseline(SHORTEST_ADAPTIVE_RUN_MS - 1);
  working(jobs, SHORTEST_ADAPTIVE_RUN_MS - 1, 4 * MEASURED_RUNS);
  assert.equal(jobs.limit(), 4);
});
