import { classOf, csvDataLines, rowFromVerdicts, unusedRow, type DynRow } from '../db/csv.js';
import type { SyscallClass } from '../core/verdict.js';
import { displayName, type SyscallTable } from '../syscalls/table.js';
import { TREATMENTS } from '../core/verdict.js';
import { compareFallbackKeys, type Fallbacks } from '../core/fallbacks.js';

/**
 * Merging the dyn.csv results of several replicas of one analysis, and the validity check
 * that the original applied before storing a result. Pure functions: no I/O.
 *
 * Rule: where all replicas agree the value is kept; where they disagree the syscall counts as
 * used and required (the conservative answer: nothing is claimed removable unless every
 * replica found it removable), and the disagreement is reported.
 */

/** A replica's view of one syscall: its class when used, `unused` otherwise. */
export type ReplicaVerdict = SyscallClass | 'unused';

export interface Disagreement {
  nr: number;
  name: string;
  /** One verdict per replica, in replica order. */
  verdicts: ReplicaVerdict[];
}

export interface MergedResult {
  rows: DynRow[];
  disagreements: Disagreement[];
}

function verdictOf(row: DynRow | undefined): ReplicaVerdict {
  return (row && classOf(row)) ?? 'unused';
}

/** Merges replicas (each a list of dyn.csv rows) into one row per syscall number of `table`. */
export function mergeReplicas(replicas: readonly (readonly DynRow[])[], table: SyscallTable): MergedResult {
  if (replicas.length === 0) throw new Error('mergeReplicas: no replica to merge');
  const indexed = replicas.map((rows) => new Map(rows.map((r) => [r.nr, r])));
  const rows: DynRow[] = [];
  const disagreements: Disagreement[] = [];
  for (let nr = 0; nr <= table.maxNumber; nr++) {
    const verdicts = indexed.map((byNr) => verdictOf(byNr.get(nr)));
    const first = verdicts[0]!;
    if (verdicts.every((v) => v === first)) {
      rows.push(first === 'unused' ? unusedRow(nr) : indexed[0]!.get(nr)!);
      continue;
    }
    disagreements.push({ nr, name: displayName(table, nr), verdicts });
    rows.push(rowFromVerdicts(nr, false, false));
  }
  return { rows, disagreements };
}

export interface ValidityProblem {
  message: string;
  hint: string;
}

/**
 * The original's sanity check: a result in which no used syscall, or every used syscall, can be
 * stubbed or faked almost always means the test script does not judge the application (it fails
 * always, or succeeds always). Returns undefined for a plausible result.
 */
export function checkPlausible(rows: readonly DynRow[]): ValidityProblem | undefined {
  const used = rows.filter((r) => r.used);
  const removable = used.filter((r) => classOf(r) !== 'required');
  if (used.length === 0) {
    return {
      message: 'the analysis found no used syscall at all',
      hint: 'check that the binary (-b) is the program the workload really runs (see explore.logs)',
    };
  }
  if (removable.length === 0) {
    return {
      message: `none of the ${used.length} used syscalls can be stubbed or faked`,
      hint: 'the test script probably reports failure whatever happens; run it by hand against a working application',
    };
  }
  if (removable.length === used.length) {
    return {
      message: `all ${used.length} used syscalls can be stubbed or faked`,
      hint: 'the test script probably reports success whatever happens; make it check the application\'s real output',
    };
  }
  return undefined;
}

/** One line per disagreement, e.g. `  ioctl (16): replica 1 both, replica 2 required`. */
export function describeDisagreements(disagreements: readonly Disagreement[]): string[] {
  return disagreements.map(
    (d) => `  ${d.name} (${d.nr}): ${d.verdicts.map((v, i) => `replica ${i + 1} ${v}`).join(', ')}`,
  );
}

export interface SubfeatureDisagreement {
  file: string;
  /** The row's identifying fields (syscall, argument, scope, value, label; or the path). */
  key: string;
  /** Per replica: `stub,fake` verdict columns, or `absent` when that replica did not see the value. */
  verdicts: string[];
}

/**
 * Merges one sub-feature CSV (`subfeature-*.csv`: identifying fields, then two verdict columns
 * `works stubbed`/`works absent` and `works faked`/`works empty`, each Y, N or - for untested)
 * across replicas with the same rule as dyn.csv: agreement keeps the verdicts, a disagreement
 * makes them N (not removable) and is reported. A row some replicas did not produce (the value
 * was not seen in their runs) keeps the verdicts of those that did, if they agree.
 */
export function mergeSubfeatureCsv(file: string, replicas: readonly (string | undefined)[]): { text: string; disagreements: SubfeatureDisagreement[] } {
  const header = replicas.map((t) => t?.split('\n').find((l) => l.startsWith('#'))).find((h) => h !== undefined);
  const rows = new Map<string, (string | undefined)[]>();
  replicas.forEach((text, replica) => {
    for (const [, fields] of csvDataLines(text ?? '')) {
      const key = fields.slice(0, -2).join(',');
      const verdicts = rows.get(key) ?? new Array<string | undefined>(replicas.length).fill(undefined);
      verdicts[replica] = fields.slice(-2).join(',');
      rows.set(key, verdicts);
    }
  });
  const lines = header === undefined ? [] : [header];
  const disagreements: SubfeatureDisagreement[] = [];
  for (const [key, verdicts] of rows) {
    const seen = verdicts.filter((v): v is string => v !== undefined);
    if (seen.every((v) => v === seen[0])) {
      lines.push(`${key},${seen[0]}`);
      continue;
    }
    disagreements.push({ file, key, verdicts: verdicts.map((v) => v ?? 'absent') });
    lines.push(`${key},N,N`);
  }
  return { text: lines.join('\n') + '\n', disagreements };
}

/** One line per sub-feature disagreement, e.g. `  subfeature-ioctl.csv ioctl,1,value,21523,TIOCGWINSZ: replica 1 Y,N, replica 2 N,N`. */
export function describeSubfeatureDisagreements(disagreements: readonly SubfeatureDisagreement[]): string[] {
  return disagreements.map((d) => `  ${d.file} ${d.key}: ${d.verdicts.map((v, i) => `replica ${i + 1} ${v}`).join(', ')}`);
}

/**
 * Merges the replicas' fallbacks (those that measured them; undefined when none did), the
 * conservative way for an OS: a perturbation's `added` syscalls are the union over the replicas
 * that measured it (a fallback one replica saw must be supported), its `dropped` ones the
 * intersection (a syscall is no longer needed only if no replica needed it). Pure.
 */
export function mergeFallbacks(replicas: readonly (Fallbacks | undefined)[]): Fallbacks | undefined {
  const measured = replicas.filter((r): r is Fallbacks => r !== undefined);
  if (measured.length === 0) return undefined;
  const out: Fallbacks = {};
  for (const key of [...new Set(measured.flatMap((r) => Object.keys(r)))]) {
    for (const t of TREATMENTS) {
      const sets = measured.map((r) => r[key]?.[t]).filter((s) => s !== undefined);
      if (sets.length === 0) continue;
      out[key] = {
        ...out[key],
        [t]: {
          added: [...new Set(sets.flatMap((s) => s.added))].sort((a, b) => a - b),
          dropped: sets[0]!.dropped.filter((nr) => sets.every((s) => s.dropped.includes(nr))),
        },
      };
    }
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => compareFallbackKeys(a, b)));
}
