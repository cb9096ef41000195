import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { baselineDrift, compareSamples, CONFIDENCE_LEVEL, medians, SIGNIFICANCE_LEVEL } from '../../analysis/perf.js';
import { type BaselineBlock, type BaselineBlockName, type BenchmarkFailure, type PerfCondition, type PerfMetric, type PerfReport, type PerfSample } from '../../core/perf-report.js';
import type { Treatment } from '../../core/verdict.js';
import { cgroupProblem, ResourceMeter, SAMPLE_INTERVAL_MS } from '../../sandbox/resources.js';
import { runAttempt, type AttemptOutcome } from '../attempt.js';
import type { Experiment } from '../experiment.js';
import { filterFor, safeDirName, type RunnerEnvironment } from '../run-experiment.js';
import { parseBenchmarkOutput } from './benchmark-output.js';

/**
 * `--perf-analysis`: after the normal analysis, the baseline and every condition (a syscall or
 * argument sub-feature whose stub or fake works) are measured in benchmark mode, one run at a
 * time and never beside another run: W warm-up runs (discarded), then N measured runs, each
 * giving the script's number and the run's peak descriptors, peak memory and CPU time
 * (sandbox/resources.ts). The baseline is measured at the start, the middle and the end; each
 * condition is compared (analysis/perf.ts) with the two blocks that bracket it (start and
 * middle for the first half, middle and end for the second), so that a slow drift of the
 * machine biases it less, and a drift between blocks beyond the margin is reported. A failing
 * benchmark fails its condition only.
 */

export interface PerfSettings {
  runs: number;
  warmup: number;
  /** CPU list for `taskset -c`: the application and the script run there. */
  cpus?: string;
  thresholds: Record<PerfMetric, number>;
  /** Work started beside the analysis (the static analysis) that must end before the first measured run. */
  quietBefore?: Promise<unknown>;
  /** Told when a condition (or baseline block) is done: its description and failure if any. */
  onCondition?: (description: string, failure?: BenchmarkFailure) => void;
}

export interface PerfConditionSpec {
  experiment: Experiment;
  nr: number;
  name: string;
  treatment: Treatment;
  subfeature?: string;
}

interface Measured {
  samples: PerfSample[];
  failure?: BenchmarkFailure;
}

export async function runPerfAnalysis(
  baseline: Experiment,
  conditions: readonly PerfConditionSpec[],
  env: RunnerEnvironment,
  settings: PerfSettings,
  signal?: AbortSignal,
): Promise<PerfReport> {
  await settings.quietBefore;
  const wallStart = Date.now();
  const problem = cgroupProblem();
  const clock = { runs: 0, benchmarkMs: 0, removals: [] as Promise<void>[] };
  const measure = (exp: Experiment, label: string): Promise<Measured> => measureCondition(exp, label, env, settings, problem === undefined, clock, signal);

  const blocks: BaselineBlock[] = [];
  const baselineBlock = async (at: BaselineBlockName): Promise<BaselineBlock> => {
    const m = await measure(forBenchmark(baseline), `baseline-${at}`);
    const block: BaselineBlock = { at, samples: m.samples, ...(m.failure ? { failure: m.failure } : {}) };
    blocks.push(block);
    settings.onCondition?.(`baseline (${at})`, m.failure);
    return block;
  };

  const start = await baselineBlock('start');
  const results: PerfCondition[] = [];
  if (start.failure === undefined) {
    for (const [i, c] of conditions.entries()) {
      if (i === Math.floor(conditions.length / 2)) await baselineBlock('middle');
      const m = await measure(forBenchmark(c.experiment), c.experiment.id);
      results.push({ nr: c.nr, name: c.name, treatment: c.treatment, ...(c.subfeature ? { subfeature: c.subfeature } : {}), samples: m.samples, ...(m.failure ? { failure: m.failure } : {}) });
      settings.onCondition?.(c.experiment.description, m.failure);
    }
    if (conditions.length > 0) await baselineBlock('end');
  }
  await Promise.all(clock.removals);
  const baselineSamples = blocks.flatMap((b) => b.samples);
  const half = Math.floor(conditions.length / 2);
  const bracketing = (index: number): PerfSample[] => {
    const around = blocks.filter((b) => b.at === 'middle' || b.at === (index < half ? 'start' : 'end')).flatMap((b) => b.samples);
    return around.length >= 2 ? around : baselineSamples;
  };
  return {
    settings: {
      runs: settings.runs,
      warmup: settings.warmup,
      ...(settings.cpus !== undefined ? { cpus: settings.cpus } : {}),
      thresholds: settings.thresholds,
      test: 'welch-t',
      interval: 'fieller',
      confidence: CONFIDENCE_LEVEL,
      significance: SIGNIFICANCE_LEVEL,
    },
    sources: {
      memory: problem === undefined
        ? `cgroup v1 memory controller: peak of rss + mapped_file (memory.stat of the run's cgroup), sampled every ${SAMPLE_INTERVAL_MS} ms`
        : `sampled every ${SAMPLE_INTERVAL_MS} ms: sum of VmRSS over the run's processes`,
      cpu: problem === undefined ? 'cgroup v1 cpuacct controller (cpuacct.usage of the run\'s cgroup)' : 'sampled: utime+stime of the run\'s processes',
      fds: `sampled every ${SAMPLE_INTERVAL_MS} ms: open descriptors summed over the run's processes`,
      ...(problem !== undefined ? { note: `no cgroup: ${problem}` } : {}),
    },
    baseline: { medians: medians(baselineSamples), blocks, drift: baselineDrift(blocks, settings.thresholds) },
    conditions: results.map((r, i) => (r.failure || r.samples.length === 0 ? r : { ...r, ...compareSamples(r.samples, bracketing(i), settings.thresholds) })),
    ...(start.failure ? { error: `the baseline's benchmark failed (${start.failure.kind}): ${start.failure.message}` } : {}),
    timing: { wallMs: Date.now() - wallStart, runs: clock.runs, benchmarkMs: clock.benchmarkMs },
  };
}

/** A benchmark may run longer, and use more CPU, than the test whose run set the hang and CPU limits: only --timeout bounds it. */
function forBenchmark(exp: Experiment): Experiment {
  const { hangLimitMs: _hang, cpuLimitMs: _cpu, ...judge } = exp.judge;
  return { ...exp, judge };
}

async function measureCondition(
  exp: Experiment,
  label: string,
  env: RunnerEnvironment,
  settings: PerfSettings,
  useCgroups: boolean,
  clock: { runs: number; benchmarkMs: number; removals: Promise<void>[] },
  signal?: AbortSignal,
): Promise<Measured> {
  const filter = filterFor(exp.perturbation.rules, env.table);
  const samples: PerfSample[] = [];
  for (let run = 0; run < settings.warmup + settings.runs; run++) {
    if (signal?.aborted) throw signal.reason;
    const dir = join(env.workDir, 'perf', safeDirName(label), `run-${run + 1}`);
    mkdirSync(dir, { recursive: true });
    const meter = new ResourceMeter(`${safeDirName(label)}-${run + 1}`, useCgroups);
    let outcome: AttemptOutcome;
    try {
      outcome = await runAttempt(exp, {
        groups: env.groups,
        launcher: env.launcher,
        isolateHelper: env.isolateHelper,
        workDir: env.workDir,
        dir,
        filter,
        benchmark: true,
        observer: meter,
        ...(settings.cpus !== undefined ? { hostPrefix: ['taskset', '-c', settings.cpus] } : {}),
      });
    } finally {
      // Also on an error: the run's cgroups are removed (the caller waits for all removals).
      await meter.finish();
      clock.removals.push(meter.removed);
    }
    const resources = meter.resources!;
    clock.runs++;
    clock.benchmarkMs += outcome.workloadMs;
    const output = outcome.benchmarkOutput === undefined ? '' : readOrEmpty(outcome.benchmarkOutput);
    if (outcome.verdict !== 'works') {
      const kind = outcome.reason?.startsWith('test script') ? 'script-failed' : 'run-failed';
      return { samples, failure: { kind, message: `run ${run + 1}: ${outcome.reason ?? 'failed'}; stdout: ${JSON.stringify(output.slice(0, 200))}; logs in ${dir}` } };
    }
    const parsed = parseBenchmarkOutput(output);
    if ('failure' in parsed) return { samples, failure: { ...parsed.failure, message: `run ${run + 1}: ${parsed.failure.message} (logs in ${dir})` } };
    if (run < settings.warmup) continue;
    samples.push({ performance: parsed.value, fds: resources.peakFds, memory: resources.peakMemoryBytes, cpu: resources.cpuMs });
  }
  return { samples };
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
