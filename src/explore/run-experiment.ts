import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode, LoupeError } from '../core/errors.js';
import { buildSeccompFilter, encodeFilter, type PerturbRule } from '../sandbox/bpf.js';
import { LAUNCHER_EXEC_PATH_ADDRESS } from '../sandbox/bwrap.js';
import type { ProcessGroups } from '../sandbox/process.js';
import type { SyscallTable } from '../syscalls/table.js';
import { absentFilesArgv } from '../trace/inject-command.js';
import type { AdaptiveJobs } from './adaptive-jobs.js';
import type { SyscallCounter } from '../trace/syscall-counter.js';
import { runAttempt, type AttemptOutcome } from './attempt.js';
import { decideRetry, hangLimitNow, WorkingRunTimes, type FailedAttempt } from './retry-policy.js';
import { expectedWorks, type EarlierVerdicts } from './priors.js';
import type { Experiment, ExperimentResult, RuleSpec } from './experiment.js';

/** What a machine needs to run experiments: none of it travels with the experiment. */
export interface RunnerEnvironment {
  groups: ProcessGroups;
  launcher: string;
  /** The filesystem isolation helper (dist/bin/loupe-isolate). */
  isolateHelper: string;
  table: SyscallTable;
  /** Folder under which each experiment gets a folder of its own. */
  workDir: string;
  /** Durations of the working runs of this analysis so far, shared by its runs: tells load from a real hang. */
  workingRunTimes?: WorkingRunTimes;
  /** Totals of where the runs' time went, for the benchmark's breakdown; added to as runs finish. */
  costs?: RunCosts;
  /** Verdicts of an earlier analysis of the same application, the best prior there is. */
  earlier?: EarlierVerdicts;
  /** Aborted on Ctrl-C or an internal error: no further attempt starts, and the result is thrown away. */
  signal?: AbortSignal;
  /** Records the syscalls of each run (fallbacks); absent where the machine cannot. */
  counter?: SyscallCounter;
  /** The limit of runs side by side, told how long working runs take at it. */
  concurrency?: AdaptiveJobs;
}

/** Sums over every attempt of an analysis, ms (see AttemptOutcome.phases). */
export interface RunCosts {
  attempts: number;
  filterBuildMs: number;
  sandboxStartMs: number;
  /** Application and test script running (includes testScriptMs). */
  workloadMs: number;
  testScriptMs: number;
  teardownMs: number;
}

export const noCosts = (): RunCosts => ({ attempts: 0, filterBuildMs: 0, sandboxStartMs: 0, workloadMs: 0, testScriptMs: 0, teardownMs: 0 });

export interface DetailedResult extends ExperimentResult {
  lastAttempt: AttemptOutcome;
}

function toPerturbRule(spec: RuleSpec): PerturbRule {
  if (spec.equals !== undefined && spec.argIndex !== undefined) {
    const mask = spec.mask === undefined ? {} : { mask: BigInt(spec.mask) };
    return { nr: spec.nr, action: spec.action, select: { kind: 'equals', argIndex: spec.argIndex, value: BigInt(spec.equals), ...mask } };
  }
  if (spec.bitSet !== undefined && spec.argIndex !== undefined) {
    return { nr: spec.nr, action: spec.action, select: { kind: 'bitSet', argIndex: spec.argIndex, bit: BigInt(spec.bitSet) } };
  }
  return { nr: spec.nr, action: spec.action, select: { kind: 'all' } };
}

/** The experiment's seccomp program; with no rules, one that allows everything (a control run). */
export function filterFor(rules: readonly RuleSpec[], table: SyscallTable): Buffer {
  const execve = table.number('execve')!;
  return encodeFilter(
    buildSeccompFilter(rules.map(toPerturbRule), {
      auditArch: table.auditArch,
      exemptions: [{ nr: execve, argIndex: 0, value: LAUNCHER_EXEC_PATH_ADDRESS }],
    }),
  );
}

/**
 * A folder name made of an experiment id: the id itself when it is safe for a path and a shell
 * (`baseline`); otherwise the id made safe (at most 100 characters of it), then a hash of the
 * whole id, so that two ids never share a folder. Without
 * the hash `stub:mmap:arg3=2` (the value MAP_PRIVATE) and `stub:mmap:arg3&2` (the bit) were
 * both `stub_mmap_arg3_2`: run side by side, one read the other's filter and its verdict was
 * the other's (busybox httpd, --partial-support); long group ids cut at the same length collided
 * the same way.
 */
export const safeDirName = (id: string): string =>
  /^[A-Za-z0-9._-]{1,100}$/.test(id) ? id : `${id.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 100)}-${createHash('sha256').update(id).digest('hex').slice(0, 10)}`;

/**
 * Runs an experiment, attempting a failing one again while load could explain the failure
 * (see decideRetry); `retries` says why each further attempt was made, `stoppedBecause` why
 * the last failure was accepted as the verdict.
 */
export async function runExperiment(exp: Experiment, env: RunnerEnvironment): Promise<DetailedResult> {
  const started = Date.now();
  const filter = filterFor(exp.perturbation.rules, env.table);
  if (env.costs) env.costs.filterBuildMs += Date.now() - started;
  // The database's priors are about whole syscalls; a single argument value or file has none.
  const wholeSyscalls = exp.perturbation.rules.every((r) => r.argIndex === undefined) && !exp.perturbation.absentFiles?.length && !exp.perturbation.emptyFiles?.length;
  // Pseudo-file experiments are not syscall perturbations: they have no fallbacks to record.
  const counter = exp.perturbation.absentFiles?.length || exp.perturbation.emptyFiles?.length ? undefined : env.counter;
  let executed: Set<number> | undefined;
  let workloadMs = 0;
  let outcome: AttemptOutcome | undefined;
  const failures: FailedAttempt[] = [];
  const retries: string[] = [];
  let stoppedBecause: string | undefined;
  for (let attempt = 1; ; attempt++) {
    env.signal?.throwIfAborted();
    const dir = join(env.workDir, safeDirName(exp.id), `attempt-${attempt}`);
    mkdirSync(dir, { recursive: true });
    const absent = exp.perturbation.absentFiles ?? [];
    const wrapper = absent.length > 0 ? absentFilesArgv(absent, join(dir, 'inject.log')) : undefined;
    const counted = counter?.newRun();
    const startedAt = env.concurrency?.limit() ?? 0;
    const loadedLimitMs = hangLimitNow(exp.judge.hangLimitMs, env.workingRunTimes?.measured() ?? 0);
    outcome = await runAttempt(exp, { groups: env.groups, launcher: env.launcher, isolateHelper: env.isolateHelper, workDir: env.workDir, dir, filter, wrapper, recordIn: counted?.dir, loadedLimitMs });
    // The run's processes are all reaped: its record is complete.
    executed = counted && counter ? await counter.take(counted) : undefined;
    workloadMs += outcome.workloadMs;
    env.signal?.throwIfAborted();
    if (env.costs) {
      env.costs.attempts++;
      env.costs.sandboxStartMs += outcome.phases.sandboxStartMs;
      env.costs.workloadMs += outcome.workloadMs;
      env.costs.testScriptMs += outcome.phases.testScriptMs;
      env.costs.teardownMs += outcome.phases.teardownMs;
    }
    if (outcome.verdict === 'works') {
      env.workingRunTimes?.record(outcome.workloadMs, outcome.starved?.share);
      env.concurrency?.recordWorking(outcome.workloadMs, startedAt);
      break;
    }
    failures.push({
      failure: outcome.failure ?? 'test', reason: outcome.reason ?? 'broken', limitMs: outcome.limitMs, workloadMs: outcome.workloadMs,
      ...(outcome.waitedMs === undefined ? {} : { waitedMs: outcome.waitedMs }),
      ...(outcome.starved === undefined ? {} : { starvedShare: outcome.starved.share }),
      ...(outcome.extension === undefined ? {} : { extension: outcome.extension }),
    });
    const decision = decideRetry(failures, {
      attemptsAllowed: Math.max(1, exp.judge.attempts),
      typicalWorkingMs: env.workingRunTimes?.typical() ?? 0,
      priorWorks: wholeSyscalls ? expectedWorks(exp.perturbation.rules, env.earlier) : 1,
      group: exp.perturbation.rules.length > 1,
      workingStarvedShare: env.workingRunTimes?.starvedShare(),
    });
    if (!decision.retry) {
      stoppedBecause = decision.why;
      break;
    }
    retries.push(decision.why);
  }
  // The sandbox (or the test script) could not even start: that happens before the filter is
  // installed, so it says nothing about the perturbation and must not become a verdict.
  if (outcome.failure === 'start') {
    throw new LoupeError(
      `${exp.description}: ${outcome.reason ?? 'the run could not start'}, in all ${failures.length} attempts`,
      ExitCode.environment,
      `no verdict is recorded for a run that never started; read that log, check loupe's helpers (${env.isolateHelper}, ${env.launcher}: \`npm run build\` rebuilds them) and the machine's limits (processes, memory), then run the analysis again (--journal resumes it)`,
    );
  }
  return {
    id: exp.id,
    verdict: outcome.verdict,
    attempts: failures.length + (outcome.verdict === 'works' ? 1 : 0),
    durationMs: Date.now() - started,
    workloadMs,
    reason: outcome.reason,
    ...(retries.length > 0 ? { retries } : {}),
    ...(stoppedBecause !== undefined ? { stoppedBecause } : {}),
    lastAttempt: outcome,
    // A run that executed nothing was not recorded (it never reached the launcher's marker).
    ...(executed !== undefined && executed.size > 0 ? { executed: [...executed].sort((a, b) => a - b) } : {}),
  };
}
