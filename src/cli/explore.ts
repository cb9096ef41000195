import { Option, type Command } from 'commander';
import { defaultJobs, MAX_JOBS_FACTOR } from '../explore/jobs.js';
import { addAnalysisOptions, analysisOptionsFrom, optionsFrom, positiveInteger } from './analysis-options.js';
import { PERF_OPTIONS, type PerfOptions } from '../explore/perf/options.js';

export function registerExplore(program: Command): void {
  const cmd = program
    .command('explore')
    .description('analyse one application under one workload: which syscalls it needs, and which can be stubbed or faked')
    .usage('-b BINARY [-t TEST_SCRIPT] [options] -- ARGS...')
    .requiredOption('-b, --binary <path>', 'application to run (a path, or a name found on PATH)');
  addAnalysisOptions(cmd)
    // Both print on stdout: asked together, one would be dropped at the end of the analysis.
    .addOption(new Option('--output-csv', 'print dyn.csv (the database format) on stdout, and nothing else there').default(false).conflicts('json'))
    .option('--output-sys-names', 'print the classes as lists of syscall names', false)
    .addOption(new Option('-j, --jobs <n>', `experiments run side by side (default: ${defaultJobs()}, two per core, raised up to ${MAX_JOBS_FACTOR * defaultJobs()} for runs of 0.5 s or more while runs side by side take no longer than the unperturbed run alone; a number given here is kept throughout)`).argParser(positiveInteger))
    .option('--json', 'print one JSON document with every result and experiment', false)
    .option('--out <dir>', 'write dyn.csv, static_binary.csv, sub-feature CSVs, fallbacks.csv, explore.json, explore.log and per-run logs there (with --perf-analysis also perf.csv, perf.svg, perf.png)')
    .option('--journal <file>', 'record finished experiments there; the same command run again resumes from it')
    .option('--keep-writes', 'keep each run\'s writable layer beside its logs (under --out DIR/work) with writes.log listing the files it changed', false)
    .option('-v, --verbose', 'print every experiment as it finishes', false)
    .option('--events', 'progress as JSON lines on stderr (one event per phase and per experiment), for other programs', false)
    .option('-q, --quiet', 'print nothing but errors (and what --output-csv or --json asks for)', false);
  addAnalysisOptions(cmd, PERF_OPTIONS)
    .argument('[args...]', 'arguments of the application, after --')
    .addHelpText('after', `
Examples (in the bundled examples/ folders):
  cd examples/lua && loupe explore -b lua5.4 -t ./test.sh --test-sequential -- hello.lua
  cd examples/nginx && loupe explore -b /usr/sbin/nginx -t ./test.sh -- -p . -c nginx.conf

The test script is called as SCRIPT LOGFILE. See docs/explore.md for the steps, the verdicts and their limits.`)
    .action(async (args: string[], opts: Record<string, unknown>) => {
      const { exploreCommand } = await import('../commands/explore.js');
      await exploreCommand({
        ...analysisOptionsFrom(opts),
        binary: opts.binary as string,
        args,
        outputCsv: opts.outputCsv as boolean,
        outputSysNames: opts.outputSysNames as boolean,
        jobs: opts.jobs as number | undefined,
        json: opts.json as boolean,
        out: opts.out as string | undefined,
        journal: opts.journal as string | undefined,
        verbose: opts.verbose as boolean,
        events: opts.events as boolean,
        quiet: opts.quiet as boolean,
        perf: optionsFrom(opts, PERF_OPTIONS) as unknown as PerfOptions,
        keepWrites: opts.keepWrites as boolean,
      });
    });
}
