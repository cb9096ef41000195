import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { SyscallTable } from '../syscalls/table.js';
import { ExitCode, LoupeError } from '../core/errors.js';
import type { ProcessGroups } from '../sandbox/process.js';
import { noCosts, runExperiment, type RunnerEnvironment } from './run-experiment.js';
import { INCONCLUSIVE_RETRIES } from './attempt.js';
import { HANG_FACTOR, hangLimitFor, readyLimitFor, WorkingRunTimes } from './retry-policy.js';
import { runPool } from '../core/pool.js';
import { AdaptiveJobs } from './adaptive-jobs.js';
import { planArgumentExperiments, planPseudoFileExperiments, planSyscallExperiments, type PlannedExperiment } from './plan.js';
import { subfeatureVerdicts, syscallVerdicts } from './classify.js';
import { largestWorkingSet } from './final-check.js';
import { runGroupTested, type GroupTestingSummary } from './group-testing.js';
import { expectedRunMs, longestFirst, type CostContext, type EarlierVerdicts } from './priors.js';
import type { Experiment, ExperimentResult, JudgeSettings, Workload } from './experiment.js';
import type { ExperimentRecord, ExploreReport, FinalCheck, SyscallVerdict } from './report.js';
import type { Journal } from './journal.js';
import type { DiscoveryData } from './discover.js';
import { DISCOVERY_READY_WAIT_MS, runDiscovery } from './discover.js';
import { tailOf } from './logs.js';
import type { PerfSettings } from './perf/perf.js';
import { perfConditions } from './perf/conditions.js';
import { runNegativeControl } from './negative-control.js';
import { checkNoPrivilegeLoss, executablesSeen } from './privileges.js';
import { withCancellation } from './cancellation.js';
import { boundLauncher } from '../sandbox/bound-launcher.js';
import { FallbackMeasurement } from './fallbacks.js';

export interface ExploreOptions {
  workload: Workload;
  table: SyscallTable;
  groups: ProcessGroups;
  launcher: string;
  /** The filesystem isolation helper (dist/bin/loupe-isolate). */
  isolateHelper: string;
  workDir: string;
  /** Experiments run side by side (at the start, with adaptiveJobs). */
  jobs: number;
  /** The user left --jobs to loupe: the limit rises while runs side by side are not slowed (adaptive-jobs.ts). */
  adaptiveJobs?: boolean;
  attempts: number;
  partialSupport: boolean;
  finalCheck: boolean;
  /** Test whole syscalls by groups (see group-testing.ts) instead of one at a time. */
  groupTesting?: boolean;
  /** Verdicts of an earlier analysis of the same application (`--priors`): priors for grouping, ordering and retries. */
  earlier?: EarlierVerdicts;
  /** A test script that calls a do-nothing stand-in "works" is an error, not a warning (negative-control.ts). */
  strict?: boolean;
  /**
   * Path of dist/bin/loupe-syscall-counter: fallbacks are measured with it (the report says why
   * when the machine cannot). Absent: fallbacks are not measured.
   */
  syscallCounter?: string;
  journal?: Journal;
  signal?: AbortSignal;
  version: string;
  /** --perf-analysis: measure the baseline and every working stub and fake in benchmark mode. */
  perf?: PerfSettings;
  /** Progress: phase changes and finished experiments. */
  onPhase?: (phase: string, total: number) => void;
  onExperiment?: (result: ExperimentResult, description: string) => void;
}

/** How much slower than the unperturbed run a server may become ready before the test starts anyway. */
const READY_WAIT_FACTOR = 5;
const READY_WAIT_FLOOR_MS = 1000;
/** The CPU-time limit of runs to completion (see JudgeSettings.cpuLimitMs): the same factor, a lower floor, as load does not inflate CPU time. */
const CPU_HANG_FLOOR_MS = 250;

/**
 * Runs a whole analysis. Ctrl-C (`signal` aborted) or an internal error stops every run in
 * flight at once (ProcessGroups.stopAll) and throws; a run stopped that way is never recorded
 * as a verdict, in the report or in the journal.
 */
export async function explore(opts: ExploreOptions): Promise<ExploreReport> {
  return withCancellation(opts.signal, opts.groups, (signal) => exploreSteps({ ...opts, signal }));
}

async function exploreSteps(opts: ExploreOptions): Promise<ExploreReport> {
  const wallStart = Date.now();
  mkdirSync(opts.workDir, { recursive: true });
  const launcher = opts.workload.onlyConsider === undefined ? opts.launcher : boundLauncher(opts.launcher, opts.workload.onlyConsider, opts.workDir);
  const env: RunnerEnvironment = { groups: opts.groups, launcher, isolateHelper: opts.isolateHelper, table: opts.table, workDir: opts.workDir, signal: opts.signal, workingRunTimes: new WorkingRunTimes(), costs: noCosts(), concurrency: new AdaptiveJobs(opts.jobs, opts.adaptiveJobs ?? false), ...(opts.earlier ? { earlier: opts.earlier } : {}) };
  // The recorder loads its probe while discovery runs.
  const measuring = opts.syscallCounter === undefined ? undefined : FallbackMeasurement.start(opts.groups, opts.syscallCounter, opts.workDir);
  try {
    return await exploreMeasured(opts, env, wallStart, measuring);
  } catch (err) {
    await (await measuring)?.abandon();
    throw err;
  }
}

async function exploreMeasured(opts: ExploreOptions, env: RunnerEnvironment, wallStart: number, measuring: Promise<FallbackMeasurement> | undefined): Promise<ExploreReport> {
  opts.onPhase?.('discovery', 1);
  const discoveryStart = Date.now();
  const discovery = await runDiscovery(opts.workload, env, opts.signal);
  const discoveryMs = Date.now() - discoveryStart;
  const measurement = await measuring;
  if (measurement?.counter) env.counter = measurement.counter;
  if (discovery.used.length === 0) {
    // A workload that failed before reaching the binary is the likelier cause: say so first.
    const traced = discovery.diagnostics.tracedRun;
    throw new LoupeError(
      `discovery saw no system call from ${opts.workload.onlyConsider ?? opts.workload.program}${traced.verdict === 'broken' ? `, and the traced run failed its test (${traced.reason ?? 'no reason given'})` : ''}`,
      ExitCode.failed,
      traced.verdict === 'broken' ? `the workload fails in the sandbox before any experiment; its output is in ${join(opts.workDir, 'discovery', 'app.log')}`
        : opts.workload.onlyConsider ? 'check that --only-consider names the binary the workload really executes' : 'check the command line after --',
    );
  }

  await checkNoPrivilegeLoss(executablesSeen(discovery.trace), opts.workload.cwd, 'executed by the workload');

  opts.onPhase?.('baseline', 1);
  const baselineStart = Date.now();
  const { judge, baselineMs } = await calibrate(opts, env, discovery, measurement);
  const calibrationMs = Date.now() - baselineStart;
  const cost: CostContext = { sequential: opts.workload.sequential, baselineMs, limitMs: Math.min(opts.workload.timeoutMs, judge.hangLimitMs ?? Infinity), ...(opts.earlier ? { earlier: opts.earlier } : {}) };
  opts.onPhase?.('negative control', 1);
  const negativeControl = await runNegativeControl(opts.workload, judge, env, opts.strict ?? false);

  const experimentsStart = Date.now();
  const results = new Map<string, ExperimentResult>();
  const run = (planned: readonly PlannedExperiment[]): Promise<void> =>
    runAll(longestFirst(planned, (p) => expectedRunMs(p.experiment.perturbation.rules, cost)).map((p) => p.experiment), opts, env, results);

  const syscallPlan = planSyscallExperiments(discovery.used, opts.table, opts.workload, judge);
  opts.onPhase?.('syscalls', syscallPlan.length);
  let groupTesting: GroupTestingSummary | undefined;
  if (opts.groupTesting) {
    groupTesting = await runGroupTested(syscallPlan, {
      run: (exp) => runRecorded(exp, opts, env, results),
      record: (r, description) => {
        results.set(r.id, r);
        opts.onExperiment?.(r, description);
      },
      pool: (tasks) => runPool(tasks, (task) => task(), { jobs: slots(env), ...(opts.signal ? { signal: opts.signal } : {}), stopOnFirstError: true }).then(() => undefined),
      cost,
      ...(measurement?.counter ? { addsSyscalls: (result) => measurement.addsSyscalls(discovery.used, result) } : {}),
    });
  } else await run(syscallPlan);
  const syscalls = syscallVerdicts(syscallPlan, results, opts.table);

  let subfeaturePlan: PlannedExperiment[] = [];
  if (opts.partialSupport) {
    // Values of a call that works both stubbed and faked as a whole need no experiment of their own.
    const wholeWorks = new Set(syscalls.filter((s) => s.class === 'both').map((s) => s.nr));
    subfeaturePlan = [
      ...planArgumentExperiments(discovery.argumentValues.filter((a) => !wholeWorks.has(a.nr)), opts.workload, judge),
      ...planPseudoFileExperiments(discovery.pseudoFiles, opts.workload, judge),
    ];
    opts.onPhase?.('sub-features', subfeaturePlan.length);
    await run(subfeaturePlan);
  }

  let finalCheck: FinalCheck | undefined;
  if (opts.finalCheck) {
    opts.onPhase?.('final check', 2);
    finalCheck = await runFinalCheck(syscalls, opts, env, judge, results);
  }

  const experimentsMs = Date.now() - experimentsStart;
  let perf: ExploreReport['perf'];
  if (opts.perf) {
    const conditions = perfConditions([...syscallPlan, ...subfeaturePlan], results, opts.table);
    opts.onPhase?.('performance', conditions.length + 3);
    const baseline: Experiment = { id: 'baseline', description: 'baseline (nothing perturbed)', workload: opts.workload, perturbation: { rules: [] }, judge };
    const { runPerfAnalysis } = await import('./perf/perf.js');
    perf = await runPerfAnalysis(baseline, conditions, env, opts.perf, opts.signal);
  }
  const measuredPlan = [...syscallPlan, ...subfeaturePlan];
  await measurement?.confirm(discovery.used, measuredPlan, results, env, {
    jobs: slots(env),
    ...(opts.signal ? { signal: opts.signal } : {}),
    onPhase: (total) => opts.onPhase?.('fallbacks', total),
    ...(opts.onExperiment ? { onRun: opts.onExperiment } : {}),
  });
  const measured = await measurement?.finish(discovery.used, measuredPlan, results);
  const descriptions = new Map([...syscallPlan, ...subfeaturePlan].map((p) => [p.experiment.id, p.experiment.description]));
  return {
    schema: 'loupe-explore/1',
    tool: { name: 'loupe', version: opts.version },
    arch: opts.table.arch,
    workload: {
      binary: opts.workload.program,
      args: opts.workload.args,
      ...(opts.workload.testScript !== undefined ? { testScript: opts.workload.testScript } : {}),
      sequential: opts.workload.sequential,
      timeoutSec: opts.workload.timeoutMs / 1000,
      ...(opts.workload.onlyConsider !== undefined ? { onlyConsider: opts.workload.onlyConsider } : {}),
      cwd: opts.workload.cwd,
    },
    used: discovery.used,
    usedByExecutable: discovery.trace.usedByExecutable,
    discovery: discovery.diagnostics,
    ...(negativeControl ? { negativeControl } : {}),
    syscalls,
    subfeatures: subfeatureVerdicts(subfeaturePlan, results),
    ...(finalCheck ? { finalCheck } : {}),
    ...(perf ? { perf } : {}),
    ...(groupTesting ? { groupTesting } : {}),
    ...(measured ? ('fallbacks' in measured ? { fallbacks: measured.fallbacks, ...(measured.varying.length > 0 ? { fallbacksVarying: measured.varying } : {}), ...(measured.groups.length > 0 ? { fallbackGroups: measured.groups } : {}) } : { fallbacksUnavailable: measured.unavailable }) : {}),
    experiments: [...results.values()].map((r) => toRecord(r, descriptions.get(r.id) ?? r.id)),
    timing: { wallMs: Date.now() - wallStart, discoveryMs, baselineMs: calibrationMs, experimentsMs, jobs: opts.jobs, jobsLargest: env.concurrency!.largest(), runs: env.costs! },
  };
}

function toRecord(r: ExperimentResult, description: string): ExperimentRecord {
  return {
    id: r.id,
    description,
    verdict: r.verdict,
    attempts: r.attempts,
    durationMs: r.durationMs,
    workloadMs: r.workloadMs,
    ...(r.reason !== undefined ? { reason: r.reason } : {}),
    ...(r.inferredFrom !== undefined ? { inferredFrom: r.inferredFrom } : {}),
    ...(r.retries !== undefined ? { retries: r.retries } : {}),
    ...(r.stoppedBecause !== undefined ? { stoppedBecause: r.stoppedBecause } : {}),
  };
}

/**
 * The unperturbed workload must pass its test before anything else is worth running; its
 * run also tells how long the server takes to listen, which bounds later waits.
 */
async function calibrate(opts: ExploreOptions, env: RunnerEnvironment, discovery: DiscoveryData, measurement?: FallbackMeasurement): Promise<{ judge: JudgeSettings; baselineMs: number }> {
  const probe: JudgeSettings = {
    attempts: opts.attempts,
    inconclusiveRetries: INCONCLUSIVE_RETRIES,
    readyListeners: discovery.listeners,
    // Never let the wait for sockets eat the test script's time.
    readyWaitMs: Math.min(DISCOVERY_READY_WAIT_MS, opts.workload.timeoutMs / 2),
  };
  const baseline: Experiment = { id: 'baseline', description: 'baseline (nothing perturbed)', workload: opts.workload, perturbation: { rules: [] }, judge: probe };
  const result = await runExperiment(baseline, env);
  measurement?.recordBaseline(result);
  if (result.verdict !== 'works') {
    throw new LoupeError(
      `the baseline run already fails, with nothing perturbed: ${result.reason ?? 'test failed'}\n` +
        `--- application log (${result.lastAttempt.appLog}), last lines:\n${tailOf(result.lastAttempt.appLog)}\n` +
        `--- test script log (${result.lastAttempt.testLog}), last lines:\n${tailOf(result.lastAttempt.testLog)}`,
      ExitCode.failed,
      'make the workload pass on its own first: run the application and the test script by hand, check ports, paths and --timeout',
    );
  }
  // The baseline ran alone; side by side, runs share the cores. It stands in until a working experiment is seen.
  env.workingRunTimes!.setStandIn(result.workloadMs * Math.max(1, opts.jobs / availableParallelism()));
  env.concurrency!.setBaseline(result.workloadMs);
  const judge: JudgeSettings = {
    ...probe,
    readyWaitMs: Math.min(opts.workload.timeoutMs, Math.max(READY_WAIT_FLOOR_MS, READY_WAIT_FACTOR * result.workloadMs)),
    hangLimitMs: hangLimitFor(result.workloadMs),
    ...(opts.workload.sequential ? { cpuLimitMs: Math.max(CPU_HANG_FLOOR_MS, HANG_FACTOR * result.lastAttempt.cpuMs) } : {}),
    ...(!opts.workload.sequential && result.lastAttempt.readyMs !== undefined ? { readyLimitMs: readyLimitFor(result.lastAttempt.readyMs) } : {}),
  };
  return { judge, baselineMs: result.workloadMs };
}

async function runAll(experiments: readonly Experiment[], opts: ExploreOptions, env: RunnerEnvironment, results: Map<string, ExperimentResult>): Promise<void> {
  await runPool(experiments, (exp) => runRecorded(exp, opts, env, results), { jobs: slots(env), ...(opts.signal ? { signal: opts.signal } : {}), stopOnFirstError: true });
}

/** The pool's limit: what the analysis' AdaptiveJobs allows at each free slot. */
function slots(env: RunnerEnvironment): () => number {
  return () => env.concurrency!.limit();
}

/** Runs one experiment (or takes it from the journal), records its result and reports it. */
async function runRecorded(exp: Experiment, opts: ExploreOptions, env: RunnerEnvironment, results: Map<string, ExperimentResult>): Promise<ExperimentResult> {
  const journaled = opts.journal?.get(exp.id);
  const detailed = journaled ? undefined : await runExperiment(exp, env);
  const result: ExperimentResult = journaled ?? stripDetails(detailed!);
  // A run stopped by a cancellation is no verdict.
  opts.signal?.throwIfAborted();
  if (!journaled) opts.journal?.record(result);
  results.set(exp.id, result);
  opts.onExperiment?.(result, exp.description);
  return result;
}

function stripDetails(r: ExperimentResult & { lastAttempt?: unknown }): ExperimentResult {
  const { lastAttempt: _unused, ...rest } = r;
  return rest;
}

async function runFinalCheck(
  syscalls: readonly SyscallVerdict[],
  opts: ExploreOptions,
  env: RunnerEnvironment,
  judge: JudgeSettings,
  results: Map<string, ExperimentResult>,
): Promise<FinalCheck> {
  const jointly = async (action: 'stub' | 'fake', set: readonly number[]): Promise<boolean> => {
    const id = `final:${action}:${set.join(',')}`;
    const exp: Experiment = { id, description: `${action} together: ${set.length} syscalls`, workload: opts.workload, perturbation: { rules: set.map((nr) => ({ nr, action })) }, judge };
    await runAll([exp], opts, env, results);
    return results.get(id)!.verdict === 'works';
  };
  const stubbable = syscalls.filter((s) => s.stub === 'works').map((s) => s.nr);
  const fakeable = syscalls.filter((s) => s.fake === 'works').map((s) => s.nr);
  const [stubVerdict, fakeVerdict] = await Promise.all([jointly('stub', stubbable), jointly('fake', fakeable)]);
  const check: FinalCheck = {
    allStubbed: { syscalls: stubbable, verdict: stubVerdict ? 'works' : 'broken' },
    allFaked: { syscalls: fakeable, verdict: fakeVerdict ? 'works' : 'broken' },
  };
  // The two searches are independent: side by side, a workload's runs of minutes (a test suite) cost half the wall time.
  const [stubSet, fakeSet] = await Promise.all([
    stubVerdict ? undefined : largestWorkingSet(stubbable, (set) => jointly('stub', set)),
    fakeVerdict ? undefined : largestWorkingSet(fakeable, (set) => jointly('fake', set)),
  ]);
  if (stubSet) check.largestWorkingStubSet = stubSet;
  if (fakeSet) check.largestWorkingFakeSet = fakeSet;
  return check;
}
