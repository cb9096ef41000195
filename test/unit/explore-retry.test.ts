import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideRetry, HANG_RETRY_MARGIN } from '../../src/explore/retry-policy.js';

const hang = (limitMs: number) => ({ failure: 'hang' as const, reason: 'program still running', limitMs });

test('a crash with a signal is deterministic: never retried', () => {
  const d = decideRetry([{ failure: 'crash', reason: 'program exited with 139 (SIGSEGV)', limitMs: 1000 }], 5, 50);
  assert.equal(d.retry, false);
  assert.match(d.why, /deterministic.*SIGSEGV/);
});

test('a hang is retried only when the limit is close to what working runs took under the same load', () => {
  // lua: faking write spins; working runs take ~60 ms, the limit is 1 s.
  const far = decideRetry([hang(1000)], 2, 60);
  assert.equal(far.retry, false);
  assert.match(far.why, /16\.7x.*load cannot explain it/);
  // A loaded server whose working runs already took 600 ms: a 1 s limit may have been hit by load.
  const near = decideRetry([hang(1000)], 2, 600);
  assert.equal(near.retry, true);
  assert.match(near.why, /load may explain it/);
  // The boundary is the margin itself.
  assert.equal(decideRetry([hang(1000)], 2, 1000 / HANG_RETRY_MARGIN).retry, false);
  assert.equal(decideRetry([hang(1000)], 2, 1000 / HANG_RETRY_MARGIN + 1).retry, true);
});

test('other failures are retried until the same failure is seen twice or the attempts are used up', () => {
  const exit1 = { failure: 'test' as const, reason: 'test script exited with 1', limitMs: 1000 };
  const exit2 = { failure: 'test' as const, reason: 'test script exited with 2', limitMs: 1000 };
  assert.equal(decideRetry([exit1], 3, 50).retry, true);
  const twice = decideRetry([exit1, exit1], 3, 50);
  assert.equal(twice.retry, false);
  assert.match(twice.why, /same failure twice/);
  // Different failures: flaky, so the third attempt is still made.
  assert.equal(decideRetry([exit1, exit2], 3, 50).retry, true);
  const used = decideRetry([exit1, exit2, exit1], 3, 50);
  assert.equal(used.retry, false);
  assert.match(used.why, /all 3 attempts failed/);
  assert.equal(decideRetry([exit1], 1, 50).retry, false, '--attempts 1 never retries');
});
