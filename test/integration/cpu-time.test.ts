import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProcessGroups, sleep } from '../../src/sandbox/process.js';
import { treeCpuMs, treeSchedule } from '../../src/sandbox/cpu-time.js';

// Real processes: two shells spinning on one CPU (taskset) wait for it about half the time each;
// a sleeping one neither runs nor waits. This is what tells a starved hang from a deadlock.
test('treeSchedule: threads that compete for one CPU wait for it; a sleeping tree does not', async () => {
  const groups = new ProcessGroups();
  try {
    const spinners = groups.start({ argv: ['taskset', '-c', '0', 'sh', '-c', 'while :; do :; done & while :; do :; done'] });
    const sleeper = groups.start({ argv: ['sh', '-c', 'sleep 30'] });
    // Until they have run 250 ms between them: on a machine loaded by others that takes longer than on an idle one.
    let contended = treeSchedule(spinners.pid!);
    for (let waited = 0; contended.runningMs < 250 && waited < 60_000; waited += 100) {
      await sleep(100);
      contended = treeSchedule(spinners.pid!);
    }
    const asleep = treeSchedule(sleeper.pid!);
    assert.ok(contended.runningMs >= 250, `two spinners ran ${contended.runningMs} ms in a minute`);
    // Each waits while the other runs (and longer when other work competes for that CPU too).
    assert.ok(contended.waitingMs >= 0.5 * contended.runningMs, `two spinners on one CPU waited ${contended.waitingMs} ms while running ${contended.runningMs} ms`);
    assert.ok(treeCpuMs(spinners.pid!) >= 200);
    // Its start-up may have waited a little on a loaded machine; asleep, it waits no more.
    const later = treeSchedule(sleeper.pid!);
    await sleep(500);
    assert.ok(treeSchedule(sleeper.pid!).waitingMs - later.waitingMs < 5, 'a sleeping process does not wait for a CPU');
    assert.ok(asleep.runningMs < 100);
  } finally {
    await groups.killAll();
  }
  assert.deepEqual(treeSchedule(999_999_999), { runningMs: 0, waitingMs: 0 }, 'a process that is gone');
});
