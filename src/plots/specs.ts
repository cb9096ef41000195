/**
 * Vega-Lite specifications of Loupe's plots: pure functions of the rows in analysis/figures.ts
 * and analysis/support-plan.ts. Rendering is render.ts's job.
 */
import type { TopLevelSpec } from 'vega-lite';
import { ANALYSES, HISTOGRAM_CATEGORIES, type CumulativePoint, type HistogramBar, type SyscallShare } from '../analysis/figures.js';
import { PLANNERS, type CurvePoint, type PlannerName } from '../analysis/support-plan.js';
import { counted } from '../core/text.js';

/** Font families resolved by the renderer; DejaVu Sans is what setup.sh installs. */
const CONFIG = {
  font: 'DejaVu Sans',
  background: 'white',
  title: { fontSize: 15 },
  axis: { labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12 },
} as const;

const ANALYSIS_COLOURS = ['#655A7C', '#E8A33D', '#3C8DBC', '#C0392B'];

export function cumulativeSpec(points: readonly CumulativePoint[], subtitle: string): TopLevelSpec {
  const present = ANALYSES.filter((a) => points.some((p) => p.analysis === a));
  const population = (a: string): number => points.find((p) => p.analysis === a)!.population;
  const series = (a: string): string => `${a} (${counted(population(a), 'app')})`;
  const rows = points.map((p) => ({ ...p, series: series(p.analysis) }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Syscall usage across applications', subtitle },
    width: 640,
    height: 340,
    config: CONFIG,
    data: { values: rows },
    mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
    encoding: {
      x: { field: 'rank', type: 'quantitative', title: 'Syscalls, most widely used first (rank)', axis: { tickMinStep: 1 } },
      y: { field: 'share', type: 'quantitative', title: 'Share of applications', axis: { format: '%' }, scale: { domain: [0, 1] } },
      color: {
        field: 'series',
        type: 'nominal',
        title: 'Analysis',
        scale: { domain: present.map(series), range: present.map((a) => ANALYSIS_COLOURS[ANALYSES.indexOf(a)]!) },
        legend: { orient: 'top-right', labelLimit: 320 },
      },
    },
  };
}

/** Cells per heatmap row, as in the original. */
export const HEATMAP_COLUMNS = 24;
const HEATMAP_LABEL_CHARS = 9;

/** One heatmap: every syscall of the table on a 24-wide grid by number, coloured by share of applications. */
export function heatmapSpec(shares: readonly SyscallShare[], title: string, subtitle: string): TopLevelSpec {
  const cells = shares.map((s) => ({
    nr: s.nr,
    name: s.name,
    column: s.nr % HEATMAP_COLUMNS,
    row: Math.floor(s.nr / HEATMAP_COLUMNS) * HEATMAP_COLUMNS,
    share: s.share,
    label: s.name.length > HEATMAP_LABEL_CHARS ? `${s.name.slice(0, HEATMAP_LABEL_CHARS - 1)}…` : s.name,
  }));
  const rows = new Set(cells.map((c) => c.row)).size;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, subtitle },
    config: { ...CONFIG, view: { stroke: null } },
    width: HEATMAP_COLUMNS * 52,
    height: rows * 24,
    data: { values: cells },
    encoding: {
      x: { field: 'column', type: 'ordinal', title: 'Syscall number modulo 24', axis: { labelAngle: 0 } },
      y: { field: 'row', type: 'ordinal', title: 'Syscall number of the row’s first cell' },
    },
    layer: [
      {
        mark: { type: 'rect', stroke: 'white', strokeWidth: 1 },
        encoding: {
          color: {
            // Unused syscalls in grey, so that "nobody" stands apart from "a few".
            condition: { test: 'datum.share === 0', value: '#EEEEEE' },
            field: 'share',
            type: 'quantitative',
            title: ['Share of', 'applications'],
            scale: { scheme: 'yelloworangered', domain: [0, 1] },
            legend: { format: '%', orient: 'right', gradientLength: 200 },
          },
          tooltip: [{ field: 'nr' }, { field: 'name' }, { field: 'share', format: '.0%' }],
        },
      },
      {
        mark: { type: 'text', fontSize: 8 },
        encoding: {
          text: { field: 'label' },
          color: { condition: { test: 'datum.share > 0.6', value: 'white' }, value: '#222' },
        },
      },
    ],
  };
}

const HISTOGRAM_COLOURS = ['#FCD29F', '#655A7C', '#AB92BF', '#AFC1D6', '#7FD8C9', '#5CC98A'];

/** The original paper's histogram: per application, static bars and one stacked bar per workload kind. */
export function histogramSpec(bars: readonly HistogramBar[]): TopLevelSpec {
  const rows = bars.map((b) => ({ ...b, order: HISTOGRAM_CATEGORIES.indexOf(b.category) }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Syscalls used by each application', subtitle: 'static analyses, and dynamic classes for the test suite and the benchmark', anchor: 'middle' },
    config: { ...CONFIG, view: { stroke: '#ccc' } },
    data: { values: rows },
    facet: { column: { field: 'app', type: 'nominal', title: null, sort: [...new Set(bars.map((b) => b.app))], header: { labelFontSize: 13, labelFontWeight: 'bold' } } },
    spacing: 16,
    spec: {
      width: { step: 30 },
      height: 260,
      mark: { type: 'bar', stroke: '#555', strokeWidth: 0.5 },
      encoding: {
        x: { field: 'bar', type: 'nominal', title: null, sort: ['static source', 'static binary', 'suite', 'benchmark'], axis: { labelAngle: -90 } },
        y: { field: 'count', type: 'quantitative', title: 'Number of syscalls', stack: 'zero' },
        color: {
          field: 'category',
          type: 'nominal',
          title: 'Class',
          scale: { domain: [...HISTOGRAM_CATEGORIES], range: HISTOGRAM_COLOURS },
          legend: { orient: 'bottom', direction: 'horizontal' },
        },
        order: { field: 'order', type: 'quantitative' },
        tooltip: [{ field: 'app' }, { field: 'bar' }, { field: 'category' }, { field: 'count' }],
      },
    },
    resolve: { scale: { x: 'independent' } },
  };
}

const PLANNER_LEGEND = { orient: 'top', symbolType: 'stroke', symbolStrokeWidth: 3, symbolSize: 500 } as const;

export interface PlanCurveRow extends CurvePoint {
  os: string;
  planner: PlannerName;
}

/** Applications running against syscalls implemented, one panel per OS, one line per planner. */
export function planCurvesSpec(rows: readonly PlanCurveRow[], subtitle: string): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Support plans: applications running as syscalls are implemented', subtitle, anchor: 'middle' },
    config: CONFIG,
    data: { values: rows as PlanCurveRow[] },
    facet: { field: 'os', type: 'nominal', title: null, header: { labelFontSize: 13, labelFontWeight: 'bold' } },
    columns: 4,
    spec: {
      width: 230,
      height: 150,
      mark: { type: 'line', interpolate: 'step-after', point: { size: 10 } },
      encoding: {
        x: { field: 'implemented', type: 'quantitative', title: 'Syscalls implemented', axis: { format: 'd', tickMinStep: 1 } },
        y: { field: 'apps', type: 'quantitative', title: 'Applications running', scale: { zero: true }, axis: { format: 'd', tickMinStep: 1 } },
        color: { field: 'planner', type: 'nominal', title: 'Planner', scale: { domain: [...PLANNERS], range: ['#888888', '#C0392B'] }, legend: PLANNER_LEGEND },
        strokeDash: { field: 'planner', type: 'nominal', title: 'Planner', scale: { domain: [...PLANNERS], range: [[6, 3], [1, 0]] }, legend: PLANNER_LEGEND },
        // The greedy line is drawn wider underneath, so it shows where both planners agree.
        strokeWidth: { condition: { test: "datum.planner === 'greedy'", value: 4 }, value: 2 },
      },
    },
    resolve: { scale: { x: 'independent' } },
  };
}
