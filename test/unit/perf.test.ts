import { test } from 'node:test';
import assert from 'node:assert/strict';
import { baselineDrift, compareMetric, formatPerfTable, perfRows } from '../../src/analysis/perf.js';
import type { PerfReport, PerfSample } from '../../src/core/perf-report.js';
import { parseBenchmarkOutput } from '../../src/explore/perf/benchmark-output.js';
import { formatPerfCsv, parsePerfCsv } from '../../src/db/perf-csv.js';
import { perfSpec } from '../../src/plots/perf-spec.js';
import { perfOptionArgs } from '../../src/explore/perf/options.js';
import { placementArgs } from '../../src/generate/explore-invocation.js';

test('benchmark output: one number, or a named failure that shows what was printed', () => {
  assert.deepEqual(parseBenchmarkOutput('20741.21\n'), { value: 20741.21 });
  assert.deepEqual(parseBenchmarkOutput('  1e3 '), { value: 1000 });
  const none = parseBenchmarkOutput(' \n');
  assert.ok('failure' in none && none.failure.kind === 'no-number');
  const several = parseBenchmarkOutput('SET 1\n');
  assert.ok('failure' in several && several.failure.kind === 'not-a-number' && several.failure.message.includes('"SET 1\\n"'));
  const two = parseBenchmarkOutput('100\n200\n');
  assert.ok('failure' in two && two.failure.kind === 'several-numbers' && two.failure.message.includes('2 numbers'));
  const unit = parseBenchmarkOutput('3.2MB');
  assert.ok('failure' in unit && unit.failure.kind === 'not-a-number');
  const long = parseBenchmarkOutput('x'.repeat(1000));
  assert.ok('failure' in long && long.failure.message.length < 400, 'long output is cut');
});

test('a figure is flagged only when significant and beyond the threshold', () => {
  const base = [100, 101, 99, 100, 100];
  // 15% faster, clearly: flagged.
  const faster = compareMetric([115, 116, 114, 115, 115], base, 0.03);
  assert.ok(Math.abs(faster.relative! - 1.15) < 1e-9);
  assert.ok(faster.flagged && faster.p! < 0.001 && faster.ciLow! > 1.1 && faster.ciHigh! < 1.2);
  assert.equal(faster.median, 115);
  assert.equal(faster.baselineMedian, 100);
  // 2% faster and significant, but within the 3% margin: not flagged.
  const small = compareMetric([102, 102.5, 101.5, 102, 102], base, 0.03);
  assert.ok(small.p! < 0.05 && !small.flagged);
  // 20% on average but all over the place: not significant, not flagged.
  const noisy = compareMetric([60, 180, 90, 170, 100], base, 0.03);
  assert.ok(noisy.p! > 0.05 && !noisy.flagged);
  // Descriptor counts without noise: 8 times as many is certain.
  const fds = compareMetric([96, 96, 96], [12, 12, 12], 0.01);
  assert.deepEqual([fds.relative, fds.ciLow, fds.ciHigh, fds.flagged, fds.p], [8, 8, 8, true, 0]);
  // One run: a ratio, no interval, never flagged.
  const one = compareMetric([150], [100], 0.03);
  assert.deepEqual([one.relative, one.ciLow, one.flagged], [1.5, null, false]);
});

const sample = (performance: number, fds = 12, memory = 4 << 20, cpu = 200): PerfSample => ({ performance, fds, memory, cpu });

function report(): PerfReport {
  const baseline = [sample(100), sample(101), sample(99)];
  const write = [sample(115), sample(116), sample(114)];
  return {
    settings: { runs: 3, warmup: 1, thresholds: { performance: 0.03, fds: 0.01, memory: 0.01, cpu: 0.01 }, test: 'welch-t', interval: 'fieller', confidence: 0.95, significance: 0.05 },
    sources: { memory: 'cgroup', cpu: 'cgroup', fds: 'sampled' },
    baseline: { medians: { performance: 100, fds: 12, memory: 4 << 20, cpu: 200 }, blocks: [{ at: 'start', samples: baseline }], drift: [] },
    conditions: [
      { nr: 1, name: 'write', treatment: 'stub', samples: write, performance: compareMetric([115, 116, 114], [100, 101, 99], 0.03), fds: compareMetric([12, 12, 12], [12, 12, 12], 0.01) },
      { nr: 3, name: 'close', treatment: 'fake', samples: [], failure: { kind: 'no-number', message: 'nothing' } },
      { nr: 16, name: 'ioctl(arg1 =TCGETS, or so)', treatment: 'fake', subfeature: 'fake:ioctl:arg1=21505', samples: write, fds: compareMetric([12, 12], [12, 12], 0.01) },
    ],
    timing: { wallMs: 1, runs: 1, benchmarkMs: 1 },
  };
}

test('perf.csv: baseline first, one row per condition, read back the same', () => {
  const text = formatPerfCsv(report());
  const lines = text.trimEnd().split('\n');
  assert.equal(lines.length, 5);
  assert.match(lines[0]!, /^# nr, name, treatment, status, performance, performance_low, performance_high, performance_flagged, performance_median, fds,/);
  assert.match(lines[1]!, /^,,baseline,measured,1,1,1,N,100,1,1,1,N,12,/);
  assert.match(lines[2]!, /^1,write,stub,measured,1\.15,1\.1\d+,1\.1\d+,Y,115,1,1,1,N,12,,,,,,,,,,$/);
  assert.match(lines[3]!, /^3,close,fake,failed:no-number,/);
  assert.match(lines[4]!, /^16,ioctl\(arg1 =TCGETS\| or so\),fake,/, 'commas in names are replaced');
  const rows = parsePerfCsv(text, 'perf.csv');
  assert.equal(rows[1]!.metrics.performance!.flagged, true);
  assert.equal(rows[1]!.metrics.performance!.baselineMedian, 100);
  assert.equal(rows[2]!.status, 'failed:no-number');
  assert.throws(() => parsePerfCsv('1,write,stub\n', 'x.csv'), /x\.csv:1: expected 24 fields/);
});

test('perf.csv of a failed baseline: its status names the failure, and nothing is claimed relative to it', () => {
  const failure = { kind: 'no-number' as const, message: 'the benchmark printed nothing on stdout' };
  const failed: PerfReport = {
    ...report(),
    baseline: { medians: { performance: NaN, fds: NaN, memory: NaN, cpu: NaN }, blocks: [{ at: 'start', samples: [], failure }], drift: [] },
    conditions: [],
    error: `the baseline's benchmark failed (no-number): ${failure.message}`,
  };
  const lines = formatPerfCsv(failed).trimEnd().split('\n');
  assert.equal(lines.length, 2);
  assert.equal(lines[1], `,,baseline,failed:no-number${',,,,,'.repeat(4)}`);
  assert.equal(parsePerfCsv(lines.join('\n'), 'perf.csv')[0]!.status, 'failed:no-number');
});

test('the human table marks flagged cells and failed benchmarks; the plot has a row per condition', () => {
  const table = formatPerfTable(perfRows(report()));
  assert.match(table, /^\| System call +\| Treatment \| Performance +\| FD usage +\| Memory usage +\| CPU time +\|$/m);
  assert.match(table, /\| write \(1\) +\| stub +\| \*\*1\.15 \[1\.1\d, 1\.1\d\]\*\* +\| 1\.00 \[1\.00, 1\.00\] +\| - +\| - +\|/);
  assert.match(table, /\| close \(3\) +\| fake +\| benchmark failed:no-number/);
  const spec = perfSpec(perfRows(report()), 'test') as { data: { values: { condition: string; flagged: string }[] } };
  assert.deepEqual([...new Set(spec.data.values.map((v) => v.condition))], ['stub write', 'fake ioctl(arg1 =TCGETS, or so)']);
  assert.deepEqual(spec.data.values.filter((v) => v.flagged === 'flagged').map((v) => v.condition), ['stub write']);
});

test('baseline drift: later blocks against the start, beyond the margin or not', () => {
  const drift = baselineDrift(
    [
      { at: 'start', samples: [sample(100), sample(100)] },
      { at: 'middle', samples: [sample(98), sample(98)] },
      { at: 'end', samples: [sample(90, 12), sample(90, 12)] },
    ],
    { performance: 0.03, fds: 0.01, memory: 0.01, cpu: 0.01 },
  );
  const perf = drift.filter((d) => d.metric === 'performance').map((d) => [d.at, d.relative, d.beyondMargin]);
  assert.deepEqual(perf, [['middle', 0.98, false], ['end', 0.9, true]]);
  assert.ok(drift.filter((d) => d.metric !== 'performance').every((d) => !d.beyondMargin));
});

test('perf options forwarded to a replica: none without --perf-analysis, defaults left out', () => {
  assert.deepEqual(perfOptionArgs({ perfAnalysis: false, perfRuns: 9 }), []);
  assert.deepEqual(perfOptionArgs({ perfAnalysis: true, perfRuns: 2, perfWarmup: 1, perfThreshold: 3, resourceThreshold: 1, cpus: '1' }), ['--perf-analysis', '--perf-runs', '2', '--cpus', '1']);
  const placement = placementArgs({ outDir: '/o', journal: '/j', jobs: 2, staticAnalysis: true, perf: { perfAnalysis: true, perfRuns: 5, perfWarmup: 0, perfThreshold: 3, resourceThreshold: 1 } });
  assert.deepEqual(placement.slice(-3), ['--perf-analysis', '--perf-warmup', '0']);
});
