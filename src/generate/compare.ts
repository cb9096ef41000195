import { classOf, type DynRow } from '../db/csv.js';
import { displayName, type SyscallTable } from '../syscalls/table.js';
import type { ReplicaVerdict } from './merge.js';

/** What changed between a stored run and its reproduction: syscalls whose class moved. */
export interface ClassChange {
  nr: number;
  name: string;
  before: ReplicaVerdict;
  after: ReplicaVerdict;
}

export function compareRuns(before: readonly DynRow[], after: readonly DynRow[], table: SyscallTable): ClassChange[] {
  const verdicts = (rows: readonly DynRow[]): Map<number, ReplicaVerdict> => new Map(rows.map((r) => [r.nr, classOf(r) ?? 'unused']));
  const old = verdicts(before);
  const now = verdicts(after);
  const changes: ClassChange[] = [];
  for (const nr of [...new Set([...old.keys(), ...now.keys()])].sort((a, b) => a - b)) {
    const b = old.get(nr) ?? 'unused';
    const a = now.get(nr) ?? 'unused';
    if (a !== b) changes.push({ nr, name: displayName(table, nr), before: b, after: a });
  }
  return changes;
}

/** The changes as an aligned text table. */
export function formatChanges(changes: readonly ClassChange[]): string {
  if (changes.length === 0) return 'No syscall changed class.\n';
  const header = ['syscall', 'nr', 'before', 'after'];
  const rows = changes.map((c) => [c.name, String(c.nr), c.before, c.after]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
}
