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
}

export interface RunData {
  dyn?: DynRow[];
  staticBinary?: number[];
  staticSources?: number[];
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
  return usage;
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
  return combined;
}

export function sortedNumbers(set: Iterable<number>): number[] {
  return [...set].sort((a, b) => a - b);
}
