import { ExitCode, LoupeError } from '../core/errors.js';
import type { Verdict } from '../core/verdict.js';
import type { Experiment, JudgeSettings, Workload } from './experiment.js';
import { findOnPath } from '../fs/executables.js';
import { runExperiment, type RunnerEnvironment } from './run-experiment.js';

/**
 * The negative control of the test script: one run where the application does nothing at all,
 * which a script that judges something must call broken. A script that says "works" there (one
 * of the public database's lua runs compares the log file's *name* with `hello`) makes every
 * verdict rest on the program's exit status alone (sequential workloads) or on nothing (servers).
 *
 * The stand-in replaces the whole workload (the driver too, under --only-consider):
 * - sequential: `true`, which exits 0 and prints nothing. It must exit 0, since the protocol asks
 *   the script only about programs that exited 0; a script that accepts it cannot tell a program
 *   that did its work from one that did nothing.
 * - server: `sleep`, which listens on nothing and prints nothing while the script runs in its
 *   network namespace (a stand-in that exits at once would take that namespace with it).
 */

export interface NegativeControl {
  /** The command that ran instead of the workload. */
  standIn: string;
  /** The test script's answer: "broken" is what a script that judges the application says. */
  verdict: Verdict;
  reason?: string;
  /** Present when the script answered "works": what the analysis's verdicts then rest on. */
  warning?: string;
}

/** The script may answer 200 this often before the control counts its answer as "broken". */
const CONTROL_INCONCLUSIVE_RETRIES = 2;

/** The stand-in workload and its judging settings for `workload` (pure; `path` resolves a command name). */
export function negativeControlExperiment(workload: Workload, judge: JudgeSettings, path: (name: string) => string): Experiment {
  const sequential = workload.sequential;
  const program = path(sequential ? 'true' : 'sleep');
  const args = sequential ? [] : [String(Math.ceil(workload.timeoutMs / 1000))];
  const { onlyConsider: _driverOnly, ...rest } = workload;
  return {
    id: 'negative-control',
    description: `negative control (${[program, ...args].join(' ')} instead of the application)`,
    workload: { ...rest, program, args },
    perturbation: { rules: [] },
    judge: {
      attempts: 1,
      inconclusiveRetries: CONTROL_INCONCLUSIVE_RETRIES,
      readyListeners: 0,
      readyWaitMs: 0,
      ...(judge.hangLimitMs !== undefined ? { hangLimitMs: judge.hangLimitMs } : {}),
    },
  };
}

/** What a "works" answer of the control means for the analysis (pure). */
export function negativeControlWarning(workload: Workload, standIn: string): string {
  return workload.sequential
    ? `the test script answered "works" for a run where \`${standIn}\` replaced the application (it did nothing and printed nothing): ` +
        'the script judges nothing, so every verdict rests on the program\'s exit status alone'
    : `the test script answered "works" while \`${standIn}\` replaced the server (nothing listened, nothing was printed): ` +
        'the script judges nothing, so the verdicts rest on nothing (every experiment passes whatever the server does)'
}

/**
 * Runs the negative control once, after the baseline. Returns undefined without a test script
 * (the exit status is then the judge, and is not in question). With `strict`, a script that
 * answers "works" is an error (LoupeError, ExitCode.badInput) instead of a warning.
 */
export async function runNegativeControl(workload: Workload, judge: JudgeSettings, env: RunnerEnvironment, strict: boolean): Promise<NegativeControl | undefined> {
  if (workload.testScript === undefined) return undefined;
  const exp = negativeControlExperiment(workload, judge, (name) => {
    const found = findOnPath(name);
    if (!found) throw new LoupeError(`the negative control needs \`${name}\`, which is not on PATH`, ExitCode.environment, 'apt-get install coreutils');
    return found;
  });
  const standIn = [exp.workload.program, ...exp.workload.args].join(' ');
  const result = await runExperiment(exp, env);
  if (result.verdict !== 'works') return { standIn, verdict: result.verdict, ...(result.reason !== undefined ? { reason: result.reason } : {}) };
  const warning = negativeControlWarning(workload, standIn);
  if (strict) {
    throw new LoupeError(
      `negative control failed: ${warning}`,
      ExitCode.badInput,
      `make ${workload.testScript} check what the application produced (its output in the log file given as $1, its answers to requests), so that it exits non-zero when the application did nothing; or drop --strict to go on with a warning`,
    );
  }
  return { standIn, verdict: result.verdict, warning };
}
