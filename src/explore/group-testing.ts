import type { Treatment } from '../core/verdict.js';
import type { Experiment, ExperimentResult } from './experiment.js';
import type { PlannedExperiment } from './plan.js';
import { splitFailures } from './final-check.js';
import { expectedRunMs, expectedWorks, isHangProne, longestFirst, priorWorks, type CostContext, type EarlierVerdicts } from './priors.js';

/**
 * Group testing (Dorfman 1943, adaptive splitting as in Hwang 1972): several syscalls perturbed
 * by the same treatment in one run. When the run works, each of them works under that treatment
 * and needs no run of its own; when it fails, the group is split in halves and each half tested,
 * down to single syscalls, whose runs are then the same as one-at-a-time testing. An interaction
 * (a group fails although each member works alone) is found by the split and reported.
 *
 * A group that works but made the application execute a syscall it did not before (a
 * fallback) is split the same way, down to the members that cause it, so that each fallback is
 * measured for one syscall, as one-at-a-time testing measures it.
 *
 * Priors decide the grouping: a syscall likely to be required (an earlier analysis of the same
 * application found it broken, or the public database says it rarely works under that
 * treatment) or likely to hang is tested alone, as a group holding it
 * would fail (or hang) and only add runs; the others are packed while the group's chance of
 * working stays at least GROUP_WORKS_TARGET.
 *
 * The assumption is that a group that works means each member works alone. A perturbation that
 * hides another's failure (stubbing `open` so that the failing `read` is never called) would
 * break it; packing only likely-working syscalls keeps this rare, and a test compares the
 * verdicts with one-at-a-time testing on the bundled examples and the compiled C programs.
 */

/** A syscall whose chance of working under the treatment is below this is tested alone. */
export const ALONE_BELOW = 0.5;
/** A group is grown while its chance of working (product of its members') stays at least this. */
export const GROUP_WORKS_TARGET = 0.5;
export const MAX_GROUP = 8;

/**
 * Splits the one-at-a-time plan of whole syscalls into groups of one treatment each.
 * Deterministic for the same plan, so that a journal resumes the same group runs.
 */
export function planGroups(plan: readonly PlannedExperiment[], earlier?: EarlierVerdicts): PlannedExperiment[][] {
  const groups: PlannedExperiment[][] = [];
  for (const treatment of ['stub', 'fake'] as const) {
    const members = plan
      .filter((p) => p.syscall !== undefined && p.action === treatment)
      .map((p) => ({ p, works: priorWorks(p.syscall!, treatment, earlier) }))
      .sort((a, b) => b.works - a.works || a.p.syscall! - b.p.syscall!);
    let current: PlannedExperiment[] = [];
    let chance = 1;
    for (const { p, works } of members) {
      if (works < ALONE_BELOW || isHangProne(p.syscall!, treatment)) {
        groups.push([p]);
        continue;
      }
      if (current.length > 0 && (chance * works < GROUP_WORKS_TARGET || current.length >= MAX_GROUP)) {
        groups.push(current);
        current = [];
        chance = 1;
      }
      current.push(p);
      chance *= works;
    }
    if (current.length > 0) groups.push(current);
  }
  return groups;
}

const GROUP_PREFIX = 'group:';

/** Whether an experiment's ID is that of a group run (groupExperiment), which settles no verdict of its own. */
export function isGroupRun(id: string): boolean {
  return id.startsWith(GROUP_PREFIX);
}

/** One experiment perturbing every member of a group at once (members share one treatment). */
export function groupExperiment(members: readonly PlannedExperiment[]): Experiment {
  const first = members[0]!.experiment;
  const names = members.map((m) => m.experiment.id.replace(/^[a-z]+:/, ''));
  const treatment = members[0]!.action;
  return {
    id: `${GROUP_PREFIX}${treatment}:${names.join(',')}`,
    description: `${treatment} together: ${names.join(' ')}`,
    workload: first.workload,
    perturbation: { rules: members.flatMap((m) => m.experiment.perturbation.rules) },
    judge: first.judge,
  };
}

export interface GroupTestingSummary {
  /** Runs one-at-a-time testing makes for the same plan. */
  oneAtATimeRuns: number;
  /** Experiments actually run (groups and single syscalls), first attempts only. */
  runs: number;
  runsSaved: number;
  /** Group runs made (each split half counts). */
  groupRuns: number;
  /** Verdicts taken from a group that worked, without a run of their own. */
  inferred: number;
  /** Group runs that worked but executed a syscall the unperturbed runs did not, split to attribute each fallback to one syscall. */
  splitForFallbacks: number;
  /** Groups that failed although each member works alone. */
  interactions: { treatment: Treatment; syscalls: string[] }[];
}

export interface GroupTestingDeps {
  /** Runs one experiment (or takes it from the journal) and records its result. */
  run: (exp: Experiment) => Promise<ExperimentResult>;
  /** Records a verdict inferred from a group that worked; `description` says which experiment it settles and from which group. */
  record: (result: ExperimentResult, description: string) => void;
  /** Runs independent tasks on the worker slots, in the order given. */
  pool: (tasks: readonly (() => Promise<void>)[]) => Promise<void>;
  cost: CostContext;
  /** Whether a working run executed a syscall the unperturbed runs did not (FallbackMeasurement.addsSyscalls); absent when fallbacks are not recorded. */
  addsSyscalls?: (result: ExperimentResult) => boolean;
}

/**
 * Runs the whole-syscall plan by groups; afterwards every experiment of `plan` has a result
 * (run alone, or inferred from a group that worked, with `inferredFrom` naming it). Each
 * group's splitting runs on one worker slot, the groups longest-expected first across slots.
 */
export async function runGroupTested(plan: readonly PlannedExperiment[], deps: GroupTestingDeps): Promise<GroupTestingSummary> {
  const groups = planGroups(plan, deps.cost.earlier);
  let runs = 0;
  let groupRuns = 0;
  let inferred = 0;
  let splitForFallbacks = 0;
  const failedGroups: PlannedExperiment[][] = [];
  const verdicts = new Map<string, boolean>();

  const testChunk = async (chunk: readonly PlannedExperiment[]): Promise<boolean> => {
    if (chunk.length === 1) {
      const result = await deps.run(chunk[0]!.experiment);
      runs++;
      verdicts.set(chunk[0]!.experiment.id, result.verdict === 'works');
      return result.verdict === 'works';
    }
    const exp = groupExperiment(chunk);
    const result = await deps.run(exp);
    runs++;
    groupRuns++;
    if (result.verdict !== 'works') {
      failedGroups.push([...chunk]);
      return false;
    }
    if (deps.addsSyscalls?.(result)) {
      splitForFallbacks++;
      return false;
    }
    for (const m of chunk) {
      inferred++;
      verdicts.set(m.experiment.id, true);
      deps.record({ id: m.experiment.id, verdict: 'works', attempts: 0, durationMs: 0, workloadMs: 0, inferredFrom: exp.id }, `${m.experiment.description} (inferred: ${exp.description} worked)`);
    }
    return true;
  };

  const taskCost = (members: readonly PlannedExperiment[]): number => {
    const rules = members.flatMap((m) => m.experiment.perturbation.rules);
    const splits = members.length > 1 ? (1 - expectedWorks(rules, deps.cost.earlier)) * 2 * Math.log2(members.length) : 0;
    return expectedRunMs(rules, deps.cost) * (1 + splits);
  };
  await deps.pool(longestFirst(groups, taskCost).map((members) => async () => void (await splitFailures(members, testChunk))));

  // Report only the smallest failing groups made of syscalls that each work alone.
  const interacting = failedGroups.filter((g) => g.every((m) => verdicts.get(m.experiment.id) === true));
  const minimal = interacting.filter((g) => !interacting.some((h) => h !== g && h.length < g.length && h.every((m) => g.includes(m))));
  return {
    oneAtATimeRuns: plan.filter((p) => p.syscall !== undefined).length,
    runs,
    runsSaved: plan.filter((p) => p.syscall !== undefined).length - runs,
    groupRuns,
    inferred,
    splitForFallbacks,
    interactions: minimal.map((g) => ({ treatment: g[0]!.action, syscalls: g.map((m) => m.experiment.id.replace(/^[a-z]+:/, '')) })),
  };
}
