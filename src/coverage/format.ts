/** The text summary of a coverage report. Pure. */
import { formatCallSiteSummary, percent } from '../db/coverage-json.js';
import type { CoverageReport } from './measure.js';
import type { Totals } from './tracefile.js';

const row = (label: string, t: Totals): string => `  ${label.padEnd(10, '.')}: ${percent(t)} (${t.covered} of ${t.total})`;

/** Totals, the call-site summary, the syscalls never reached, and the warnings. */
export function formatCoverage(r: CoverageReport): string {
  const lines = [
    `coverage of ${r.binary} (${r.files} source files; workload ${r.workload.verdict}, application ${r.workload.stopped})`,
    row('lines', r.lines),
    row('functions', r.functions),
    row('branches', r.branches),
  ];
  if (r.callSites !== undefined) {
    const c = r.callSites;
    lines.push(formatCallSiteSummary(c));
    const runtimeOnly = c.staticSyscalls - c.syscalls;
    if (runtimeOnly > 0) lines.push(`  (${runtimeOnly} more syscalls come from the C runtime alone: no call site in the tree)`);
    if (c.uninstrumentedSites > 0) lines.push(`  (${c.uninstrumentedSites} call sites are on lines gcov does not count: never reached)`);
    if (c.unreached.length > 0) lines.push(`never reached: ${c.unreached.join(', ')}`);
  }
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  return `${lines.join('\n')}\n`;
}
