/**
 * `search --show-coverage`: the coverage stored with each selected workload's chosen run
 * (data/coverage.json, written by `generate --coverage`). Pure.
 */
import { callSiteCounts, formatCallSiteSummary, percent, type CallSiteCounts, type CoverageTotals } from '../db/coverage-json.js';
import type { Selection } from './selection.js';

export interface CoverageRow {
  application: string;
  workload: string;
  /** Path of the run, relative to the database. */
  run: string;
  lines: CoverageTotals;
  functions: CoverageTotals;
  branches: CoverageTotals;
  /** Absent when the run's coverage has no call-site table. */
  callSites?: CallSiteCounts;
}

/** One row per selected workload whose chosen run has coverage, in selection order. */
export function coverageRows(selection: Selection): CoverageRow[] {
  return selection.applications.flatMap((a) => a.workloads.flatMap((w) => {
    const c = w.chosen.coverage;
    if (c === undefined) return [];
    return [{
      application: a.name, workload: w.dir, run: w.chosen.path, lines: c.lines, functions: c.functions, branches: c.branches,
      ...(c.syscalls.length === 0 ? {} : { callSites: callSiteCounts(c.syscalls) }),
    }];
  }));
}

/** Text lines: the totals of each row, its call-site summary and the syscalls never reached. */
export function formatCoverageRows(rows: readonly CoverageRow[], workloads: number): string[] {
  const lines = [`Coverage of the workloads (${rows.length} of ${workloads} selected have data/coverage.json):`];
  for (const r of rows) {
    const totals = (label: string, t: CoverageTotals) => `${label} ${percent(t)} (${t.covered} of ${t.total})`;
    lines.push(`  ${r.application} ${r.workload}: ${totals('lines', r.lines)}, ${totals('functions', r.functions)}, ${totals('branches', r.branches)}`);
    if (r.callSites !== undefined) {
      lines.push(`    ${formatCallSiteSummary(r.callSites)}`);
      if (r.callSites.unreached.length > 0) lines.push(`    never reached: ${r.callSites.unreached.join(', ')}`);
    }
  }
  return lines;
}
