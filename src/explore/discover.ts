import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { straceArgv } from '../trace/strace-command.js';
import { parseStraceLog } from '../trace/parser.js';
import { discover, type Discovery, type ForeignCall } from '../trace/discovery.js';
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

/** Unparsed lines kept as examples in the report; the count covers them all. */
const UNPARSED_LINE_EXAMPLES = 5;

/**
 * What discovery could not see or use, for the report: each item is a blind spot of the
 * analysis that would otherwise go unnoticed.
 */
export interface DiscoveryDiagnostics {
  /** The traced run's own test verdict (tracing can slow a server past its test). */
  tracedRun: { verdict: 'works' | 'broken'; reason?: string };
  /** Call names strace printed that are in no syscall table: not counted, not perturbed. */
  unknownSyscallNames: string[];
  /** Lines of strace's log that matched no known form. */
  unparsedLines: { count: number; examples: string[] };
  /** Sub-feature arguments whose value strace's text did not reveal (not tested one by one). */
  unparsedArguments: number;
  /** Calls through another ABI (i386 `int $0x80`, x32), which the filter cannot perturb: not analysed. */
  notAnalysed: ForeignCall[];
}

/** What the experiments are planned from. */
export interface DiscoveryData {
  used: number[];
  argumentValues: ArgumentCandidate[];
  /** Pseudo-files under /proc, /sys and /dev opened successfully, spelled so they name the same file in another run. */
  pseudoFiles: string[];
  /** Sockets the application listens on once ready (successful listen calls). */
  listeners: number;
  trace: Discovery;
  diagnostics: DiscoveryDiagnostics;
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
  const trace = discover(parsed, { cwd: workload.cwd, onlyConsider: workload.onlyConsider, canonicalPath: canonicalExecutablePath, launcherTarget: `${SANDBOX_DIR}/target` });
  // Servers may call listen twice on one socket (nginx sets the backlog again): count sockets, not calls.
  const listeners = new Set(parsed.events.filter((e) => !e.abi && e.name === 'listen' && e.result?.trim() === '0').map((e) => `${e.pid}/${e.args[0]}`)).size;
  return {
    used: trace.usedByAll,
    argumentValues: trace.argumentValues,
    pseudoFiles: [...new Set(trace.pseudoFiles.filter((p) => p.succeeded).map((p) => p.portablePath))].sort(),
    listeners,
    trace,
    diagnostics: {
      tracedRun: { verdict: outcome.verdict === 'works' ? 'works' : 'broken', ...(outcome.reason !== undefined ? { reason: outcome.reason } : {}) },
      unknownSyscallNames: parsed.unknownSyscallNames,
      unparsedLines: { count: parsed.unrecognisedLines.length, examples: parsed.unrecognisedLines.slice(0, UNPARSED_LINE_EXAMPLES) },
      unparsedArguments: trace.unparsedArguments,
      notAnalysed: trace.foreignCalls,
    },
  };
}
