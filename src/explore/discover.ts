import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { straceArgv } from '../trace/strace-command.js';
import { parseStraceLog } from '../trace/parser.js';
import { discover, type Discovery } from '../trace/discovery.js';
import { canonicalExecutablePath } from '../trace/canonical-path.js';
import { ExitCode, LoupeError } from '../core/errors.js';
import { INCONCLUSIVE_RETRIES, runAttempt } from './attempt.js';
import type { Workload } from './experiment.js';
import type { ArgumentCandidate } from './plan.js';
import { filterFor, type RunnerEnvironment } from './run-experiment.js';
import { tailOf } from './logs.js';
import { SANDBOX_DIR } from '../sandbox/bwrap.js';

/** Longest wait for a first listening socket under strace; the test script's 200 covers the rest. */
export const DISCOVERY_READY_WAIT_MS = 5000;

/** What the experiments are planned from. */
export interface DiscoveryData {
  used: number[];
  argumentValues: ArgumentCandidate[];
  /** Pseudo-files under /proc, /sys and /dev opened successfully, spelled so they name the same file in another run. */
  pseudoFiles: string[];
  /** Sockets the application listens on once ready (successful listen calls). */
  listeners: number;
  /** The traced run itself, unperturbed: its test verdict (tracing can slow a server past its test). */
  tracedRunWorked: boolean;
  trace: Discovery;
}

/**
 * One traced run of the workload (strace following children) inside the same kind of sandbox as
 * the experiments, so that a server's fixed port never collides with anything else.
 */
export async function runDiscovery(workload: Workload, env: RunnerEnvironment, signal?: AbortSignal): Promise<DiscoveryData> {
  const dir = join(env.workDir, 'discovery');
  const traceFile = join(dir, 'strace.log');
  const argv = straceArgv({ outputFile: traceFile, binary: workload.program, args: workload.args });
  const wrapper = argv.slice(0, argv.indexOf('--') + 1);
  const outcome = await runAttempt(
    {
      id: 'discovery',
      description: 'discovery (traced, nothing perturbed)',
      workload,
      perturbation: { rules: [] },
      judge: { attempts: 1, inconclusiveRetries: INCONCLUSIVE_RETRIES, readyListeners: 1, readyWaitMs: Math.min(workload.timeoutMs, DISCOVERY_READY_WAIT_MS) },
    },
    { groups: env.groups, launcher: env.launcher, isolateHelper: env.isolateHelper, workDir: env.workDir, dir, wrapper, filter: filterFor([], env.table) },
  );
  signal?.throwIfAborted();
  let text: string;
  try {
    text = readFileSync(traceFile, 'utf8');
  } catch {
    throw new LoupeError(
      'the discovery run produced no trace',
      ExitCode.failed,
      `strace could not start the program; its log says:\n${tailOf(outcome.appLog)}`,
    );
  }
  const parsed = parseStraceLog(text, env.table);
  const trace = discover(parsed, { onlyConsider: workload.onlyConsider, canonicalPath: canonicalExecutablePath(workload.cwd), launcherTarget: `${SANDBOX_DIR}/target` });
  // Servers may call listen twice on one socket (nginx sets the backlog again): count sockets, not calls.
  const listeners = new Set(parsed.events.filter((e) => e.name === 'listen' && e.result?.trim() === '0').map((e) => `${e.pid}/${e.args[0]}`)).size;
  return {
    used: trace.usedByAll,
    argumentValues: trace.argumentValues,
    pseudoFiles: [...new Set(trace.pseudoFiles.filter((p) => p.succeeded).map((p) => p.portablePath))].sort(),
    listeners,
    tracedRunWorked: outcome.verdict === 'works',
    trace,
  };
}
