import { classFromVerdicts, type SubfeatureVerdict, type SyscallVerdict, type Verdict } from '../core/verdict.js';
import type { SyscallTable } from '../syscalls/table.js';
import { displayName } from '../syscalls/table.js';
import type { PlannedExperiment } from './plan.js';
import type { ExperimentResult } from './experiment.js';

type ResultsById = ReadonlyMap<string, ExperimentResult>;

function verdictOfExperiment(results: ResultsById, id: string): Verdict {
  const result = results.get(id);
  if (!result) throw new Error(`no result for experiment ${id}`);
  return result.verdict;
}

export function syscallVerdicts(planned: readonly PlannedExperiment[], results: ResultsById, table: SyscallTable): SyscallVerdict[] {
  const byNr = new Map<number, { stub?: string; fake?: string }>();
  for (const p of planned) {
    if (p.syscall === undefined) continue;
    const entry = byNr.get(p.syscall) ?? {};
    entry[p.action] = p.experiment.id;
    byNr.set(p.syscall, entry);
  }
  return [...byNr.entries()]
    .sort(([a], [b]) => a - b)
    .map(([nr, ids]) => {
      const stub = verdictOfExperiment(results, ids.stub!);
      const fake = verdictOfExperiment(results, ids.fake!);
      return { nr, name: displayName(table, nr), stub, fake, class: classFromVerdicts(stub === 'works', fake === 'works') };
    });
}

export function subfeatureVerdicts(planned: readonly PlannedExperiment[], results: ResultsById): SubfeatureVerdict[] {
  const byTarget = new Map<string, SubfeatureVerdict>();
  for (const p of planned) {
    const t = p.subfeature;
    if (!t) continue;
    const key = JSON.stringify([t.kind, t.syscall, t.argIndex, t.value, t.bit ?? false]);
    const entry: SubfeatureVerdict = byTarget.get(key) ?? {
      kind: t.kind,
      ...(t.syscall !== undefined ? { syscall: t.syscall } : {}),
      ...(t.argIndex !== undefined ? { argIndex: t.argIndex } : {}),
      value: t.value,
      label: t.label,
      ...(t.bit ? { bit: true } : {}),
      stub: 'untested' as const,
      fake: 'untested' as const,
    };
    entry[p.action] = verdictOfExperiment(results, p.experiment.id);
    byTarget.set(key, entry);
  }
  return [...byTarget.values()];
}
