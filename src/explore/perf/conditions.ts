import type { SyscallTable } from '../../syscalls/table.js';
import { displayName } from '../../syscalls/table.js';
import type { ExperimentResult } from '../experiment.js';
import type { PlannedExperiment } from '../plan.js';
import type { PerfConditionSpec } from './perf.js';

/**
 * The conditions a perf analysis measures: every syscall experiment and every argument
 * sub-feature experiment that worked. Pseudo-file experiments are left out: making a file
 * absent runs the application under strace, which would measure strace. Pure.
 */
export function perfConditions(planned: readonly PlannedExperiment[], results: ReadonlyMap<string, ExperimentResult>, table: SyscallTable): PerfConditionSpec[] {
  const out: PerfConditionSpec[] = [];
  for (const p of planned) {
    if (results.get(p.experiment.id)?.verdict !== 'works') continue;
    if (p.syscall !== undefined) {
      out.push({ experiment: p.experiment, nr: p.syscall, name: displayName(table, p.syscall), treatment: p.action });
    } else if (p.subfeature?.nr !== undefined) {
      out.push({ experiment: p.experiment, nr: p.subfeature.nr, name: p.experiment.description.replace(/^\S+ /, ''), treatment: p.action, subfeature: p.experiment.id });
    }
  }
  return out;
}
