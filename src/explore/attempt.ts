import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { SandboxRun } from '../sandbox/sandbox.js';
import { ProcessGroups, sleep } from '../sandbox/process.js';
import type { Verdict } from './report.js';
import type { Experiment } from './experiment.js';

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
/** Times the script may answer 200 within one run before the run counts as broken. */
export const INCONCLUSIVE_RETRIES = 20;

export interface AttemptContext {
  groups: ProcessGroups;
  launcher: string;
  /** Folder of this attempt's own (filter, logs). */
  dir: string;
  /** Encoded seccomp program for the experiment's rules; undefined runs unperturbed. */
  filter?: Buffer;
  /** Command prefix inside the sandbox (strace for discovery and absent files). */
  wrapper?: string[];
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

export interface AttemptOutcome {
  verdict: Verdict;
  reason?: string;
  /** Time the workload itself ran (application up, test script running). */
  workloadMs: number;
  appLog: string;
  testLog: string;
  /** Benchmark mode: the file holding the script's stdout of its last call. */
  benchmarkOutput?: string;
}

const READY_POLL_MS = 5;

export async function runAttempt(exp: Experiment, ctx: AttemptContext): Promise<AttemptOutcome> {
  const { workload } = exp;
  const appLog = join(ctx.dir, 'app.log');
  const testLog = join(ctx.dir, 'test.log');
  const limitMs = Math.min(workload.timeoutMs, exp.judge.hangLimitMs ?? Infinity);
  const deadline = Date.now() + limitMs;
  const sandbox = await SandboxRun.start(ctx.groups, {
    program: workload.program,
    args: workload.args,
    cwd: workload.cwd,
    launcher: ctx.launcher,
    runDir: join(ctx.dir, 'sandbox'),
    perturbed: ctx.filter !== undefined,
    filter: ctx.filter,
    onlyConsider: workload.onlyConsider,
    emptyFiles: exp.perturbation.emptyFiles,
    wrapper: ctx.wrapper,
    logFile: appLog,
    hostPrefix: [...(ctx.hostPrefix ?? []), ...(ctx.observer?.joinPrefix ?? [])],
  });
  const started = Date.now();
  ctx.observer?.started(sandbox.namespacePid);
  const benchmarkOutput = ctx.benchmark ? join(ctx.dir, 'benchmark.out') : undefined;
  const finish = async (verdict: Verdict, reason?: string): Promise<AttemptOutcome> => {
    const workloadMs = Date.now() - started;
    ctx.observer?.stopping();
    await sandbox.process.kill();
    return { verdict, reason, workloadMs, appLog, testLog, ...(benchmarkOutput ? { benchmarkOutput } : {}) };
  };
  if (sandbox.namespacePid === undefined) {
    const status = await sandbox.process.exited;
    return finish('broken', `sandbox did not start (bwrap exit ${status.code ?? status.signal}); see ${appLog}`);
  }

  if (workload.sequential || workload.testScript === undefined) {
    const status = await sandbox.process.waitWithTimeout(Math.max(0, deadline - Date.now()));
    if (status.timedOut) return finish('broken', `program still running after ${limitMs} ms${hangNote(exp)}`);
    if (status.code !== 0) return finish('broken', `program exited with ${status.code ?? status.signal}`);
    if (workload.testScript === undefined) return finish('works');
    return finish(...(await judgeWithScript(exp, ctx, ctx.hostPrefix ?? [], appLog, testLog, deadline, benchmarkOutput)));
  }

  await waitUntilReady(sandbox, exp.judge.readyListeners, Math.min(deadline, Date.now() + exp.judge.readyWaitMs));
  return finish(...(await judgeWithScript(exp, ctx, [...(ctx.hostPrefix ?? []), ...sandbox.networkEntry()], appLog, testLog, deadline, benchmarkOutput)));
}

function hangNote(exp: Experiment): string {
  const hang = exp.judge.hangLimitMs;
  return hang !== undefined && hang < exp.workload.timeoutMs ? ' (hang limit, set from the unperturbed run)' : ' (time-out)';
}

async function waitUntilReady(sandbox: SandboxRun, listeners: number, until: number): Promise<void> {
  if (listeners === 0) return;
  let exited = false;
  void sandbox.process.exited.then(() => (exited = true));
  while (!exited && Date.now() < until && sandbox.listeningSockets() < listeners) await sleep(READY_POLL_MS);
}

/** Runs the test script until it gives a verdict, asking again (bounded, with back-off) on 200. */
async function judgeWithScript(
  exp: Experiment,
  ctx: AttemptContext,
  prefix: string[],
  appLog: string,
  testLog: string,
  deadline: number,
  benchmarkOutput?: string,
): Promise<[Verdict, string?]> {
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
    const status = await test.waitWithTimeout(Math.max(0, deadline - Date.now()));
    if (test.spawnError) return ['broken', `test script could not start: ${test.spawnError.message}`];
    if (status.timedOut) return ['broken', `test script still running at the limit${hangNote(exp)}`];
    if (status.code === 0) return ['works'];
    if (status.code !== INCONCLUSIVE_EXIT) return ['broken', `test script exited with ${status.code ?? status.signal}`];
    if (ask >= exp.judge.inconclusiveRetries || Date.now() + backoffMs >= deadline) {
      return ['broken', `test script still inconclusive (200) after ${ask + 1} tries`];
    }
    await sleep(backoffMs);
    backoffMs = Math.min(backoffMs * 2, 1000);
  }
}
