/**
 * Which applications and workloads a query covers (`-a`, `-w`), and each selected
 * application's usage over its selected workloads (the chosen run of each).
 */
import { ExitCode, LoupeError } from '../core/errors.js';
import type { WorkloadKind } from '../db/layout.js';
import type { Application, DatabaseContents, StoredWorkload } from '../db/reader.js';
import { combineUsage, usageOfRun, type Usage } from './usage.js';

export const ALL = '*';

export interface SelectedApplication {
  name: string;
  workloads: StoredWorkload[];
  usage: Usage;
}

export interface Selection {
  applications: SelectedApplication[];
  /** Requested applications that have no workload matching the filter. */
  withoutMatchingWorkload: string[];
}

/**
 * `bench`/`benchmark`/`suite` select by kind; any other value must be a workload folder name of
 * the database. An unknown name's hint lists those of the selected applications.
 */
function workloadMatcher(db: DatabaseContents, filter: string, selected: readonly Application[]): (w: StoredWorkload) => boolean {
  const f = filter.trim();
  if (f === ALL || f === '') return () => true;
  if (f === 'bench' || f === 'benchmark') return (w) => w.id.kind === 'benchmark';
  if (f === 'suite') return (w) => w.id.kind === 'suite';
  const known = new Set(db.applications.flatMap((a) => a.workloads.map((w) => w.dir)));
  if (!known.has(f)) {
    const ofSelected = [...new Set(selected.flatMap((a) => a.workloads.map((w) => w.dir)))].sort();
    const names = ofSelected.length <= 6 ? ofSelected.join(', ') : `e.g. ${ofSelected.slice(0, 6).join(', ')}`;
    const whose = selected.length === db.applications.length ? '' : ` of ${selected.map((a) => a.name).join(', ')}`;
    throw new LoupeError(
      `unknown workload "${f}"`,
      ExitCode.badInput,
      `use bench, suite, "*" or one of the ${ofSelected.length} workload folder names${whose}: ${names}`,
    );
  }
  return (w) => w.dir === f;
}

function resolveApplications(db: DatabaseContents, appsArg: string): Application[] {
  const names = appsArg.split(',').map((a) => a.trim()).filter((a) => a !== '');
  if (names.length === 0 || names.includes(ALL)) return db.applications;
  const byName = new Map(db.applications.map((a) => [a.name, a]));
  const unknown = names.filter((n) => !byName.has(n));
  if (unknown.length > 0) {
    throw new LoupeError(
      `unknown application${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`,
      ExitCode.badInput,
      `the database holds: ${db.applications.map((a) => a.name).join(', ')}`,
    );
  }
  return [...new Set(names)].sort().map((n) => byName.get(n)!);
}

export function selectApplications(db: DatabaseContents, appsArg: string = ALL, workloadsArg: string = ALL): Selection {
  const selected = resolveApplications(db, appsArg);
  const matches = workloadMatcher(db, workloadsArg, selected);
  const applications: SelectedApplication[] = [];
  const withoutMatchingWorkload: string[] = [];
  for (const app of selected) {
    const workloads = app.workloads.filter(matches);
    if (workloads.length === 0) {
      withoutMatchingWorkload.push(app.name);
      continue;
    }
    applications.push({ name: app.name, workloads, usage: combineUsage(workloads.map((w) => usageOfRun(w.chosen))) });
  }
  if (applications.length === 0) {
    throw new LoupeError(
      `no selected application has a workload matching "${workloadsArg}"`,
      ExitCode.badInput,
      'try -w "*" to use every workload',
    );
  }
  return { applications, withoutMatchingWorkload };
}

/** An application's usage per workload kind (all its suites combined, all its benchmarks combined). */
export function usageByWorkloadKind(app: Application): Map<WorkloadKind, Usage> {
  const byKind = new Map<WorkloadKind, Usage>();
  for (const kind of ['suite', 'benchmark'] as const) {
    const runs = app.workloads.filter((w) => w.id.kind === kind).map((w) => usageOfRun(w.chosen));
    if (runs.length > 0) byKind.set(kind, combineUsage(runs));
  }
  return byKind;
}
