import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { SandboxRun } from '../sandbox/sandbox.js';
import { ProcessGroups, sleep } from '../sandbox/process.js';
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
}

export interface AttemptOutcome {
  verdict: Verdict;
  reason?: string;
  /** Time the workload itself ran (application up, test script running). */
  workloadMs: number;
  appLog: string;
  testLog: string;
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
    isolateHelper: ctx.isolateHelper,
    isolation: workload.filesystem ?? DEFAULT_ISOLATION,
    passThrough: [ctx.workDir],
    keptLayersDir: join(ctx.dir, 'writes'),
    runDir: join(ctx.dir, 'sandbox'),
    filter: ctx.filter,
    onlyConsider: workload.onlyConsider,
    emptyFiles: exp.perturbation.emptyFiles,
    wrapper: ctx.wrapper,
    logFile: appLog,
  });
  const started = Date.now();
  const finish = async (verdict: Verdict, reason?: string): Promise<AttemptOutcome> => {
    const workloadMs = Date.now() - started;
    await sandbox.stop();
    return { verdict, reason, workloadMs, appLog, testLog };
  };
  if (sandbox.namespacePid === undefined) {
    const status = await sandbox.appExited;
    return finish('broken', `sandbox did not start (exit ${status.code ?? status.signal}); see ${appLog}`);
  }

  if (workload.sequential || workload.testScript === undefined) {
    const status = await sandbox.waitForApp(Math.max(0, deadline - Date.now()));
    if (status.timedOut) return finish('broken', `program still running after ${limitMs} ms${hangNote(exp)}`);
    if (status.code !== 0) return finish('broken', `program exited with ${status.code ?? status.signal}`);
    if (workload.testScript === undefined) return finish('works');
    return finish(...(await judgeWithScript(exp, ctx, sandbox.testEntry(workload.cwd, false), appLog, testLog, deadline)));
  }

  await waitUntilReady(sandbox, exp.judge.readyListeners, Math.min(deadline, Date.now() + exp.judge.readyWaitMs));
  const ended = sandbox.appStatus;
  // Its network namespace went with it: the test could only fail to reach it.
  if (ended) return finish('broken', `the application exited with ${ended.code ?? ended.signal} before its test could start`);
  return finish(...(await judgeWithScript(exp, ctx, sandbox.testEntry(workload.cwd, true), appLog, testLog, deadline)));
}

function hangNote(exp: Experiment): string {
  const hang = exp.judge.hangLimitMs;
  return hang !== undefined && hang < exp.workload.timeoutMs ? ' (hang limit, set from the unperturbed run)' : ' (time-out)';
}

async function waitUntilReady(sandbox: SandboxRun, listeners: number, until: number): Promise<void> {
  if (listeners === 0) return;
  while (sandbox.appStatus === undefined && Date.now() < until && sandbox.listeningSockets() < listeners) await sleep(READY_POLL_MS);
}

/** Runs the test script until it gives a verdict, asking again (bounded, with back-off) on 200. */
async function judgeWithScript(
  exp: Experiment,
  ctx: AttemptContext,
  prefix: string[],
  appLog: string,
  testLog: string,
  deadline: number,
): Promise<[Verdict, string?]> {
  const script = exp.workload.testScript!;
  let backoffMs = 20;
  for (let ask = 0; ; ask++) {
    const log = openSync(testLog, 'a');
    const test = ctx.groups.start({ argv: [...prefix, script, appLog], cwd: exp.workload.cwd, stdio: ['ignore', log, log] });
    closeSync(log);
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
