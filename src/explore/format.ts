import type { SyscallClass } from '../core/verdict.js';
import type { ExploreReport, SyscallVerdict } from './report.js';
import { analysisWarnings } from './warnings.js';
import { formatFallbackSection } from './fallbacks.js';
import { subfeatureSubject } from '../syscalls/flag-bits.js';
import { counted } from '../core/text.js';

/** Human summary of an analysis. Pure. */

const CLASS_TITLES: readonly [SyscallClass, string][] = [
  ['required', 'Required (breaks when stubbed and when faked)'],
  ['stubOnly', 'Can be stubbed (-ENOSYS), not faked'],
  ['fakeOnly', 'Can be faked (return 0), not stubbed'],
  ['both', 'Can be stubbed or faked'],
];

function wrap(words: readonly string[], width = 78, indent = '  '): string {
  const lines: string[] = [];
  let line = indent;
  for (const w of words) {
    if (line.length + w.length + 1 > width && line.trim() !== '') {
      lines.push(line.trimEnd());
      line = indent;
    }
    line += `${w} `;
  }
  if (line.trim() !== '') lines.push(line.trimEnd());
  return lines.join('\n');
}

function syscallsByClass(syscalls: readonly SyscallVerdict[]): Record<SyscallClass, SyscallVerdict[]> {
  const out: Record<SyscallClass, SyscallVerdict[]> = { required: [], stubOnly: [], fakeOnly: [], both: [] };
  for (const s of syscalls) out[s.class].push(s);
  return out;
}

export function formatSummary(report: ExploreReport, namesOnly = false): string {
  const groups = syscallsByClass(report.syscalls);
  if (namesOnly) return CLASS_TITLES.map(([cls]) => `${cls}: ${groups[cls].map((s) => s.name).join(',')}`).join('\n') + '\n';
  const out: string[] = [];
  const subject = report.workload.onlyConsider ?? report.workload.binary;
  out.push(`${subject}: ${report.used.length} system calls used`);
  const warnings = analysisWarnings(report);
  if (warnings.length > 0) out.push('', `Warnings: ${warnings.length}`, ...warnings.map((w) => `  - ${w}`));
  for (const [cls, title] of CLASS_TITLES) {
    out.push('', `${title}: ${groups[cls].length}`);
    if (groups[cls].length > 0) out.push(wrap(groups[cls].map((s) => `${s.name}(${s.nr})`)));
  }
  if (report.subfeatures.length > 0) {
    const broken = report.subfeatures.filter((f) => f.stub === 'broken' && f.fake === 'broken');
    out.push('', `Sub-features tested: ${report.subfeatures.length}, required: ${broken.length}`);
    if (broken.length > 0) out.push(wrap(broken.map(subfeatureSubject)));
  }
  if (report.static && 'syscalls' in report.static) {
    out.push('', `Static upper bound (binary and its libraries): ${report.static.syscalls.length} syscalls` +
      (report.static.unresolvedSites > 0 ? `, ${counted(report.static.unresolvedSites, 'call site')} with a number not recovered` : ''));
  }
  out.push(...formatFallbackSection(report));
  const fc = report.finalCheck;
  if (fc) {
    out.push('', 'Final check:');
    out.push(`  all ${fc.allStubbed.syscalls.length} stubbable syscalls stubbed together: ${fc.allStubbed.verdict}`);
    if (fc.largestWorkingStubSet) out.push(`    largest set found that works stubbed together: ${fc.largestWorkingStubSet.length}`);
    out.push(`  all ${fc.allFaked.syscalls.length} fakeable syscalls faked together: ${fc.allFaked.verdict}`);
    if (fc.largestWorkingFakeSet) out.push(`    largest set found that works faked together: ${fc.largestWorkingFakeSet.length}`);
  }
  const retried = report.experiments.filter((e) => e.attempts > 1).length;
  // Broken first, working later: load, or a perturbation whose effect depends on timing (e.g. faked futex).
  const recovered = report.experiments.filter((e) => e.attempts > 1 && e.verdict === 'works');
  if (recovered.length > 0) {
    out.push('', `Worked only when attempted again (load, or timing-dependent behaviour): ${recovered.length}`);
    out.push(wrap(recovered.map((e) => e.description.replace(' ', ':'))));
  }
  const t = report.timing;
  out.push(
    '',
    `${report.experiments.filter((e) => e.attempts > 0).length} experiments (${retried} attempted more than once${groupNote(report)}) in ${(t.wallMs / 1000).toFixed(1)} s ` +
      `(discovery ${(t.discoveryMs / 1000).toFixed(1)} s, experiments ${(t.experimentsMs / 1000).toFixed(1)} s, ${t.jobs} jobs${t.jobsLargest !== undefined && t.jobsLargest > t.jobs ? ` rising to ${t.jobsLargest}, as runs side by side were not slowed` : ''})`,
  );
  return out.join('\n') + '\n';
}

/** With group testing: what the groups saved (verdicts inferred from a group that worked are not experiments). */
function groupNote(report: ExploreReport): string {
  const g = report.groupTesting;
  const split = g?.splitForFallbacks ? `, ${g.splitForFallbacks} split as they made the application execute another syscall` : '';
  return g ? `; group testing: ${g.groupRuns} group runs${split}, ${g.inferred} verdicts from groups that worked, ${g.runsSaved} of ${g.oneAtATimeRuns} runs saved` : '';
}
