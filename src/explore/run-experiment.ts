import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildSeccompFilter, encodeFilter, type PerturbRule } from '../sandbox/bpf.js';
import { LAUNCHER_EXEC_PATH_ADDRESS } from '../sandbox/bwrap.js';
import type { ProcessGroups } from '../sandbox/process.js';
import type { SyscallTable } from '../syscalls/table.js';
import { absentFilesArgv } from '../trace/inject-command.js';
import { runAttempt, type AttemptOutcome } from './attempt.js';
import type { Experiment, ExperimentResult, RuleSpec } from './experiment.js';

/** What a machine needs to run experiments: none of it travels with the experiment. */
export interface RunnerEnvironment {
  groups: ProcessGroups;
  launcher: string;
  table: SyscallTable;
  /** Folder under which each experiment gets a folder of its own. */
  workDir: string;
}

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

/** The encoded seccomp program of an experiment's rules; undefined when nothing is perturbed. */
export function filterFor(rules: readonly RuleSpec[], table: SyscallTable): Buffer | undefined {
  if (rules.length === 0) return undefined;
  const execve = table.number('execve')!;
  return encodeFilter(
    buildSeccompFilter(rules.map(toPerturbRule), {
      auditArch: table.auditArch,
      exemptions: [{ nr: execve, argIndex: 0, value: LAUNCHER_EXEC_PATH_ADDRESS }],
    }),
  );
}

/** A folder name made of an experiment id. */
export const safeDirName = (id: string): string => id.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 120);

/** Runs an experiment, attempting a failing one again before "broken" is recorded. */
export async function runExperiment(exp: Experiment, env: RunnerEnvironment): Promise<DetailedResult> {
  const started = Date.now();
  const filter = filterFor(exp.perturbation.rules, env.table);
  let workloadMs = 0;
  let outcome: AttemptOutcome | undefined;
  let attempt = 0;
  while (attempt < Math.max(1, exp.judge.attempts)) {
    attempt++;
    const dir = join(env.workDir, safeDirName(exp.id), `attempt-${attempt}`);
    mkdirSync(dir, { recursive: true });
    const absent = exp.perturbation.absentFiles ?? [];
    const wrapper = absent.length > 0 ? absentFilesArgv(absent, join(dir, 'inject.log')) : undefined;
    outcome = await runAttempt(exp, { groups: env.groups, launcher: env.launcher, dir, filter, wrapper });
    workloadMs += outcome.workloadMs;
    if (outcome.verdict === 'works') break;
  }
  return {
    id: exp.id,
    verdict: outcome!.verdict,
    attempts: attempt,
    durationMs: Date.now() - started,
    workloadMs,
    reason: outcome!.reason,
    lastAttempt: outcome!,
  };
}
