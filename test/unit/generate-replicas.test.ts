import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { replicaState } from '../../src/generate/progress.js';
import { journalFile, journalFolder, planReplicas } from '../../src/generate/replicas.js';

test('replicas share the jobs of one explore: at most one replica per core, jobs split between them', () => {
  assert.deepEqual(planReplicas(2, 2, 4), { parallel: 2, jobsPerReplica: 2 });
  assert.deepEqual(planReplicas(2, 8, 16), { parallel: 2, jobsPerReplica: 8 });
  assert.deepEqual(planReplicas(3, 2, 4), { parallel: 2, jobsPerReplica: 2 });
  assert.deepEqual(planReplicas(4, 1, 2), { parallel: 1, jobsPerReplica: 2 });
  assert.deepEqual(planReplicas(3, 4, 2), { parallel: 3, jobsPerReplica: 1 });
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
