import type { ExploreReport } from './report.js';

/**
 * How many times the unperturbed run the time-out should leave. A perturbation that works may
 * still slow the application (a faked futex made redis's threads spin, 3x slower, see
 * retry-policy.ts; xz -T2 with futex faked took 1.8x its baseline at load 20 to 25), and runs
 * side by side share the cores: past the time-out such a run is judged broken.
 */
const TIMEOUT_MARGIN = 3;

/**
 * The blind spots of an analysis, in words, for the human summary: the negative control's
 * verdict, a time-out that leaves little room over the unperturbed run, calls that were seen
 * but could not be perturbed, and what discovery could not read. The same facts are in the JSON
 * report (`negativeControl`, `timing.baselineMs` and `workload.timeoutSec`, `discovery`). Pure.
 */
export function analysisWarnings(report: ExploreReport): string[] {
  const warnings: string[] = [];
  if (report.negativeControl?.warning) warnings.push(`negative control: ${report.negativeControl.warning}`);
  const baselineMs = report.timing?.baselineMs;
  const timeoutSec = report.workload?.timeoutSec;
  if (baselineMs !== undefined && timeoutSec !== undefined && TIMEOUT_MARGIN * baselineMs > timeoutSec * 1000) {
    warnings.push(
      `time-out: the unperturbed run took ${(baselineMs / 1000).toFixed(1)} s, ${Math.round((100 * baselineMs) / (timeoutSec * 1000))}% of --timeout ${timeoutSec} s: ` +
        `a perturbation that works but slows the application, or the load of runs side by side, can take it past the time-out, where it is judged broken; ` +
        `give --timeout ${Math.ceil((TIMEOUT_MARGIN * baselineMs) / 1000)} or more`,
    );
  }
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
