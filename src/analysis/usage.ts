/**
 * Syscall usage of one run, one application or a set of applications.
 *
 * One run's dyn.csv puts every used syscall in exactly one class (see db/csv.ts).
 * Combining several runs (an application's workloads) or several applications uses one rule,
 * chosen so that a combined class is a promise that holds for *every* member:
 *   - required  if any member requires it, or if no single treatment works for all members
 *               (one member can only have it stubbed, another only faked: a "conflict");
 *   - both      if every member that uses it works with it stubbed and with it faked;
 *   - stubOnly  if every member works with it stubbed (and at least one not with it faked);
 *   - fakeOnly  if every member works with it faked (and at least one not with it stubbed).
 * Members that do not use a syscall place no constraint on it.
 * Static results (binary, sources) combine by union over the members that have them.
 */
import { classOf, type DynRow } from '../db/csv.js';
import { parseFallbackKey, type Fallbacks } from '../core/fallbacks.js';
import { TREATMENTS, type Treatment } from '../core/verdict.js';

/** Per syscall, per treatment that works: the syscalls the application executes instead (fallbacks.csv's `added`). */
export type TreatmentFallbacks = Map<number, Partial<Record<Treatment, Set<number>>>>;

export interface Usage {
  /** Executed during the workload: the union of the four classes below. */
  used: Set<number>;
  required: Set<number>;
  stubOnly: Set<number>;
  fakeOnly: Set<number>;
  both: Set<number>;
  /** Required only because members disagree on stub vs fake (a subset of `required`). */
  conflicting: Set<number>;
  /** Absent when no member has static results of that kind. */
  staticBinary?: Set<number>;
  staticSources?: Set<number>;
  /**
   * Whole-syscall fallbacks, only where non-empty; absent when no member has fallback data.
   * Members combine by union: a treatment must work with every member's fallbacks.
   */
  fallbacks?: TreatmentFallbacks;
}

export interface RunData {
  dyn?: DynRow[];
  staticBinary?: number[];
  staticSources?: number[];
  fallbacks?: Fallbacks;
}

function emptyUsage(): Usage {
  return { used: new Set(), required: new Set(), stubOnly: new Set(), fakeOnly: new Set(), both: new Set(), conflicting: new Set() };
}

export function usageOfRun(run: RunData): Usage {
  const usage = emptyUsage();
  for (const row of run.dyn ?? []) {
    const cls = classOf(row);
    if (cls === undefined) continue;
    usage.used.add(row.nr);
    usage[cls].add(row.nr);
  }
  if (run.staticBinary) usage.staticBinary = new Set(run.staticBinary);
  if (run.staticSources) usage.staticSources = new Set(run.staticSources);
  if (run.fallbacks) usage.fallbacks = wholeSyscallFallbacks(run.fallbacks);
  return usage;
}

function wholeSyscallFallbacks(fallbacks: Fallbacks): TreatmentFallbacks {
  const out: TreatmentFallbacks = new Map();
  for (const [key, entry] of Object.entries(fallbacks)) {
    const target = parseFallbackKey(key);
    // Sub-features are not planned on their own: an OS implements or treats whole syscalls.
    if (!target || target.argIndex !== undefined) continue;
    for (const t of TREATMENTS) {
      const added = entry[t]?.added ?? [];
      if (added.length === 0) continue;
      out.set(target.nr, { ...out.get(target.nr), [t]: new Set(added) });
    }
  }
  return out;
}

/** What the application executes instead when `nr` is given treatment `t` (empty: nothing, or not measured). */
export function fallbacksOf(usage: Usage, nr: number, t: Treatment): ReadonlySet<number> {
  return usage.fallbacks?.get(nr)?.[t] ?? new Set();
}

/** Whether treatment `t` of `nr` works for the application (its fallbacks aside). */
export function treatmentWorks(usage: Usage, nr: number, t: Treatment): boolean {
  return t === 'stub' ? canStub(usage, nr) : canFake(usage, nr);
}

/**
 * The syscalls an application needs implemented on an OS supporting `supported`, with the
 * treatments already `decided` for some syscalls (support plans): each unsupported syscall
 * whose treatment does not work for it, and for a syscall whose working treatments need
 * fallbacks the OS lacks, the cheapest of: the lacking fallbacks of one treatment (stub first),
 * or the syscall itself when that costs fewer syscalls (a tie goes to the fallbacks: they are
 * the older, more widely used calls, e.g. clone for clone3). Without fallback data this is the
 * unsupported required syscalls (and those whose decided treatment does not work).
 */
export function missingSyscalls(usage: Usage, supported: ReadonlySet<number>, decided: ReadonlyMap<number, Treatment> = new Map()): Set<number> {
  const out = new Set<number>();
  for (const nr of usage.used) {
    if (supported.has(nr)) continue;
    const choice = decided.get(nr);
    const options = usage.required.has(nr) ? [] : (choice ? [choice] : TREATMENTS).filter((t) => treatmentWorks(usage, nr, t));
    let cheapest: number[] = [nr];
    for (const t of options) {
      const lacking = [...fallbacksOf(usage, nr, t)].filter((f) => !supported.has(f));
      if (lacking.length <= cheapest.length && (lacking.length < cheapest.length || cheapest[0] === nr)) cheapest = lacking;
    }
    for (const f of cheapest) out.add(f);
  }
  return out;
}

export function canStub(usage: Usage, nr: number): boolean {
  return usage.stubOnly.has(nr) || usage.both.has(nr);
}

export function canFake(usage: Usage, nr: number): boolean {
  return usage.fakeOnly.has(nr) || usage.both.has(nr);
}

function unionOfPresent(sets: (Set<number> | undefined)[]): Set<number> | undefined {
  const present = sets.filter((s): s is Set<number> => s !== undefined);
  return present.length === 0 ? undefined : new Set(present.flatMap((s) => [...s]));
}

/** Combines members (runs of one application, or applications) by the rule at the top of this file. */
export function combineUsage(members: readonly Usage[]): Usage {
  const combined = emptyUsage();
  for (const m of members) for (const nr of m.used) combined.used.add(nr);
  for (const nr of combined.used) {
    const users = members.filter((m) => m.used.has(nr));
    if (users.some((m) => m.required.has(nr))) {
      combined.required.add(nr);
      if (users.some((m) => m.conflicting.has(nr))) combined.conflicting.add(nr);
      continue;
    }
    const stub = users.every((m) => canStub(m, nr));
    const fake = users.every((m) => canFake(m, nr));
    if (stub && fake) combined.both.add(nr);
    else if (stub) combined.stubOnly.add(nr);
    else if (fake) combined.fakeOnly.add(nr);
    else {
      combined.required.add(nr);
      combined.conflicting.add(nr);
    }
  }
  const staticBinary = unionOfPresent(members.map((m) => m.staticBinary));
  if (staticBinary) combined.staticBinary = staticBinary;
  const staticSources = unionOfPresent(members.map((m) => m.staticSources));
  if (staticSources) combined.staticSources = staticSources;
  if (members.some((m) => m.fallbacks)) {
    const fallbacks: TreatmentFallbacks = new Map();
    for (const m of members) {
      for (const [nr, entry] of m.fallbacks ?? []) {
        const into = fallbacks.get(nr) ?? {};
        for (const t of TREATMENTS) if (entry[t]) into[t] = new Set([...(into[t] ?? []), ...entry[t]!]);
        fallbacks.set(nr, into);
      }
    }
    combined.fallbacks = fallbacks;
  }
  return combined;
}

export function sortedNumbers(set: Iterable<number>): number[] {
  return [...set].sort((a, b) => a - b);
}
