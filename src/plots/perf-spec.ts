import type { TopLevelSpec } from 'vega-lite';
import { PERF_METRICS, type PerfRow } from '../core/perf-report.js';

/**
 * The perf plot: one row per syscall (or sub-feature) and treatment, one column per metric;
 * each figure's ratio to the baseline as a point with its 95% interval as a bar, a rule at
 * 1.0, flagged points in red. Pure: rows in, Vega-Lite out.
 */

const TITLES: Record<string, string> = { performance: 'Performance', fds: 'Peak open descriptors', memory: 'Peak memory', cpu: 'CPU time' };

export function perfSpec(rows: readonly PerfRow[], subtitle: string): TopLevelSpec {
  const values = rows
    .filter((r) => r.treatment !== 'baseline' && r.status === 'measured')
    .flatMap((r) =>
      PERF_METRICS.flatMap((m) => {
        const c = r.metrics[m];
        if (c === undefined || c.relative === null) return [];
        return [{
          condition: `${r.treatment} ${r.name}`,
          metric: TITLES[m],
          relative: c.relative,
          // An unbounded interval is drawn as the point alone.
          low: c.ciLow ?? c.relative,
          high: c.ciHigh ?? c.relative,
          flagged: c.flagged ? 'flagged' : 'not flagged',
        }];
      }),
    );
  const conditions = [...new Set(values.map((v) => v.condition))];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Impact of each stub and fake, relative to the baseline', subtitle },
    config: { font: 'DejaVu Sans', background: 'white', axis: { labelFontSize: 11, titleFontSize: 12 } },
    data: { values },
    facet: { column: { field: 'metric', type: 'nominal', title: null, sort: PERF_METRICS.map((m) => TITLES[m]) } },
    spec: {
      width: 200,
      height: Math.max(60, conditions.length * 16),
      layer: [
        { mark: { type: 'rule', color: '#888888', strokeDash: [4, 3] }, encoding: { x: { datum: 1, type: 'quantitative' } } },
        {
          mark: { type: 'rule', strokeWidth: 2 },
          encoding: {
            y: { field: 'condition', type: 'nominal', sort: conditions, title: null },
            x: { field: 'low', type: 'quantitative', title: 'ratio to baseline (95% interval)', scale: { zero: false } },
            x2: { field: 'high' },
            color: { field: 'flagged', type: 'nominal', scale: { domain: ['not flagged', 'flagged'], range: ['#3C8DBC', '#C0392B'] }, title: null },
          },
        },
        {
          mark: { type: 'point', filled: true, size: 40 },
          encoding: {
            y: { field: 'condition', type: 'nominal', sort: conditions },
            x: { field: 'relative', type: 'quantitative' },
            color: { field: 'flagged', type: 'nominal' },
          },
        },
      ],
    },
    resolve: { scale: { x: 'independent' } },
  };
}
