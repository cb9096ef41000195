import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import type { SandboxSpec } from '../sandbox/bwrap.js';
import { SandboxRun } from '../sandbox/sandbox.js';
import { ProcessGroups, sleep, type ExitStatus } from '../sandbox/process.js';
import { treeCpuMs, treeSchedule } from '../sandbox/cpu-time.js';
import { readCpuPressure } from '../sandbox/cpu-pressure.js';
import { RunDeadline } from './run-deadline.js';
import type { Verdict } from './report.js';
import type { Experiment } from './experiment.js';
import { DEFAULT_ISOLATION } from '../sandbox/isolation.js';

/**
 * One run of an experiment under the test-script protocol of the original Loupe:
 * - server workloads: start the application, start `SCRIPT LOGFILE` as soon as it is ready
 *   (its listening sockets are up, with a bounded wait), kill the application afterwards;
 * - sequential workloads: the application must exit 0 within the time-out, then the script
 *   judges its log.
 * Script exit 0: works; 200: inconclusive, ask again after a short back-off; anything else,
 * or running past the time-out: broken.
 */

export const INCONCLUSIVE_EXIT = 200;
/** Folder of an attempt's `dir` where a workload with `keepWrites` keeps its writable layers. */
export const KEPT_WRITES_DIR = 'writes';
/** Times the script may answer 200 within one run before the run counts as broken. */
export const INCONCLUSIVE_RETRIES = 20;

export interface AttemptContext {
  groups: ProcessGroups;
  launcher: string;
  /** The filesystem isolation helper (dist/bin/loupe-isolate). */
  isolateHelper: string;
  /** The analysis' own work folder: bound through, so traces and logs written in a run reach it. */
  workDir: string;
  /** Folder of this attempt's own (filter, logs). */
  dir: string;
  /** Encoded seccomp program for the experiment's rules (one that allows everything for a control run). */
  filter: Buffer;
  /** Command prefix inside the sandbox (strace for discovery and absent files). */
  wrapper?: string[];
  /** Environment of the application inside the sandbox (coverage: where .gcda files go). */
  env?: SandboxSpec['env'];
  /** Files replaced for the run (coverage: the instrumented copy over the analysed binary). */
  replacedFiles?: SandboxSpec['replacedFiles'];
  /**
   * Stop a still-running application with SIGTERM and wait this long before killing it, instead
   * of killing it at once (coverage: a server writes its .gcda files when it exits).
   */
  gracefulStopMs?: number;
  /** The run's cgroup folder, so that its syscalls are recorded (SandboxSpec.recordIn; needs `filter`), and its starvation measured (run-deadline.ts). */
  recordIn?: string;
  /** A hang limit raised for a machine that has become slower (retry-policy.ts hangLimitNow), ms: the run is held to it when it is above the experiment's own. */
  loadedLimitMs?: number;
  /** Host command prefix of both the application and the test script (e.g. `taskset -c LIST`). */
  hostPrefix?: string[];
  /** Benchmark mode (--perf-analysis): the script is called as `SCRIPT LOGFILE benchmark`; its stdout goes to `benchmarkOutput`. */
  benchmark?: boolean;
  /** Watches the run from the host, e.g. samples its processes (sandbox/resources.ts ResourceMeter). */
  observer?: RunObserver;
}

/** Something that follows one run: joins it through a host prefix, hears when it starts and ends. */
export interface RunObserver {
  /** Host command prefix of the application only (e.g. joining a cgroup), run after hostPrefix. */
  readonly joinPrefix: string[];
  started(namespacePid: number | undefined): void;
  /** Called before the run is killed. */
  stopping(): void;
}

/**
 * Why a run failed, as far as the engine can tell: `hang` (still running at the limit),
 * `spin` (a run to completion used more CPU time than its CPU limit: a spinning hang, whatever
 * the load), `crash` (the program died from a signal it raises on itself, such as SIGSEGV or
 * SIGABRT), `exit` (the program exited non-zero), `test` (the script said broken),
 * `inconclusive` (the script kept answering 200), `start` (sandbox or script could not start).
 */
export type FailureKind = 'hang' | 'spin' | 'crash' | 'exit' | 'test' | 'inconclusive' | 'start';

export interface AttemptOutcome {
  verdict: Verdict;
  reason?: string;
  /** Set when the verdict is broken. */
  failure?: FailureKind;
  /** The limit this run was held to (hang limit or time-out), ms. */
  limitMs: number;
  /** Time the workload itself ran (application up, test script running). */
  workloadMs: number;
  /** CPU time the run's processes used (sampled every CPU_POLL_MS while a run to completion runs: a lower bound), ms. */
  cpuMs: number;
  /** A hang only: how long the program's threads, summed, waited for a CPU while runnable (sandbox/cpu-time.ts treeSchedule), ms. */
  waitedMs?: number;
  /** With a run cgroup (recordIn): how long other work kept all the run's runnable tasks off the CPU (sandbox/cpu-pressure.ts, "full"), ms, and that as a share of the run's life (sandbox start to stop). */
  starved?: { ms: number; share: number };
  /** A hang with a run cgroup: how long past its limit the run was let go for that starvation, ms, and whether it reached the cap (run-deadline.ts). */
  extension?: { ms: number; capped: boolean };
  /** Where the attempt's time went, ms: setting up the sandbox until the program starts; the test script's runs (part of workloadMs); stopping the run. */
  phases: { sandboxStartMs: number; testScriptMs: number; teardownMs: number };
  appLog: string;
  testLog: string;
  /** With gracefulStopMs: whether the application had exited, exited on SIGTERM, or was killed. */
  stopped?: 'exited' | 'terminated' | 'killed';
  /** Benchmark mode: the file holding the script's stdout of its last call. */
  benchmarkOutput?: string;
  /** A server whose test answered (0 or broken, not 200): ms from the application's start to the start of that answer's call. */
  readyMs?: number;
}

const READY_POLL_MS = 5;
/** How often a run to completion's CPU time is read. */
const CPU_POLL_MS = 20;

export async function runAttempt(exp: Experiment, ctx: AttemptContext): Promise<AttemptOutcome> {
  const { workload } = exp;
  const appLog = join(ctx.dir, 'app.log');
  const testLog = join(ctx.dir, 'test.log');
  const calibratedMs = exp.judge.hangLimitMs ?? Infinity;
  const limitMs = Math.min(workload.timeoutMs, Math.max(calibratedMs, ctx.loadedLimitMs ?? 0));
  const cgroup = ctx.recordIn;
  const sandboxStart = Date.now();
  const sandbox = await SandboxRun.start(ctx.groups, {
    program: workload.program,
    args: workload.args,
    cwd: workload.cwd,
    launcher: ctx.launcher,
    isolateHelper: ctx.isolateHelper,
    isolation: workload.filesystem ?? DEFAULT_ISOLATION,
    passThrough: [ctx.workDir],
    keptLayersDir: join(ctx.dir, KEPT_WRITES_DIR),
    runDir: join(ctx.dir, 'sandbox'),
    filter: ctx.filter,
    onlyConsider: workload.onlyConsider,
    emptyFiles: exp.perturbation.emptyFiles,
    wrapper: ctx.wrapper,
    env: ctx.env,
    replacedFiles: ctx.replacedFiles,
    logFile: appLog,
    recordIn: ctx.recordIn,
    hostPrefix: [...(ctx.hostPrefix ?? []), ...(ctx.observer?.joinPrefix ?? [])],
    startLimitMs: workload.timeoutMs,
  });
  const started = Date.now();
  // The limits count from the program's start: a sandbox slowed at its start-up (layers,
  // namespaces) by load is not the program hanging.
  const deadline = new RunDeadline({ calibratedMs, plainMs: limitMs, timeoutMs: workload.timeoutMs }, cgroup === undefined ? undefined : starvationFromNow(cgroup));
  ctx.observer?.started(sandbox.namespacePid);
  const benchmarkOutput = ctx.benchmark ? join(ctx.dir, 'benchmark.out') : undefined;
  const script: ScriptTiming = { ms: 0, startedAt: started };
  let cpuMs = 0;
  const finish = async (verdict: Verdict, failure?: FailureKind, reason?: string): Promise<AttemptOutcome> => {
    const workloadMs = Date.now() - started;
    // A server that crashed before or while the script ran: the crash, not the script's answer, is the failure.
    const crashed = failure !== undefined && failure !== 'hang' && crashSignal(sandbox.appStatus) !== undefined;
    // Read before the stop: how long the hung program's threads waited for a CPU tells whether load may explain the hang.
    const waitedMs = failure === 'hang' && sandbox.namespacePid !== undefined ? Math.round(treeSchedule(sandbox.namespacePid).waitingMs) : undefined;
    ctx.observer?.stopping();
    let stopped: AttemptOutcome['stopped'];
    if (ctx.gracefulStopMs === undefined) await sandbox.stop();
    else stopped = await sandbox.terminate(ctx.gracefulStopMs);
    const phases = { sandboxStartMs: started - sandboxStart, testScriptMs: script.ms, teardownMs: Date.now() - started - workloadMs };
    // Every process of the run is reaped, its cgroup's totals are final.
    const pressure = cgroup === undefined ? undefined : readCpuPressure(cgroup);
    const starved = pressure && { ms: Math.round(pressure.fullMs), share: pressure.fullMs / Math.max(1, Date.now() - sandboxStart) };
    const extension = failure === 'hang' ? deadline.extension() : undefined;
    const kind = crashed ? 'crash' : failure;
    // A server gone while its script ran: the script only failed to reach it (entering its namespaces fails with 125).
    const serverGone = !crashed && failure === 'test' && !workload.sequential && sandbox.appStatus !== undefined;
    const why = crashed && failure !== 'crash' ? `${reason}; the program died from ${crashSignal(sandbox.appStatus)}`
      : serverGone ? `${reason}; the application had exited with ${sandbox.appStatus!.code ?? sandbox.appStatus!.signal} while its test ran` : reason;
    return {
      verdict, ...(kind ? { failure: kind } : {}), ...(why !== undefined ? { reason: why } : {}), limitMs, workloadMs, cpuMs, ...(script.readyMs === undefined ? {} : { readyMs: script.readyMs }), ...(waitedMs === undefined ? {} : { waitedMs }), ...(starved ? { starved } : {}), ...(extension ? { extension } : {}), phases, appLog, testLog,
      ...(benchmarkOutput ? { benchmarkOutput } : {}), ...(stopped === undefined ? {} : { stopped }),
    };
  };
  if (sandbox.namespacePid === undefined) {
    const status = await sandbox.appExited;
    return finish('broken', 'start', sandbox.startTimedOut ? `sandbox did not start within ${workload.timeoutMs} ms (time-out); see ${appLog}` : `sandbox did not start (exit ${status.code ?? status.signal}); see ${appLog}`);
  }

  if (workload.sequential || workload.testScript === undefined) {
    const cpuLimitMs = exp.judge.cpuLimitMs;
    let spinning = false;
    const watch = setInterval(() => {
      cpuMs = Math.max(cpuMs, treeCpuMs(sandbox.namespacePid!));
      if (cpuLimitMs !== undefined && cpuMs > cpuLimitMs && !spinning) {
        spinning = true;
        void sandbox.process.kill();
      }
    }, CPU_POLL_MS);
    const ended = await deadline.wait(sandbox.appExited);
    const status = ended ? { ...ended, timedOut: false } : await sandbox.waitForApp(0);
    clearInterval(watch);
    if (spinning) return finish('broken', 'spin', `program used more than ${cpuLimitMs} ms of CPU time (CPU limit, set from the unperturbed run)`);
    if (status.timedOut) return finish('broken', 'hang', `program still running after ${limitMs} ms${hangNote(exp)}`);
    if (status.code !== 0) {
      const signal = crashSignal(status);
      return finish('broken', signal ? 'crash' : 'exit', `program exited with ${status.code ?? status.signal}`);
    }
    if (workload.testScript === undefined) return finish('works');
    return finish(...(await judgeWithScript(exp, ctx, [...(ctx.hostPrefix ?? []), ...sandbox.testEntry(workload.cwd, false)], appLog, testLog, deadline, script, benchmarkOutput)));
  }

  await waitUntilReady(sandbox, exp.judge.readyListeners, Math.min(deadline.at(), Date.now() + exp.judge.readyWaitMs, started + (exp.judge.readyLimitMs ?? Infinity)));
  const ended = sandbox.appStatus;
  // Its network namespace went with it: the test could only fail to reach it.
  if (ended) return finish('broken', crashSignal(ended) ? 'crash' : 'exit', `the application exited with ${ended.code ?? ended.signal} before its test could start`);
  return finish(...(await judgeWithScript(exp, ctx, [...(ctx.hostPrefix ?? []), ...sandbox.testEntry(workload.cwd, true)], appLog, testLog, deadline, script, benchmarkOutput)));
}

/** Reads how long other work has held all of the cgroup's runnable tasks off the CPU since this call, ms, on each call (sandbox/cpu-pressure.ts, "full"); undefined when unreadable. */
function starvationFromNow(cgroup: string): () => number | undefined {
  const before = readCpuPressure(cgroup)?.fullMs ?? 0;
  return () => {
    const fullMs = readCpuPressure(cgroup)?.fullMs;
    return fullMs === undefined ? undefined : fullMs - before;
  };
}

/**
 * Signals that a program raises on itself when it goes wrong, never sent by load or by us (we
 * stop runs with SIGTERM and SIGKILL; the OOM killer sends SIGKILL).
 */
const CRASH_SIGNALS: ReadonlySet<string> = new Set(['SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGSEGV', 'SIGSYS']);

function crashSignal(status: ExitStatus | undefined): string | undefined {
  return status?.signal && CRASH_SIGNALS.has(status.signal) ? status.signal : undefined;
}

function hangNote(exp: Experiment): string {
  const hang = exp.judge.hangLimitMs;
  return hang !== undefined && hang < exp.workload.timeoutMs ? ' (hang limit, set from the unperturbed run)' : ' (time-out)';
}

async function waitUntilReady(sandbox: SandboxRun, listeners: number, until: number): Promise<void> {
  if (listeners === 0) return;
  while (sandbox.appStatus === undefined && Date.now() < until && sandbox.listeningSockets() < listeners) await sleep(READY_POLL_MS);
}

/** The test script's time in one run: `ms` spent in its calls; `readyMs`, once it answered, from the application's start (`startedAt`, Date.now() ms) to that call. */
interface ScriptTiming {
  ms: number;
  startedAt: number;
  readyMs?: number;
}

/**
 * Runs the test script until it gives a verdict, asking again (bounded, with back-off) on 200:
 * until the hang limit, the readiness limit of a server (JudgeSettings.readyLimitMs), or the
 * tries allowed.
 */
async function judgeWithScript(
  exp: Experiment,
  ctx: AttemptContext,
  prefix: string[],
  appLog: string,
  testLog: string,
  deadline: RunDeadline,
  spent: ScriptTiming,
  benchmarkOutput?: string,
): Promise<[Verdict, FailureKind?, string?]> {
  const script = exp.workload.testScript!;
  let backoffMs = 20;
  for (let ask = 0; ; ask++) {
    const log = openSync(testLog, 'a');
    // In benchmark mode only the last call's stdout counts: an inconclusive call's output is dropped.
    const out = benchmarkOutput === undefined ? log : openSync(benchmarkOutput, 'w');
    const argv = [...prefix, script, appLog, ...(benchmarkOutput === undefined ? [] : ['benchmark'])];
    const test = ctx.groups.start({ argv, cwd: exp.workload.cwd, stdio: ['ignore', out, log] });
    closeSync(log);
    if (out !== log) closeSync(out);
    const asked = Date.now();
    const ended = await deadline.wait(test.exited);
    const status = ended ? { ...ended, timedOut: false } : await test.waitWithTimeout(0);
    spent.ms += Date.now() - asked;
    if (test.spawnError) return ['broken', 'start', `test script could not start: ${test.spawnError.message}`];
    if (status.timedOut) return ['broken', 'hang', `test script still running at the limit${hangNote(exp)}`];
    if (status.code !== INCONCLUSIVE_EXIT) {
      spent.readyMs = asked - spent.startedAt;
      return status.code === 0 ? ['works'] : ['broken', 'test', `test script exited with ${status.code ?? status.signal}`];
    }
    const notReadyMs = Date.now() - spent.startedAt;
    // Starved of CPU (by other runs side by side, or other work), a server takes longer to be ready.
    const readyLimit = exp.judge.readyLimitMs === undefined ? undefined : { calibratedMs: exp.judge.readyLimitMs, nowMs: deadline.stretched(exp.judge.readyLimitMs) };
    if (readyLimit !== undefined && notReadyMs + backoffMs >= readyLimit.nowMs) {
      const stretched = readyLimit.nowMs > readyLimit.calibratedMs ? `, ${readyLimit.calibratedMs} ms set from the unperturbed run and moved on by the time other work kept it off the CPU` : ', set from the unperturbed run';
      return ['broken', 'inconclusive', `never ready: the test script still answered 200 (not ready) ${notReadyMs} ms after the start, after ${ask + 1} tries (readiness limit ${readyLimit.nowMs} ms${stretched})`];
    }
    // Still not ready at the limit: as much a hang as a script that never returns.
    if (backoffMs >= deadline.remaining()) return ['broken', 'hang', `test script still inconclusive (200) at the limit after ${ask + 1} tries${hangNote(exp)}`];
    if (ask >= exp.judge.inconclusiveRetries) return ['broken', 'inconclusive', `test script still inconclusive (200) after ${ask + 1} tries`];
    await sleep(backoffMs);
    backoffMs = Math.min(backoffMs * 2, 1000);
  }
}
