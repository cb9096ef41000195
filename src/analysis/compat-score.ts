/**
 * How far an OS is from running the selected applications.
 *
 * Each application is judged on its own: it runs today if the OS supports every syscall it
 * requires, and the others can be stubbed or faked for it with their fallbacks supported
 * (usage.ts missingSyscalls: stubbing clone3 is no help to an OS without clone when the
 * application then calls clone). Completeness weighs applications by
 * their number of requirements: the share of all (application, required syscall) pairs the OS
 * meets. A missing syscall's value is the number of applications it alone unlocks (their only
 * missing syscall), then the number of applications that need it (required, or a fallback).
 */
import { missingSyscalls, type Usage } from './usage.js';

export interface ScoredApplication {
  name: string;
  usage: Usage;
}

export interface MissingSyscallValue {
  nr: number;
  /** Applications for which this is the only missing requirement. */
  unlocks: number;
  /** Applications that require it. */
  neededBy: number;
}

export interface CompatScore {
  os: string;
  applications: number;
  runningToday: string[];
  /** Share of (application, required syscall) pairs the OS supports, 0..1. */
  completeness: number;
  /** Mean over applications of the share of its requirements met, 0..1. */
  meanApplicationCompleteness: number;
  /** Every missing required syscall, most valuable first. */
  missing: MissingSyscallValue[];
}

export function compatScore(os: string, supported: Iterable<number>, apps: readonly ScoredApplication[]): CompatScore {
  const have = new Set(supported);
  let pairs = 0;
  let met = 0;
  let shareSum = 0;
  const runningToday: string[] = [];
  const values = new Map<number, MissingSyscallValue>();
  for (const app of apps) {
    const required = [...app.usage.required];
    const missingRequired = required.filter((nr) => !have.has(nr)).length;
    const missing = [...missingSyscalls(app.usage, have)];
    pairs += required.length;
    met += required.length - missingRequired;
    shareSum += required.length === 0 ? 1 : (required.length - missingRequired) / required.length;
    if (missing.length === 0) runningToday.push(app.name);
    for (const nr of missing) {
      const value = values.get(nr) ?? { nr, unlocks: 0, neededBy: 0 };
      value.neededBy++;
      if (missing.length === 1) value.unlocks++;
      values.set(nr, value);
    }
  }
  const missing = [...values.values()].sort((a, b) => b.unlocks - a.unlocks || b.neededBy - a.neededBy || a.nr - b.nr);
  return {
    os,
    applications: apps.length,
    runningToday: runningToday.sort(),
    completeness: pairs === 0 ? 1 : met / pairs,
    meanApplicationCompleteness: apps.length === 0 ? 1 : shareSum / apps.length,
    missing,
  };
}
