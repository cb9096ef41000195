import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fiellerRatioInterval, median, summarize, welchTTest } from '../../src/core/stats.js';

// R's `sleep` data set (Cushny and Peebles 1905): extra hours of sleep under two drugs.
const group1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
const group2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];

test('Welch t-test matches R: t.test(extra ~ group, data = sleep)', () => {
  // R 4.x prints: t = -1.8608, df = 17.776, p-value = 0.07939
  const r = welchTTest(summarize(group1), summarize(group2))!;
  assert.ok(Math.abs(r.t - -1.8608) < 5e-5, String(r.t));
  assert.ok(Math.abs(r.df - 17.776) < 5e-4, String(r.df));
  assert.ok(Math.abs(r.p - 0.07939) < 5e-6, String(r.p));
});

test('Fieller over a constant denominator is the one-sample t interval: R t.test(sleep group 1)', () => {
  // R: t.test(extra[group == 1]) -> 95 percent confidence interval: -0.5297804 2.0297804
  const ci = fiellerRatioInterval(summarize(group1), summarize([1, 1, 1]))!;
  assert.ok(Math.abs(ci.ratio - 0.75) < 1e-12);
  assert.ok(Math.abs(ci.low! - -0.5297804) < 5e-7, String(ci.low));
  assert.ok(Math.abs(ci.high! - 2.0297804) < 5e-7, String(ci.high));
});

test('Fieller bounds solve the defining equation (a - rho b)^2 = t^2 (se_a^2 + rho^2 se_b^2)', () => {
  const a = summarize([105, 98, 110, 101, 99]);
  const b = summarize([90, 95, 88, 93, 91, 94]);
  const ci = fiellerRatioInterval(a, b)!;
  const r = welchTTest(a, b)!;
  // t quantile recovered from the interval's own equation must be the same at both bounds.
  const tAt = (rho: number): number => Math.abs(a.mean - rho * b.mean) / Math.sqrt(a.variance / a.n + (rho * rho * b.variance) / b.n);
  assert.ok(Math.abs(tAt(ci.low!) - tAt(ci.high!)) < 1e-9);
  // ... and equal to the 97.5% quantile of t at Welch's df (2.2281 at 10 df; df here is between 5 and 9).
  assert.ok(r.df > 5 && r.df < 9);
  assert.ok(tAt(ci.low!) > 2.26 && tAt(ci.low!) < 2.58, String(tAt(ci.low!)));
  assert.ok(ci.low! < ci.ratio && ci.ratio < ci.high!);
  assert.ok(ci.low! > 1, 'a clearly larger sample gives an interval above 1');
});

test('degenerate samples: constants, too few values, a noisy denominator near zero', () => {
  assert.deepEqual(welchTTest(summarize([12, 12, 12]), summarize([12, 12])), { t: 0, df: Infinity, p: 1 });
  assert.equal(welchTTest(summarize([96, 96]), summarize([12, 12]))!.p, 0);
  assert.deepEqual(fiellerRatioInterval(summarize([96, 96]), summarize([12, 12])), { ratio: 8, low: 8, high: 8 });
  assert.equal(welchTTest(summarize([1]), summarize([1, 2])), undefined);
  assert.equal(fiellerRatioInterval(summarize([1, 2]), summarize([0, 0])), undefined);
  const unbounded = fiellerRatioInterval(summarize([5, 6, 7]), summarize([-1, 0.1, 1.2]))!;
  assert.equal(unbounded.low, null);
  assert.equal(unbounded.high, null);
});

test('median of odd and even samples', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});
