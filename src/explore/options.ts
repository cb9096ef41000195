/**
 * The options that change what `loupe explore` measures, declared once. `explore` parses them,
 * `generate` accepts the same ones with the same defaults and help, and forwards them to each
 * replica's explore; the forwarded arguments also go into a native run's record, whose hash
 * names the run folder.
 */

/** Values of the analysis options, as explore uses them. */
export interface AnalysisOptions {
  testScript?: string;
  timeoutSec: number;
  testSequential: boolean;
  onlyConsider?: string;
  partialSupport: boolean;
  finalCheck: boolean;
  disableStatic: boolean;
  attempts: number;
  groupTesting: boolean;
  priors?: string;
  strict: boolean;
  /** Paths whose writes reach the host; every other write stays in the run's copy-on-write layer. */
  writable?: string[];
  /** Record what the application executes instead when a perturbation works (`--no-fallbacks` sets false). */
  fallbacks: boolean;
}

/** How a value is read from the command line. */
export type OptionKind = 'flag' | 'path' | 'paths' | 'text' | 'positiveNumber' | 'positiveInteger' | 'nonNegativeInteger';

/** One option of a table such as ANALYSIS_OPTIONS (or explore/perf/options.ts's PERF_OPTIONS). */
export interface OptionSpec<K extends string = string> {
  key: K;
  /** Commander's flag syntax, e.g. `-t, --test-script <path>`. */
  flags: string;
  description: string;
  kind: OptionKind;
  /** Absent: the option has no value unless given (path). A repeatable option (paths) collects every value given. */
  default?: boolean | number;
  /**
   * A flag that turned the option on before it became the default (`--group-testing`): still
   * accepted, so that earlier command lines and run records keep working, and hidden from the help.
   */
  earlierFlag?: string;
  /** The flag (a key of the same table) without which this option means nothing: given alone, it is a usage error. */
  requires?: K;
}

export type AnalysisOptionSpec = OptionSpec<keyof AnalysisOptions>;

/**
 * The table, in the order arguments are forwarded. Append new options at the end: the order
 * of existing ones is part of native run records (see analysisOptionArgs).
 */
export const ANALYSIS_OPTIONS: readonly AnalysisOptionSpec[] = [
  { key: 'testScript', flags: '-t, --test-script <path>', kind: 'path',
    description: 'script judging each run: called as SCRIPT LOGFILE; exit 0 works, 200 retry, other broken' },
  { key: 'timeoutSec', flags: '--timeout <seconds>', kind: 'positiveNumber', default: 30,
    description: 'time limit of one run (application and test script)' },
  { key: 'testSequential', flags: '--test-sequential', kind: 'flag', default: false,
    description: 'run the application to completion (a test suite): it must exit 0, then the script judges its log' },
  { key: 'onlyConsider', flags: '--only-consider <path>', kind: 'path',
    description: 'analyse and perturb only processes running this binary (the workload is a test driver)' },
  { key: 'partialSupport', flags: '--partial-support', kind: 'flag', default: false,
    description: 'also test sub-features: argument values, flag bits, and pseudo-files under /proc, /sys, /dev' },
  { key: 'finalCheck', flags: '--final-check', kind: 'flag', default: false,
    description: 'stub all stubbable syscalls together, fake all fakeable ones together, and find a large set that works jointly' },
  { key: 'disableStatic', flags: '--disable-static', kind: 'flag', default: false,
    description: 'do not run the static analysis of the binary' },
  { key: 'attempts', flags: '--attempts <n>', kind: 'positiveInteger', default: 2,
    description: 'runs of a failing experiment before "broken" is recorded' },
  { key: 'groupTesting', flags: '--no-group-testing', kind: 'flag', default: true, earlierFlag: '--group-testing',
    description: 'test each syscall in a run of its own, instead of perturbing several likely-working ones in one run and splitting a group that fails or changes what the application executes (group testing: fewer runs, same verdicts)' },
  { key: 'priors', flags: '--priors <dyn.csv>', kind: 'path',
    description: "an earlier analysis' dyn.csv of the same application: what to group, run first and not retry" },
  { key: 'strict', flags: '--strict', kind: 'flag', default: false,
    description: 'stop with an error, instead of a warning, when the test script calls a do-nothing stand-in "works" (negative control)' },
  { key: 'writable', flags: '--writable <path>', kind: 'paths',
    description: 'let runs write to this path on the host (repeatable); every other write stays in the run\'s own copy-on-write layer' },
  { key: 'fallbacks', flags: '--no-fallbacks', kind: 'flag', default: true,
    description: 'do not record what the application executes instead when a perturbation works (fallbacks)' },
];

/** The long option of a spec, e.g. `--test-script`. */
export function longFlag(spec: OptionSpec): string {
  const match = /--[a-z0-9-]+/.exec(spec.flags);
  if (!match) throw new Error(`option ${spec.key} has no long flag`);
  return match[0];
}

/**
 * The options as explore's command-line arguments, in table order. Values equal to the default
 * are left out, so that a record made before an option existed, or without it, stays the same.
 */
export function analysisOptionArgs(o: Partial<AnalysisOptions>): string[] {
  return optionArgs(o, ANALYSIS_OPTIONS);
}

/** analysisOptionArgs for another table of options. */
export function optionArgs<K extends string>(o: Partial<Record<K, unknown>>, specs: readonly OptionSpec<K>[]): string[] {
  const args: string[] = [];
  for (const spec of specs) {
    const value = o[spec.key];
    if (value === undefined || value === spec.default) continue;
    if (spec.kind === 'paths') {
      for (const path of value as string[]) args.push(longFlag(spec), path);
    } else if (spec.kind === 'flag') {
      // A flag that differs from its default is given: `--final-check`, or `--no-fallbacks`.
      args.push(longFlag(spec));
    } else {
      args.push(longFlag(spec), String(value));
    }
  }
  return args;
}
