import type { ExploreReport } from './report.js';

/**
 * The blind spots of an analysis, in words, for the human summary: the negative control's
 * verdict, calls that were seen but could not be perturbed, and what discovery could not read.
 * The same facts are in the JSON report (`negativeControl`, `discovery`). Pure.
 */
export function analysisWarnings(report: ExploreReport): string[] {
  const warnings: string[] = [];
  if (report.negativeControl?.warning) warnings.push(`negative control: ${report.negativeControl.warning}`);
  const d = report.discovery;
  if (d.notAnalysed.length > 0) {
    const calls = d.notAnalysed.map((c) => `${c.name} (${c.abi} ${c.nr}, ${c.count}x)`).join(', ');
    warnings.push(`not analysed: calls made through another ABI (i386 \`int $0x80\`, x32), which the seccomp filter cannot perturb: ${calls}`);
  }
  if (d.tracedRun.verdict !== 'works') {
    warnings.push(`discovery: the traced run failed its test (${d.tracedRun.reason ?? 'test failed'}), so it may have missed calls of a working run`);
  }
  if (d.unknownSyscallNames.length > 0) {
    warnings.push(`discovery: call names in no syscall table, not analysed: ${d.unknownSyscallNames.join(', ')}`);
  }
  if (d.unparsedLines.count > 0) {
    warnings.push(`discovery: ${d.unparsedLines.count} line(s) of the strace log not understood, e.g. ${JSON.stringify(d.unparsedLines.examples[0])}`);
  }
  if (d.unparsedArguments > 0) {
    warnings.push(`discovery: ${d.unparsedArguments} sub-feature argument(s) whose value strace did not show, not tested one by one`);
  }
  return warnings;
}
