import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { eventLine, parseEventLine, progressOfEvents, type ExploreEvent } from '../../src/explore/events.js';
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

test('the progress of a replica is read from explore\'s events, whatever else its stderr holds', () => {
  assert.deepEqual(progressOfEvents(''), { phase: 'starting', done: 0 });
  const experiment = (id: string, verdict: 'works' | 'broken'): ExploreEvent => ({ event: 'experiment', id, description: id, verdict, attempts: 1, durationMs: 3 });
  const log = [
    eventLine({ event: 'phase', phase: 'discovery', planned: 1 }),
    eventLine({ event: 'phase', phase: 'syscalls', planned: 44 }),
    eventLine(experiment('stub:read', 'works')),
    'loupe: warning: {not an event}',
    '{"event": "experiment"}',
    eventLine(experiment('fake:read', 'broken')),
  ].join('\n');
  assert.deepEqual(progressOfEvents(log), { phase: 'syscalls', done: 2, planned: 44 });
  assert.equal(parseEventLine('loupe: error: the baseline fails'), undefined);
});
