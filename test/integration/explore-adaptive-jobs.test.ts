import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forkingServer, runLoupe, tempDir } from '../helpers/cli.js';
import type { ExploreReport } from '../../src/explore/report.js';
import { formatSummary } from '../../src/explore/format.js';
import { defaultJobs, MAX_JOBS_FACTOR } from '../../src/explore/jobs.js';

// A server whose test lasts a clock's second, as wrk's does: side by side, its runs take no
// longer, so without --jobs the limit rises (how far depends on the machine's load: each step
// needs working runs no slower than the step before); with --jobs it stays put. Both give the
// same classes.
test('without --jobs, runs that a clock makes long raise the limit of runs side by side; --jobs keeps it, with the same verdicts', async () => {
  const dir = tempDir('adaptive-jobs');
  const { prog, script } = forkingServer(dir, 1);
  const explore = async (jobs: string[]): Promise<ExploreReport> => {
    const r = await runLoupe(['explore', '-b', prog, '-t', script, '--json', '--disable-static', '--no-fallbacks', ...jobs], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as ExploreReport;
  };
  const adaptive = await explore([]);
  const fixed = await explore(['--jobs', String(defaultJobs())]);
  assert.equal(adaptive.timing.jobs, defaultJobs());
  assert.ok(adaptive.timing.jobsLargest! > defaultJobs() && adaptive.timing.jobsLargest! <= MAX_JOBS_FACTOR * defaultJobs(), JSON.stringify(adaptive.timing));
  assert.equal(fixed.timing.jobsLargest, defaultJobs());
  assert.match(formatSummary(adaptive), new RegExp(`, ${defaultJobs()} jobs rising to ${adaptive.timing.jobsLargest}, as runs side by side were not slowed\\)`));
  assert.match(formatSummary(fixed), new RegExp(`, ${defaultJobs()} jobs\\)`));
  const classes = (r: ExploreReport): string[] => r.syscalls.map((s) => `${s.name}:${s.class}`);
  assert.deepEqual(classes(adaptive), classes(fixed));
});
