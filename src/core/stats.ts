import tCdf from '@stdlib/stats-base-dists-t-cdf';
import tQuantile from '@stdlib/stats-base-dists-t-quantile';

/**
 * Small-sample statistics for comparing a measured condition against a baseline. Pure.
 *
 * - Welch's unequal-variance t-test: B. L. Welch, "The generalization of 'Student's' problem
 *   when several different population variances are involved", Biometrika 34 (1947) 28-35;
 *   degrees of freedom by Welch-Satterthwaite. Checked against R's `t.test(extra ~ group,
 *   data = sleep)` (t = -1.8608, df = 17.776, p = 0.07939).
 * - Confidence interval of a ratio of two independent means by Fieller's theorem:
 *   E. C. Fieller, "Some problems in interval estimation", JRSS B 16 (1954) 175-185, with zero
 *   covariance and the t quantile at the Welch-Satterthwaite degrees of freedom.
 * The t distribution comes from stdlib (@stdlib/stats-base-dists-t-*).
 */

export interface SampleSummary {
  n: number;
  mean: number;
  /** Unbiased sample variance (n - 1 in the denominator); NaN when n < 2. */
  variance: number;
  median: number;
}

export function summarize(values: readonly number[]): SampleSummary {
  const n = values.length;
  if (n === 0) return { n, mean: NaN, variance: NaN, median: NaN };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = n < 2 ? NaN : values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
  return { n, mean, variance, median: median(values) };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface WelchResult {
  /** t statistic of mean(a) - mean(b); ±Infinity when both samples are constant and differ. */
  t: number;
  df: number;
  /** Two-sided p-value. */
  p: number;
}

/**
 * Welch's two-sample t-test of mean(a) = mean(b), two-sided. Needs at least 2 values per
 * sample (else undefined is returned). Two constant samples give p = 1 when equal and p = 0
 * when they differ: a measurement without noise (a descriptor count) differs for certain.
 */
export function welchTTest(a: SampleSummary, b: SampleSummary): WelchResult | undefined {
  if (a.n < 2 || b.n < 2) return undefined;
  const va = a.variance / a.n;
  const vb = b.variance / b.n;
  const se2 = va + vb;
  const diff = a.mean - b.mean;
  if (se2 === 0) return diff === 0 ? { t: 0, df: Infinity, p: 1 } : { t: diff > 0 ? Infinity : -Infinity, df: Infinity, p: 0 };
  const df = se2 ** 2 / (va ** 2 / (a.n - 1) + vb ** 2 / (b.n - 1));
  const t = diff / Math.sqrt(se2);
  return { t, df, p: 2 * (1 - tCdf(Math.abs(t), df)) };
}

export interface RatioInterval {
  /** mean(a) / mean(b). */
  ratio: number;
  /** Bounds of the interval; null when it is unbounded (the baseline's mean is not significantly non-zero). */
  low: number | null;
  high: number | null;
}

/**
 * Fieller's confidence interval of mean(a) / mean(b) for independent samples:
 * with g = t² se_b² / b², the bounds are (R ∓ (t/|b|) √(se_a²(1-g) + R² se_b²)) / (1-g);
 * when g ≥ 1 the set is unbounded. Undefined when a sample has fewer than 2 values or
 * mean(b) is 0.
 */
export function fiellerRatioInterval(a: SampleSummary, b: SampleSummary, level = 0.95): RatioInterval | undefined {
  const test = welchTTest(a, b);
  if (test === undefined || b.mean === 0) return undefined;
  const ratio = a.mean / b.mean;
  const va = a.variance / a.n;
  const vb = b.variance / b.n;
  if (va + vb === 0) return { ratio, low: ratio, high: ratio };
  const t = tQuantile(1 - (1 - level) / 2, test.df);
  const g = (t * t * vb) / (b.mean * b.mean);
  if (g >= 1) return { ratio, low: null, high: null };
  const half = (t / Math.abs(b.mean)) * Math.sqrt(va * (1 - g) + ratio * ratio * vb);
  return { ratio, low: (ratio - half) / (1 - g), high: (ratio + half) / (1 - g) };
}
