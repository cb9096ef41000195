import type { SubfeatureVerdict } from '../core/verdict.js';

/**
 * Sub-feature results, one CSV per family next to dyn.csv:
 *   subfeature-<syscall>.csv  `# syscall, argument, scope, value, label, works stubbed, works faked`
 *       scope is `value` (the argument equals value under the argument's mask) or `bit`
 *       (the single flag bit `value` is set); value is an unsigned decimal (64-bit exact).
 *   subfeature-pseudofiles.csv  `# path, works absent, works empty`
 * Y/N like dyn.csv, `-` for a perturbation that cannot be made (emptying a /proc/self file).
 * Labels are strace's symbolic names; commas in them are replaced by `|`.
 */

const ARGUMENT_CSV_HEADER = '# syscall, argument, scope, value, label, works stubbed, works faked';
const PSEUDOFILE_CSV_HEADER = '# path, works absent, works empty';
const PSEUDOFILE_KIND = 'pseudofile';

const yn = (verdict: string): string => (verdict === 'works' ? 'Y' : verdict === 'untested' ? '-' : 'N');
const clean = (s: string): string => s.replace(/[,\n]/g, '|');

function subfeatureCsvName(family: string): string {
  return family === PSEUDOFILE_KIND ? 'subfeature-pseudofiles.csv' : `subfeature-${family}.csv`;
}

/** Files to write, by file name, for the given verdicts (grouped by syscall, or pseudo-files). */
export function formatSubfeatureCsvs(verdicts: readonly SubfeatureVerdict[]): Map<string, string> {
  const groups = new Map<string, SubfeatureVerdict[]>();
  for (const v of verdicts) {
    const family = v.kind === PSEUDOFILE_KIND ? PSEUDOFILE_KIND : (v.syscall ?? v.kind);
    groups.set(family, [...(groups.get(family) ?? []), v]);
  }
  const files = new Map<string, string>();
  for (const [family, rows] of [...groups.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const lines =
      family === PSEUDOFILE_KIND
        ? [PSEUDOFILE_CSV_HEADER, ...rows.map((r) => `${clean(r.value)},${yn(r.stub)},${yn(r.fake)}`)]
        : [ARGUMENT_CSV_HEADER, ...rows.map((r) => [r.syscall, r.argIndex, r.bit ? 'bit' : 'value', r.value, clean(r.label), yn(r.stub), yn(r.fake)].join(','))];
    files.set(subfeatureCsvName(family), lines.join('\n') + '\n');
  }
  return files;
}
