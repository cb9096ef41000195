import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { replicaState } from '../../src/generate/progress.js';
import { journalFile, journalFolder, planReplicas, runPool } from '../../src/generate/replicas.js';

test('replicas share the jobs of one explore: at most one replica per core, jobs split between them', () => {
  assert.deepEqual(planReplicas(2, 2, 4), { parallel: 2, jobsPerReplica: 2 });
  assert.deepEqual(planReplicas(2, 8, 16), { parallel: 2, jobsPerReplica: 8 });
  assert.deepEqual(planReplicas(3, 2, 4), { parallel: 2, jobsPerReplica: 2 });
  assert.deepEqual(planReplicas(4, 1, 2), { parallel: 1, jobsPerReplica: 2 });
  assert.deepEqual(planReplicas(3, 4, 2), { parallel: 3, jobsPerReplica: 1 });
});

test('the pool runs every replica once, at most `parallel` at a time', async () => {
  let running = 0;
  let peak = 0;
  const ran: number[] = [];
  await runPool(5, 2, async (i) => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((r) => setTimeout(r, 10));
    ran.push(i);
    running--;
  }, () => assert.fail('no failure expected'));
  assert.deepEqual(ran.sort(), [1, 2, 3, 4, 5]);
  assert.equal(peak, 2);
});

test('the first failure stops new replicas, tells the caller, and is rethrown after the others settle', async () => {
  const started: number[] = [];
  let stopped = 0;
  await assert.rejects(runPool(5, 2, async (i) => {
    started.push(i);
    if (i === 1) throw new Error('replica 1 broke');
    await new Promise((r) => setTimeout(r, 20));
  }, () => { stopped++; }), /replica 1 broke/);
  assert.equal(stopped, 1);
  assert.deepEqual(started, [1, 2], 'no replica starts after the failure');
});

test('journal folders depend on everything that identifies the analysis', () => {
  const env = { XDG_CACHE_HOME: '/cache' };
  const a = journalFolder(['/db', 'lua', 'suite', 'native', 'record'], env);
  assert.ok(a.startsWith(join('/cache', 'loupe', 'journal') + '/'));
  assert.equal(journalFolder(['/db', 'lua', 'suite', 'native', 'record'], env), a);
  assert.notEqual(journalFolder(['/db', 'lua', 'suite', 'native', 'other record'], env), a);
  assert.equal(journalFile(a, 2), join(a, 'replica-2.jsonl'));
});

test('the progress of a replica is read from explore\'s verbose log', () => {
  assert.deepEqual(replicaState(''), { phase: 'starting', done: 0 });
  const log = ['== discovery (1)', '== baseline (1)', '== syscalls (44)', 'works  stub read [3 ms]', 'broken fake read — exit 1 [5 ms]', 'something else'].join('\n');
  assert.deepEqual(replicaState(log), { phase: 'syscalls', done: 2, planned: 44 });
});
