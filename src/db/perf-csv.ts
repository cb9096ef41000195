import { PERF_METRICS, type MetricComparison, type PerfMetric, type PerfReport, type PerfRow } from '../core/perf-report.js';
import { CsvFormatError } from './csv.js';

/**
 * perf.csv, written next to dyn.csv by `explore --perf-analysis --out DIR` and stored in a run's
 * data/ by `generate --perf-analysis`:
 *
 *   # nr, name, treatment, status, then per metric (performance, fds, memory, cpu):
 *   #   METRIC (relative to the baseline), METRIC_low, METRIC_high (95% interval),
 *   #   METRIC_flagged (Y/N), METRIC_median (absolute median of the runs)
 *
 * The first data row is the baseline: treatment `baseline`, nr and name empty, relative 1 and
 * the baseline's absolute medians. Units of the medians: the benchmark's own number; open
 * descriptors; bytes; CPU milliseconds (user + system). status is `measured` or
 * `failed:KIND` (no-number, several-numbers, not-a-number, script-failed, run-failed), the
 * baseline's too. Empty cells: not computable (an unbounded interval, a failed condition, every
 * relative cell when the baseline failed). Commas in names
 * (sub-feature descriptions) are replaced by `|`, as in the sub-feature CSVs.
 */

export const PERF_CSV_COLUMNS = [
  'nr',
  'name',
  'treatment',
  'status',
  ...PERF_METRICS.flatMap((m) => [m, `${m}_low`, `${m}_high`, `${m}_flagged`, `${m}_median`]),
];
const HEADER = `# ${PERF_CSV_COLUMNS.join(', ')}`;


const num = (v: number | null | undefined): string => (v === null || v === undefined || !Number.isFinite(v) ? '' : String(Number(v.toPrecision(6))));
const clean = (s: string): string => s.replace(/[,\n]/g, '|');

export function formatPerfCsv(perf: PerfReport): string {
  const lines = [HEADER];
  const base = perf.baseline.medians;
  // A baseline whose benchmark failed has nothing to be relative to: its cells are not computable.
  const baseFailure = perf.baseline.blocks.find((b) => b.failure)?.failure;
  const baseStatus = perf.error ? (baseFailure ? `failed:${baseFailure.kind}` : 'failed') : 'measured';
  lines.push(['', '', 'baseline', baseStatus, ...PERF_METRICS.flatMap((m) => (perf.error ? ['', '', '', '', num(base[m])] : ['1', '1', '1', 'N', num(base[m])]))].join(','));
  for (const c of perf.conditions) {
    const cells = PERF_METRICS.flatMap((m) => {
      const v = c[m];
      return v === undefined ? ['', '', '', '', ''] : [num(v.relative), num(v.ciLow), num(v.ciHigh), v.flagged ? 'Y' : 'N', num(v.median)];
    });
    lines.push([String(c.nr), clean(c.name), c.treatment, c.failure ? `failed:${c.failure.kind}` : 'measured', ...cells].join(','));
  }
  return lines.join('\n') + '\n';
}

/** Reads perf.csv back into rows (p-values are not stored: null); `file` names it in errors. Throws CsvFormatError on a malformed row. */
export function parsePerfCsv(text: string, file: string): PerfRow[] {
  const rows: PerfRow[] = [];
  const cell = (s: string | undefined): number | null => (s === undefined || s === '' ? null : Number(s));
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '' || line.startsWith('#')) return;
    const f = line.split(',');
    if (f.length !== PERF_CSV_COLUMNS.length) throw new CsvFormatError(file, i + 1, `expected ${PERF_CSV_COLUMNS.length} fields, found ${f.length}`);
    const treatment = f[2];
    if (treatment !== 'stub' && treatment !== 'fake' && treatment !== 'baseline') throw new CsvFormatError(file, i + 1, `unknown treatment ${JSON.stringify(treatment)}`);
    const metrics: Partial<Record<PerfMetric, MetricComparison>> = {};
    PERF_METRICS.forEach((m, k) => {
      const [rel, low, high, flagged, median] = f.slice(4 + 5 * k, 9 + 5 * k);
      if (rel === '' && median === '') return;
      metrics[m] = { relative: cell(rel), ciLow: cell(low), ciHigh: cell(high), flagged: flagged === 'Y', p: null, median: cell(median) ?? NaN, baselineMedian: NaN };
    });
    rows.push({ nr: cell(f[0]), name: f[1]!, treatment, status: f[3]!, metrics });
  });
  const base = rows.find((r) => r.treatment === 'baseline');
  for (const r of rows) for (const m of PERF_METRICS) if (r.metrics[m] && base?.metrics[m]) r.metrics[m]!.baselineMedian = base.metrics[m]!.median;
  return rows;
}
