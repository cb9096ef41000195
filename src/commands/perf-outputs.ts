import { join } from 'node:path';
import { formatBaselineMedians, formatPerfTable, perfRows } from '../analysis/perf.js';
import { type PerfMetric, type PerfReport } from '../core/perf-report.js';
import { ExitCode, LoupeError } from '../core/errors.js';
import { formatPerfCsv } from '../db/perf-csv.js';
import type { PerfSettings } from '../explore/perf/perf.js';
import type { PerfOptions } from '../explore/perf/options.js';
import { writeAtomically } from '../fs/write-atomically.js';
import { perfSpec } from '../plots/perf-spec.js';
import { writePlot } from '../plots/render.js';
import { capture } from '../sandbox/capture.js';

/** What `explore --perf-analysis` adds to the explore command: checks, settings, outputs. */

/** Checks what a perf analysis needs before the normal analysis spends any time. */
export async function perfSettings(o: PerfOptions, testScript: string | undefined): Promise<PerfSettings> {
  if (testScript === undefined) {
    throw new LoupeError('--perf-analysis needs a test script (-t) with a benchmark mode', ExitCode.usage, 'the script is called as SCRIPT LOGFILE benchmark and prints one number on stdout, higher is better');
  }
  if (o.cpus !== undefined) {
    const probe = await capture(['taskset', '-c', o.cpus, 'true']);
    if (probe.code !== 0) {
      throw new LoupeError(`--cpus ${o.cpus}: taskset refuses this CPU list: ${probe.stderr.trim()}`, ExitCode.usage, 'give CPU numbers this machine has, e.g. --cpus 1 or --cpus 0-1 (see nproc)');
    }
  }
  const resource = o.resourceThreshold / 100;
  const thresholds: Record<PerfMetric, number> = { performance: o.perfThreshold / 100, fds: resource, memory: resource, cpu: resource };
  return { runs: o.perfRuns, warmup: o.perfWarmup, ...(o.cpus !== undefined ? { cpus: o.cpus } : {}), thresholds };
}

/** perf.csv, perf.svg and perf.png in the output folder (next to dyn.csv). */
export async function writePerfOutputs(outDir: string, perf: PerfReport, subject: string): Promise<void> {
  writeAtomically(join(outDir, 'perf.csv'), formatPerfCsv(perf));
  if (perf.conditions.length > 0) await writePlot(outDir, 'perf', perfSpec(perfRows(perf), subject));
}

/** Human text: settings, sources, baseline, the table, failures and drift. */
export function formatPerfSummary(perf: PerfReport): string {
  const s = perf.settings;
  const out = [
    '',
    `Performance and resource impact (${s.runs} measured runs after ${s.warmup} warm-up per condition; ` +
      `95% Fieller intervals; **bold**: Welch's t-test p < ${s.significance} and beyond ${pct(s.thresholds.performance)} for performance, ${pct(s.thresholds.fds)} for resources)`,
    `Sources: memory ${perf.sources.memory}; CPU ${perf.sources.cpu}; descriptors ${perf.sources.fds}${perf.sources.note ? ` (${perf.sources.note})` : ''}`,
  ];
  if (perf.error) return [...out, `No perf analysis: ${perf.error}`].join('\n') + '\n';
  out.push(`Baseline (median): ${formatBaselineMedians(perf.baseline.medians)}`, '', formatPerfTable(perfRows(perf)).trimEnd());
  for (const c of perf.conditions) if (c.failure) out.push(`  ${c.treatment} ${c.name}: ${c.failure.message}`);
  for (const b of perf.baseline.blocks) if (b.failure) out.push(`  baseline (${b.at}): ${b.failure.message}`);
  const drift = perf.baseline.drift.filter((d) => d.beyondMargin);
  if (drift.length > 0) {
    out.push(`Baseline drift beyond the margin (the machine changed during the analysis; figures near the threshold are doubtful):`);
    for (const d of drift) out.push(`  ${d.metric} at the ${d.at}: ${d.relative.toFixed(3)} x the start`);
  }
  out.push(`Perf analysis: ${perf.timing.runs} runs in ${(perf.timing.wallMs / 1000).toFixed(1)} s (benchmark runs ${(perf.timing.benchmarkMs / 1000).toFixed(1)} s)`);
  return out.join('\n') + '\n';
}

const pct = (v: number): string => `${Number((v * 100).toFixed(2))}%`;
