import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { eventLine, parseEventLine, progressOfEvents, type ExploreEvent } from '../../src/explore/events.js';
import { inspectDockerfile } from '../../src/docker/dockerfile.js';
import { debianDockerfile } from '../../src/generate/debian-package.js';
import { describeReplicaPlan, journalFile, journalFolder, planReplicas } from '../../src/generate/replicas.js';

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
  const experiment = (id: string, verdict: 'works' | 'broken'): Extract<ExploreEvent, { event: 'experiment' }> => ({ event: 'experiment', id, description: id, verdict, attempts: 1, durationMs: 3 });
  const log = [
    eventLine({ event: 'phase', phase: 'discovery', planned: 1 }),
    eventLine({ event: 'phase', phase: 'syscalls', planned: 44 }),
    eventLine(experiment('stub:read', 'works')),
    'loupe: warning: {not an event}',
    '{"event": "experiment"}',
    eventLine(experiment('fake:read', 'broken')),
    // A group run settles no verdict of its own: the verdicts inferred from it are events of their own.
    eventLine({ ...experiment('group:stub:close,brk', 'works'), group: true }),
    eventLine({ ...experiment('stub:close', 'works'), attempts: 0 }),
  ].join('\n');
  assert.deepEqual(progressOfEvents(log), { phase: 'syscalls', done: 3, planned: 44 });
  assert.equal(parseEventLine('loupe: error: the baseline fails'), undefined);
});

test('loupe debian --jobs N: the replicas are said to run the N jobs of the CMD, not generate\'s share', () => {
  const pkg = { source: 'gzip', version: '1.12-1' };
  const suite = { binary: '/root/debian/gzip/gzip', makeArgs: ['TESTS=help-version'] };
  const plan = planReplicas(1, 2, 4);
  const withJobs = inspectDockerfile(debianDockerfile(pkg, { ...suite, jobs: 3 }), 'Dockerfile.gzip');
  assert.equal(withJobs.cmdJobs, 3);
  assert.equal(describeReplicaPlan(1, plan, withJobs.cmdJobs), "running 1 replica (1 at a time, 3 jobs each, set by the Dockerfile's CMD)");
  const without = inspectDockerfile(debianDockerfile(pkg, suite), 'Dockerfile.gzip');
  assert.equal(without.cmdJobs, undefined);
  assert.equal(describeReplicaPlan(1, plan, without.cmdJobs), 'running 1 replica (1 at a time, 4 jobs each)');
  assert.equal(describeReplicaPlan(2, planReplicas(2, 2, 4), 1), "running 2 replicas (2 at a time, 1 job each, set by the Dockerfile's CMD)");
});
