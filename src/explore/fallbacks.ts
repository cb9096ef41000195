import { join } from 'node:path';
import type { SubfeatureVerdict, Treatment } from '../core/verdict.js';
import type { ProcessGroups } from '../sandbox/process.js';
import { X86_64, displayName, type SyscallTable } from '../syscalls/table.js';
import { SyscallCounter } from '../trace/syscall-counter.js';
import type { ExperimentResult } from './experiment.js';
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
 * lists. Pure: values in, values out.
 */

export interface FallbackSets {
  /** Syscall numbers, sorted. */
  added: number[];
  dropped: number[];
}

/** Per treatment that works: what changed. A treatment that did not work has no entry. */
export type FallbackEntry = Partial<Record<Treatment, FallbackSets>>;

/**
 * Keyed by the perturbed syscall's number as a string (`"435"`), or for a sub-feature by
 * `"<nr>/<argIndex>=<value>"` (argument value) or `"<nr>/<argIndex>&<bit>"` (one flag bit),
 * values as unsigned decimals.
 */
export type Fallbacks = Record<string, FallbackEntry>;

/** What a perturbation targets, as in the JSON keys. */
export interface FallbackTarget {
  nr: number;
  argIndex?: number;
  value?: string;
  bit?: boolean;
}

export function fallbackKey(t: FallbackTarget): string {
  if (t.argIndex === undefined || t.value === undefined) return String(t.nr);
  return `${t.nr}/${t.argIndex}${t.bit ? '&' : '='}${t.value}`;
}

/** Inverse of fallbackKey; undefined for a malformed key. */
export function parseFallbackKey(key: string): FallbackTarget | undefined {
  const m = /^(\d+)(?:\/(\d+)([=&])(\d+))?$/.exec(key);
  if (!m) return undefined;
  if (m[2] === undefined) return { nr: Number(m[1]) };
  return { nr: Number(m[1]), argIndex: Number(m[2]), value: m[4]!, ...(m[3] === '&' ? { bit: true } : {}) };
}

export interface CountedExperiment {
  target: FallbackTarget;
  treatment: Treatment;
  /** Syscalls the judged run executed. */
  executed: ReadonlySet<number>;
}

const sorted = (xs: Iterable<number>): number[] => [...xs].sort((a, b) => a - b);

/** The fallbacks of working experiments against the two references (see the top of this file). */
export function computeFallbacks(discovery: readonly number[], baseline: ReadonlySet<number>, experiments: readonly CountedExperiment[]): Fallbacks {
  const seen = new Set([...discovery, ...baseline]);
  const always = discovery.filter((nr) => baseline.has(nr));
  const out: Fallbacks = {};
  for (const e of experiments) {
    const key = fallbackKey(e.target);
    const entry = out[key] ?? {};
    entry[e.treatment] = {
      added: sorted([...e.executed].filter((nr) => !seen.has(nr))),
      dropped: sorted(always.filter((nr) => !e.executed.has(nr))),
    };
    out[key] = entry;
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => compareKeys(a, b)));
}

/** Whole syscalls by number, then their sub-features. */
function compareKeys(a: string, b: string): number {
  const [ta, tb] = [parseFallbackKey(a), parseFallbackKey(b)];
  return (ta?.nr ?? 0) - (tb?.nr ?? 0) || (a.length === b.length ? (a < b ? -1 : a > b ? 1 : 0) : a.length - b.length);
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
    const subject = target.argIndex === undefined ? name(target.nr) : `${name(target.nr)}(${target.bit ? 'bit ' : ''}${labels.get(key) ?? target.value})`;
    lines.push(`${subject}: ${parts.join('; ')}`);
  }
  return lines;
}

/**
 * The measurement during one analysis: starts the kernel counter, gives each run a cgroup
 * (through RunnerEnvironment.counter), remembers which run judged which experiment, and turns
 * the counts into Fallbacks at the end.
 */
export class FallbackMeasurement {
  private readonly runs = new Map<string, string>();

  private constructor(
    readonly counter: SyscallCounter | undefined,
    /** Why nothing is measured, when the counter could not start. */
    readonly unavailable: string | undefined,
  ) {}

  /** `helper`: dist/bin/loupe-syscall-counter; its errors go to syscall-counter.log in `workDir`. */
  static async start(groups: ProcessGroups, helper: string, workDir: string): Promise<FallbackMeasurement> {
    const started = await SyscallCounter.start(groups, helper, join(workDir, 'syscall-counter.log'));
    return started instanceof SyscallCounter ? new FallbackMeasurement(started, undefined) : new FallbackMeasurement(undefined, started.unavailable);
  }

  /** Remembers the counted run of an experiment's last attempt (the one its verdict comes from). */
  record(experimentId: string, result: { countedRun?: string }): void {
    if (result.countedRun !== undefined) this.runs.set(experimentId, result.countedRun);
  }

  /**
   * Stops counting; the fallbacks of every working planned experiment whose run was counted.
   * Experiments restored from a journal were not run in this session and have no entry.
   * Returns `unavailable` instead when the baseline was not counted.
   */
  async finish(
    discovery: readonly number[],
    planned: readonly PlannedExperiment[],
    results: ReadonlyMap<string, ExperimentResult>,
  ): Promise<{ fallbacks: Fallbacks } | { unavailable: string }> {
    if (!this.counter) return { unavailable: this.unavailable ?? 'not measured' };
    const { counts } = await this.counter.finish();
    const executed = (id: string): Set<number> | undefined => {
      const run = this.runs.get(id);
      return run === undefined ? undefined : counts.get(run);
    };
    const baseline = executed(BASELINE_ID);
    if (!baseline) return { unavailable: 'the baseline run was not counted (see syscall-counter.log in the work folder)' };
    const experiments: CountedExperiment[] = [];
    for (const p of planned) {
      const target: FallbackTarget | undefined =
        p.syscall !== undefined ? { nr: p.syscall }
        : p.subfeature?.nr !== undefined ? { nr: p.subfeature.nr, argIndex: p.subfeature.argIndex, value: p.subfeature.value, ...(p.subfeature.bit ? { bit: true } : {}) }
        : undefined;
      // A run that executed nothing was not counted (the launcher could not join its cgroup).
      const set = executed(p.experiment.id);
      if (target && results.get(p.experiment.id)?.verdict === 'works' && set && set.size > 0) {
        experiments.push({ target, treatment: p.action, executed: set });
      }
    }
    return { fallbacks: computeFallbacks(discovery, baseline, experiments) };
  }

  async abandon(): Promise<void> {
    await this.counter?.abandon();
  }
}

/** Id of the unperturbed calibration run (explore.ts). */
export const BASELINE_ID = 'baseline';

/** The summary's section on fallbacks (src/explore/format.ts), with its leading blank line; empty without data. */
export function formatFallbackSection(report: { fallbacks?: Fallbacks; fallbacksUnavailable?: string; subfeatures: readonly SubfeatureVerdict[] }, table: SyscallTable = X86_64): string[] {
  if (report.fallbacksUnavailable !== undefined) return ['', `Fallbacks not measured: ${report.fallbacksUnavailable}`];
  if (!report.fallbacks) return [];
  const labels = new Map<string, string>();
  for (const f of report.subfeatures) {
    const nr = f.syscall === undefined ? undefined : table.number(f.syscall);
    if (nr !== undefined && f.argIndex !== undefined) labels.set(fallbackKey({ nr, argIndex: f.argIndex, value: f.value, bit: f.bit }), f.label);
  }
  const lines = describeFallbacks(report.fallbacks, table, labels);
  const measured = Object.values(report.fallbacks).reduce((n, e) => n + Object.keys(e).length, 0);
  return ['', `Fallbacks (what working perturbations made the application execute instead), ${measured} runs measured: ${lines.length === 0 ? 'none' : lines.length}`, ...lines.map((l) => `  ${l}`)];
}
