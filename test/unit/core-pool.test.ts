import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runPool } from '../../src/core/pool.js';

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('the pool never runs more than `jobs` at once and keeps input order', async () => {
  let running = 0;
  let peak = 0;
  const out = await runPool([5, 1, 4, 2, 3], async (x) => {
    running++;
    peak = Math.max(peak, running);
    await pause(x * 3);
    running--;
    return x * 10;
  }, { jobs: 2, stopOnFirstError: true });
  assert.deepEqual(out, [50, 10, 40, 20, 30]);
  assert.equal(peak, 2);
});

test('an aborted signal starts nothing new and rejects with its reason', async () => {
  const abort = new AbortController();
  const started: number[] = [];
  await assert.rejects(runPool([1, 2, 3], async (x) => {
    started.push(x);
    abort.abort(new Error('stop'));
    await pause(5);
  }, { jobs: 1, signal: abort.signal, stopOnFirstError: true }), /stop/);
  assert.deepEqual(started, [1]);
});

test('stop on first error: nothing new starts, the caller is told once, the error is rethrown after the others settle', async () => {
  const started: number[] = [];
  const settled: number[] = [];
  let told = 0;
  await assert.rejects(runPool([1, 2, 3, 4, 5], async (i) => {
    started.push(i);
    if (i === 1) throw new Error('task 1 broke');
    await pause(20);
    settled.push(i);
  }, { jobs: 2, stopOnFirstError: true, onFirstError: () => { told++; } }), /task 1 broke/);
  assert.equal(told, 1);
  assert.deepEqual(started, [1, 2], 'no task starts after the failure');
  assert.deepEqual(settled, [2], 'the running task settled before the pool rejected');
});

test('without stop on first error every task runs and the first failure is rethrown at the end', async () => {
  const ran: number[] = [];
  await assert.rejects(runPool([1, 2, 3, 4], async (i) => {
    ran.push(i);
    if (i % 2 === 0) throw new Error(`task ${i} broke`);
  }, { jobs: 2, stopOnFirstError: false }), /task 2 broke/);
  assert.deepEqual(ran.sort(), [1, 2, 3, 4]);
});

test('a limit given as a function is read as slots free up: raised, more run at once; lowered, none starts until fewer run', async () => {
  let limit = 1;
  let running = 0;
  const peaks: number[] = [];
  await runPool([0, 1, 2, 3, 4, 5, 6, 7, 8], async (i) => {
    running++;
    peaks[i] = running;
    if (i === 0) limit = 3;
    if (i === 4) limit = 1;
    await pause(10);
    running--;
  }, { jobs: () => limit, stopOnFirstError: true });
  assert.equal(peaks[0], 1, 'one at a time to start');
  assert.equal(Math.max(...peaks.slice(1, 5)), 3, 'three at once once the limit rose');
  assert.deepEqual(peaks.slice(7), [1, 1], 'one at a time again after it fell');
});

test('a task that throws before its first await fails the pool like one that rejects', async () => {
  await assert.rejects(runPool([1], (() => { throw new Error('sync'); }) as (x: number) => Promise<void>, { jobs: 1, stopOnFirstError: true }), /sync/);
});
