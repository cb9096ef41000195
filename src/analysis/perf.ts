import { fiellerRatioInterval, median, summarize, welchTTest } from '../core/stats.js';
import {
  PERF_METRICS,
  type BaselineBlock,
  type Drift,
  type MetricComparison,
  type PerfMetric,
  type PerfReport,
  type PerfRow,
  type PerfSample,
} from '../core/perf-report.js';

/**
 * The performance and resource-usage impact of stubbing or faking a syscall (`--perf-analysis`):
 * the values of a report, and the comparison of a condition's runs with the baseline's. Pure.
 *
 * Each figure is the mean over a condition's measured runs divided by the mean over the
 * baseline runs it is compared with (the blocks that bracket it), with Fieller's 95% interval for that ratio; it is
 * flagged when Welch's two-sided t-test gives p < 0.05 AND the ratio is further than the
 * metric's threshold from 1 (the original's error margins: 3% for performance, 1% for
 * resources). Sources of the formulas: src/core/stats.ts.
 */

export const SIGNIFICANCE_LEVEL = 0.05;
export const CONFIDENCE_LEVEL = 0.95;

/** Compares a condition's values of one metric with the baseline's. */
export function compareMetric(condition: readonly number[], baseline: readonly number[], threshold: number): MetricComparison {
  const a = summarize(condition);
  const b = summarize(baseline);
  const interval = fiellerRatioInterval(a, b, CONFIDENCE_LEVEL);
  const test = welchTTest(a, b);
  const relative = b.n > 0 && a.n > 0 && b.mean !== 0 ? a.mean / b.mean : null;
  const flagged = test !== undefined && relative !== null && test.p < SIGNIFICANCE_LEVEL && Math.abs(relative - 1) > threshold;
  return {
    relative,
    ciLow: interval?.low ?? null,
    ciHigh: interval?.high ?? null,
    flagged,
    p: test?.p ?? null,
    median: a.median,
    baselineMedian: b.median,
  };
}

export function column(samples: readonly PerfSample[], metric: PerfMetric): number[] {
  return samples.map((s) => s[metric]);
}

export type Comparisons = Record<PerfMetric, MetricComparison>;

export function compareSamples(condition: readonly PerfSample[], baseline: readonly PerfSample[], thresholds: Record<PerfMetric, number>): Comparisons {
  const out = {} as Comparisons;
  for (const m of PERF_METRICS) out[m] = compareMetric(column(condition, m), column(baseline, m), thresholds[m]);
  return out;
}

/** Medians per metric. */
export function medians(samples: readonly PerfSample[]): Record<PerfMetric, number> {
  const out = {} as Record<PerfMetric, number>;
  for (const m of PERF_METRICS) out[m] = median(column(samples, m));
  return out;
}

/** Drift of the middle and end baseline blocks against the start block (ratio of means). */
export function baselineDrift(blocks: readonly BaselineBlock[], thresholds: Record<PerfMetric, number>): Drift[] {
  const start = blocks.find((b) => b.at === 'start');
  if (!start || start.samples.length === 0) return [];
  const drift: Drift[] = [];
  for (const block of blocks) {
    if (block.at === 'start' || block.samples.length === 0) continue;
    for (const metric of PERF_METRICS) {
      const base = summarize(column(start.samples, metric)).mean;
      if (base === 0) continue;
      const relative = summarize(column(block.samples, metric)).mean / base;
      drift.push({ metric, at: block.at, relative, beyondMargin: Math.abs(relative - 1) > thresholds[metric] });
    }
  }
  return drift;
}

/** The report's conditions as table rows, the baseline first. */
export function perfRows(perf: PerfReport): PerfRow[] {
  const base: PerfRow = { nr: null, name: '', treatment: 'baseline', status: perf.error ? 'failed' : 'measured', metrics: {} };
  for (const m of PERF_METRICS) {
    const b = perf.baseline.medians[m];
    base.metrics[m] = { relative: 1, ciLow: 1, ciHigh: 1, flagged: false, p: null, median: b, baselineMedian: b };
  }
  return [
    base,
    ...perf.conditions.map((c) => {
      const metrics: PerfRow['metrics'] = {};
      for (const m of PERF_METRICS) if (c[m]) metrics[m] = c[m];
      return { nr: c.nr, name: c.name, treatment: c.treatment, status: c.failure ? `failed:${c.failure.kind}` : 'measured', metrics };
    }),
  ];
}

const TABLE_METRICS: readonly [PerfMetric, string][] = [
  ['performance', 'Performance'],
  ['fds', 'FD usage'],
  ['memory', 'Memory usage'],
  ['cpu', 'CPU time'],
];

const fixed = (v: number | null): string => (v === null ? '?' : v.toFixed(2));

function cellOf(c: MetricComparison | undefined): string {
  if (c === undefined) return '-';
  const text = `${fixed(c.relative)} [${fixed(c.ciLow)}, ${fixed(c.ciHigh)}]`;
  return c.flagged ? `**${text}**` : text;
}

/**
 * The original README's table (System call | Performance | FD usage | Memory usage), plus CPU
 * time: each cell the ratio to the baseline and its 95% interval (`?`: unbounded or fewer than
 * 2 runs); flagged cells in **bold**, as the original marked them. Markdown, so it pastes into
 * docs. Rows in the given order; the baseline row (absolute medians) is not part of the table.
 */
export function formatPerfTable(rows: readonly PerfRow[]): string {
  const header = ['System call', 'Treatment', ...TABLE_METRICS.map(([, t]) => t)];
  const body = rows
    .filter((r) => r.treatment !== 'baseline')
    .map((r) => [
      r.nr === null ? r.name : `${r.name} (${r.nr})`,
      r.treatment,
      ...(r.status === 'measured' ? TABLE_METRICS.map(([m]) => cellOf(r.metrics[m])) : [`benchmark ${r.status}`, '-', '-', '-']),
    ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: readonly string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n') + '\n';
}

/** The baseline's absolute medians in words. */
export function formatBaselineMedians(medians: Partial<Record<PerfMetric, number>>): string {
  const mib = (b: number | undefined): string => (b === undefined ? '?' : `${(b / 2 ** 20).toFixed(1)} MiB`);
  return `benchmark ${medians.performance ?? '?'}, ${medians.fds ?? '?'} open descriptors at peak, ${mib(medians.memory)} peak memory, ${medians.cpu === undefined ? '?' : Math.round(medians.cpu)} ms CPU`;
}
