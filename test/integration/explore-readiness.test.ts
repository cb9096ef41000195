import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forkingServer, runLoupe, tempDir } from '../helpers/cli.js';
import type { ExploreReport } from '../../src/explore/report.js';

// A server whose test takes a second (as wrk's does): its hang limit is about 10 s, while it is
// ready in a few ms. Faking bind leaves it up but listening nowhere the script can reach.
test('a server that never becomes ready is judged at its readiness limit, not at its hang limit', async () => {
  const dir = tempDir('readiness');
  const { prog, script } = forkingServer(dir, 1);
  const r = await runLoupe(['explore', '-b', prog, '-t', script, '--json', '--disable-static', '--no-group-testing'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as ExploreReport;
  const fakeBind = report.experiments.find((e) => e.id === 'fake:bind');
  assert.equal(fakeBind?.verdict, 'broken', JSON.stringify(fakeBind));
  // Starved of CPU by the runs beside it, the limit is moved on (at most 5 times), and says so.
  const limit = /^never ready: the test script still answered 200 \(not ready\) \d+ ms after the start, after \d+ tries \(readiness limit (\d+) ms(?:, (\d+) ms set from the unperturbed run and moved on by the time other work kept it off the CPU|, set from the unperturbed run)\)/.exec(fakeBind.reason ?? '');
  assert.ok(limit, fakeBind.reason);
  assert.equal(Number(limit[2] ?? limit[1]), 2000, 'ready in a few ms: the floor applies');
  assert.ok(Number(limit[1]) >= 2000 && Number(limit[1]) <= 5 * 2000, fakeBind.reason);
  // The working runs are not cut short: the unperturbed server's syscalls that work faked still do.
  assert.ok(report.syscalls.some((s) => s.class === 'both' || s.class === 'fakeOnly'), JSON.stringify(report.syscalls));
});
