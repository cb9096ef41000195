import { join } from 'node:path';
import type { SubfeatureVerdict, Treatment } from '../core/verdict.js';
import { compareFallbackKeys, fallbackKey, parseFallbackKey, type FallbackSets, type FallbackTarget, type Fallbacks } from '../core/fallbacks.js';
import { groupExperiment } from './group-testing.js';
import type { ProcessGroups } from '../sandbox/process.js';
import { X86_64, displayName, type SyscallTable } from '../syscalls/table.js';
import { subfeatureSubject } from '../syscalls/flag-bits.js';
import { SyscallCounter } from '../trace/syscall-counter.js';
import type { Experiment, ExperimentResult } from './experiment.js';
import { runExperiment, type RunnerEnvironment } from './run-experiment.js';
import { runPool } from '../core/pool.js';
import type { PlannedExperiment } from './plan.js';

/**
 * Fallbacks: what an application does instead when a perturbation works. glibc's
 * pthread_create, for example, calls clone3 and, on -ENOSYS, clone: with clone3 stubbed the
 * run works, but it executes clone, which discovery never saw. An OS that stubs clone3 must
 * then implement clone.
 *
 * Measured for every experiment whose verdict is "works" (whole syscall or one argument value
 * or flag bit), from the syscalls its judged run executed (counted in the kernel after seccomp,
 * src/trace/syscall-counter.ts: a call the filter stubs or fakes is not executed). Against two
 * unperturbed references, discovery (strace) and the baseline run (counted the same way):
 *   added   = executed in the run, in neither reference: what the OS must now implement;
 *   dropped = in both references, not executed in the run: what the OS no longer needs
 *             (for a whole-syscall perturbation, the perturbed syscall itself).
 * Requiring both references for `dropped`, and neither for `added`, keeps syscalls that only
 * some unperturbed runs execute (futex under contention, a signal's rt_sigreturn) out of both
 * lists; a second run of each experiment that shows a change keeps chance out of the rest
 * (FallbackMeasurement.confirm), and a syscall two runs of one experiment disagree on is
 * nobody's fallback or drop (varyingSyscalls). Group testing splits a working group whose run
 * added a syscall (addsSyscalls), so that each fallback is measured for one syscall; what a
 * group left whole stops calling is the group's (computeGroupFallbacks). computeFallbacks and describeFallbacks are pure;
 * FallbackMeasurement drives the recorder and the confirming runs.
 */

const sortedNumbers = (xs: Iterable<number>): number[] => [...xs].sort((a, b) => a - b);

export interface CountedExperiment {
  target: FallbackTarget;
  treatment: Treatment;
  /** Syscalls executed by each counted working run of the experiment: the judged one, and the confirming one if any. */
  executed: readonly ReadonlySet<number>[];
}


/**
 * Syscalls that the runs of one experiment disagree on (executed by one run and not by another):
 * their use varies by chance (futex in pthread_join, when the thread may or may not have ended),
 * so no experiment can show them as a fallback or a drop. Pure.
 */
export function varyingSyscalls(experiments: readonly Pick<CountedExperiment, 'executed'>[]): Set<number> {
  const varying = new Set<number>();
  for (const e of experiments) {
    for (const run of e.executed) for (const nr of run) if (e.executed.some((other) => !other.has(nr))) varying.add(nr);
  }
  return varying;
}

/**
 * The fallbacks of working experiments against the two references (see the top of this file);
 * with several runs of one experiment, only what every run shows; never a syscall whose use
 * varies between the runs of any one experiment (varyingSyscalls), except the perturbed
 * syscall's own drop.
 */
export function computeFallbacks(discovery: readonly number[], baseline: ReadonlySet<number>, experiments: readonly CountedExperiment[], varying = varyingSyscalls(experiments)): Fallbacks {
  const change = changeAgainst(discovery, baseline, varying);
  const out: Fallbacks = {};
  for (const e of experiments) {
    const key = fallbackKey(e.target);
    const entry = out[key] ?? {};
    entry[e.treatment] = change(e.executed, (nr) => e.target.argIndex === undefined && nr === e.target.nr);
    out[key] = entry;
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => compareFallbackKeys(a, b)));
}

/** A working group run (--group-testing): several syscalls perturbed at once, with its record. */
export interface CountedGroup {
  treatment: Treatment;
  /** The perturbed syscalls, sorted. */
  syscalls: number[];
  executed: readonly ReadonlySet<number>[];
}

/**
 * What a working group run changed, for the group as a whole: an OS that implements `added` can
 * give every member that treatment at once. Which member needs which added syscall, and what one
 * member alone would make the application do, is not measured (its verdict was inferred from
 * the group, without a run of its own). Members' own drops are listed in `dropped`.
 */
export interface GroupFallbacks extends FallbackSets {
  treatment: Treatment;
  syscalls: number[];
}

/** computeFallbacks for working group runs: the same rules, the whole group's own drops exempt. Pure. */
export function computeGroupFallbacks(discovery: readonly number[], baseline: ReadonlySet<number>, groups: readonly CountedGroup[], varying: ReadonlySet<number>): GroupFallbacks[] {
  const change = changeAgainst(discovery, baseline, varying);
  return groups.map((g) => ({ treatment: g.treatment, syscalls: g.syscalls, ...change(g.executed, (nr) => g.syscalls.includes(nr)) }));
}

/** added and dropped of some runs of one perturbation, `own` telling the perturbed syscalls (whose drop is certain). */
function changeAgainst(
  discovery: readonly number[],
  baseline: ReadonlySet<number>,
  varying: ReadonlySet<number>,
): (executed: readonly ReadonlySet<number>[], own: (nr: number) => boolean) => FallbackSets {
  const seen = new Set([...discovery, ...baseline]);
  const always = discovery.filter((nr) => baseline.has(nr));
  return (executed: readonly ReadonlySet<number>[], own: (nr: number) => boolean): FallbackSets => {
    const inEvery = (nrs: Iterable<number>, test: (run: ReadonlySet<number>, nr: number) => boolean): number[] =>
      sortedNumbers([...nrs].filter((nr) => executed.every((run) => test(run, nr))));
    return {
      added: inEvery(new Set(executed.flatMap((run) => [...run]).filter((nr) => !seen.has(nr) && !varying.has(nr))), (run, nr) => run.has(nr)),
      dropped: inEvery(always.filter((nr) => own(nr) || !varying.has(nr)), (run, nr) => !run.has(nr)),
    };
  };
}

/**
 * Human lines for perturbations that change what the application executes, e.g.
 * `clone3: stub works, falls back to clone`. A whole syscall's own drop is implied and not
 * repeated. Empty when nothing changed anywhere.
 */
export function describeFallbacks(fallbacks: Fallbacks, table: SyscallTable, labels: ReadonlyMap<string, string> = new Map()): string[] {
  const name = (nr: number): string => displayName(table, nr);
  const lines: string[] = [];
  for (const [key, entry] of Object.entries(fallbacks)) {
    const target = parseFallbackKey(key);
    if (!target) continue;
    const parts: string[] = [];
    for (const treatment of ['stub', 'fake'] as const) {
      const sets = entry[treatment];
      if (!sets) continue;
      const dropped = target.argIndex === undefined ? sets.dropped.filter((nr) => nr !== target.nr) : sets.dropped;
      if (sets.added.length === 0 && dropped.length === 0) continue;
      const what = [
        ...(sets.added.length > 0 ? [`falls back to ${sets.added.map(name).join(', ')}`] : []),
        ...(dropped.length > 0 ? [`stops calling ${dropped.map(name).join(', ')}`] : []),
      ];
      parts.push(`${treatment} works, ${what.join('; ')}`);
    }
    if (parts.length === 0) continue;
    const subject = target.argIndex === undefined || target.value === undefined ? name(target.nr)
      : subfeatureSubject({ syscall: name(target.nr), argIndex: target.argIndex, value: target.value, label: labels.get(key) ?? target.value, ...(target.bit ? { bit: true } : {}) });
    lines.push(`${subject}: ${parts.join('; ')}`);
  }
  return lines;
}

/**
 * The measurement during one analysis: starts the kernel recorder, gives each run a cgroup
 * (through RunnerEnvironment.counter; each result then carries what its run executed,
 * ExperimentResult.executed, journal included), runs a working experiment once more when its
 * run showed a change (so that a syscall some runs execute by chance is not reported), and
 * turns the records into Fallbacks at the end.
 */
export class FallbackMeasurement {
  /** Experiment id -> syscalls executed by its confirming run (a working one). */
  private readonly confirmed = new Map<string, Set<number>>();
  private baseline: Set<number> | undefined;

  private constructor(
    readonly counter: SyscallCounter | undefined,
    /** Why nothing is measured, when the recorder could not start. */
    readonly unavailable: string | undefined,
  ) {}

  /** `helper`: dist/bin/loupe-syscall-counter; its errors go to syscall-counter.log in `workDir`. */
  static async start(groups: ProcessGroups, helper: string, workDir: string): Promise<FallbackMeasurement> {
    const started = await SyscallCounter.start(groups, helper, join(workDir, 'syscall-counter.log'));
    return started instanceof SyscallCounter ? new FallbackMeasurement(started, undefined) : new FallbackMeasurement(undefined, started.unavailable);
  }

  /**
   * Whether a working run executed a syscall that neither reference did (a fallback, the
   * change an OS must act on), judged on that one run: group testing splits such a group, so
   * that each fallback is measured for one syscall. What a group only stops calling stays the
   * group's (computeGroupFallbacks): drops are often chance (a futex a thread no longer waits
   * on), and splitting on them cost most of the runs grouping saves. False without a record of
   * the run or of the baseline.
   */
  addsSyscalls(discovery: readonly number[], result: Pick<ExperimentResult, 'executed'>): boolean {
    if (!this.baseline || !result.executed) return false;
    return changeAgainst(discovery, this.baseline, new Set())([new Set(result.executed)], () => false).added.length > 0;
  }

  /** Remembers what the unperturbed baseline run executed (it is no planned experiment). */
  recordBaseline(result: Pick<ExperimentResult, 'executed'>): void {
    if (result.executed) this.baseline = new Set(result.executed);
  }

  /**
   * Runs once more (one attempt, `jobs` at a time) every working experiment, or working group
   * run, whose run showed a change other than the perturbed syscalls' own drops. Only the
   * changes both runs show count; a confirming run that fails its test confirms nothing and is
   * left out. `onPhase` hears the number of confirming runs before they start, `onRun` each one
   * as it finishes.
   */
  async confirm(
    discovery: readonly number[],
    planned: readonly PlannedExperiment[],
    results: ReadonlyMap<string, ExperimentResult>,
    env: RunnerEnvironment,
    opts: { jobs: number | (() => number); signal?: AbortSignal; onPhase?: (total: number) => void; onRun?: (result: ExperimentResult, description: string) => void },
  ): Promise<number> {
    if (!this.counter || !this.baseline) return 0;
    const { experiments, groups } = this.counted(planned, results);
    const varying = varyingSyscalls([...experiments.map((e) => e.counted), ...groups.map((g) => g.counted)]);
    const fallbacks = computeFallbacks(discovery, this.baseline, experiments.map((e) => e.counted), varying);
    const groupSets = computeGroupFallbacks(discovery, this.baseline, groups.map((g) => g.counted), varying);
    const changedBeyond = (sets: FallbackSets | undefined, own: (nr: number) => boolean): boolean => sets !== undefined && (sets.added.length > 0 || sets.dropped.some((nr) => !own(nr)));
    const again: Experiment[] = [
      ...experiments
        .filter(({ counted: c }) => changedBeyond(fallbacks[fallbackKey(c.target)]?.[c.treatment], (nr) => c.target.argIndex === undefined && nr === c.target.nr))
        .map((e) => e.planned.experiment),
      ...groups.filter((g, i) => changedBeyond(groupSets[i], (nr) => g.counted.syscalls.includes(nr))).map((g) => g.experiment),
    ];
    opts.onPhase?.(again.length);
    await runPool(again, async (exp) => {
      const rerun = await runExperiment({ ...exp, id: `${CONFIRM_PREFIX}${exp.id}`, judge: { ...exp.judge, attempts: 1 } }, env);
      if (rerun.verdict === 'works' && rerun.executed) this.confirmed.set(exp.id, new Set(rerun.executed));
      const { lastAttempt: _details, executed: _executed, ...result } = rerun;
      opts.onRun?.(result, `${exp.description} (again, to confirm its fallbacks)`);
    }, { jobs: opts.jobs, ...(opts.signal ? { signal: opts.signal } : {}), stopOnFirstError: true });
    return again.length;
  }

  /**
   * Stops recording; the fallbacks of every working planned experiment whose run was recorded,
   * in this session or in the one a journal restores it from, and of every working group run
   * (--group-testing), whose members' verdicts were inferred without a run of their own.
   * Returns `unavailable` instead when the baseline was not recorded.
   */
  async finish(
    discovery: readonly number[],
    planned: readonly PlannedExperiment[],
    results: ReadonlyMap<string, ExperimentResult>,
  ): Promise<{ fallbacks: Fallbacks; varying: number[]; groups: GroupFallbacks[] } | { unavailable: string }> {
    if (!this.counter) return { unavailable: this.unavailable ?? 'not measured' };
    await this.counter.finish();
    if (!this.baseline) return { unavailable: 'the baseline run was not recorded (see syscall-counter.log in the work folder)' };
    const { experiments, groups } = this.counted(planned, results);
    const counted = experiments.map((e) => e.counted);
    const varying = varyingSyscalls([...counted, ...groups.map((g) => g.counted)]);
    return {
      fallbacks: computeFallbacks(discovery, this.baseline, counted, varying),
      varying: sortedNumbers(varying),
      groups: computeGroupFallbacks(discovery, this.baseline, groups.map((g) => g.counted), varying),
    };
  }

  private counted(
    planned: readonly PlannedExperiment[],
    results: ReadonlyMap<string, ExperimentResult>,
  ): { experiments: { planned: PlannedExperiment; counted: CountedExperiment }[]; groups: { experiment: Experiment; counted: CountedGroup }[] } {
    const runs = (id: string, executed: number[]): Set<number>[] => [new Set(executed), ...(this.confirmed.has(id) ? [this.confirmed.get(id)!] : [])];
    const experiments: { planned: PlannedExperiment; counted: CountedExperiment }[] = [];
    const members = new Map<string, PlannedExperiment[]>();
    for (const p of planned) {
      const target: FallbackTarget | undefined =
        p.syscall !== undefined ? { nr: p.syscall }
        : p.subfeature?.nr !== undefined ? { nr: p.subfeature.nr, argIndex: p.subfeature.argIndex, value: p.subfeature.value, ...(p.subfeature.bit ? { bit: true } : {}) }
        : undefined;
      const result = results.get(p.experiment.id);
      if (result?.inferredFrom !== undefined) members.set(result.inferredFrom, [...(members.get(result.inferredFrom) ?? []), p]);
      if (!target || result?.verdict !== 'works' || !result.executed) continue;
      experiments.push({ planned: p, counted: { target, treatment: p.action, executed: runs(p.experiment.id, result.executed) } });
    }
    const groups: { experiment: Experiment; counted: CountedGroup }[] = [];
    for (const [id, group] of members) {
      const result = results.get(id);
      if (result?.verdict !== 'works' || !result.executed) continue;
      // The group's members in the order of its id, which names them: the same experiment again.
      const order = id.split(':')[2]?.split(',') ?? [];
      const ordered = order.map((name) => group.find((p) => p.experiment.id.endsWith(`:${name}`))).filter((p): p is PlannedExperiment => p !== undefined);
      if (ordered.length !== group.length) continue;
      const experiment = groupExperiment(ordered);
      groups.push({ experiment, counted: { treatment: group[0]!.action, syscalls: sortedNumbers(group.map((p) => p.syscall!)), executed: runs(id, result.executed) } });
    }
    return { experiments, groups };
  }

  async abandon(): Promise<void> {
    await this.counter?.abandon();
  }
}

/** Ids of confirming runs: the experiment's id after this prefix (their logs go to a folder of their own). */
const CONFIRM_PREFIX = 'fallbacks-confirm:';

/** The summary's section on fallbacks (src/explore/format.ts), with its leading blank line; empty without data. */
export function formatFallbackSection(
  report: { fallbacks?: Fallbacks; fallbacksUnavailable?: string; fallbacksVarying?: number[]; fallbackGroups?: GroupFallbacks[]; subfeatures: readonly SubfeatureVerdict[] },
  table: SyscallTable = X86_64,
): string[] {
  if (report.fallbacksUnavailable !== undefined) return ['', `Fallbacks not measured: ${report.fallbacksUnavailable}`];
  if (!report.fallbacks) return [];
  const labels = new Map<string, string>();
  for (const f of report.subfeatures) {
    const nr = f.syscall === undefined ? undefined : table.number(f.syscall);
    if (nr !== undefined && f.argIndex !== undefined) labels.set(fallbackKey({ nr, argIndex: f.argIndex, value: f.value, bit: f.bit }), f.label);
  }
  const lines = describeFallbacks(report.fallbacks, table, labels);
  const measured = Object.values(report.fallbacks).reduce((n, e) => n + Object.keys(e).length, 0);
  const name = (nr: number): string => displayName(table, nr);
  const varying = report.fallbacksVarying?.length ? [`  left out, as two runs of one experiment disagreed on them: ${report.fallbacksVarying.map(name).join(', ')}`] : [];
  const groups = (report.fallbackGroups ?? []).flatMap((g) => {
    const dropped = g.dropped.filter((nr) => !g.syscalls.includes(nr));
    const what = [...(g.added.length > 0 ? [`falls back to ${g.added.map(name).join(', ')}`] : []), ...(dropped.length > 0 ? [`stops calling ${dropped.map(name).join(', ')}`] : [])];
    return what.length > 0 ? [`    ${g.treatment} together (${g.syscalls.map(name).join(', ')}): works, ${what.join('; ')}`] : [];
  });
  const inferred = report.fallbackGroups?.length
    ? [`  ${report.fallbackGroups.reduce((n, g) => n + g.syscalls.length, 0)} verdicts inferred from ${report.fallbackGroups.length} group runs${groups.length > 0 ? '; a group run that made the application execute another syscall was split, what one stops calling is measured for the group:' : ', which changed nothing the application executes'}`, ...groups]
    : [];
  return ['', `Fallbacks (what working perturbations made the application execute instead), ${measured} runs measured: ${lines.length === 0 ? 'none' : lines.length}`, ...lines.map((l) => `  ${l}`), ...inferred, ...varying];
}
