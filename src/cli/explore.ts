import { Command, InvalidArgumentError, Option } from 'commander';
import { exploreCommand } from '../commands/explore.js';
import { defaultJobs } from '../explore/jobs.js';
import { DEFAULT_PERF_RUNS, DEFAULT_PERF_WARMUP } from '../explore/perf/perf.js';

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
}

function positiveInteger(value: string): number {
  const n = positiveNumber(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

function nonNegativeInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number, 0 or more');
  return n;
}

export function registerExplore(program: Command): void {
  program
    .command('explore')
    .description('analyse one application under one workload: which syscalls it needs, and which can be stubbed or faked')
    .usage('-b BINARY [-t TEST_SCRIPT] [options] -- ARGS...')
    .requiredOption('-b, --binary <path>', 'application to run (a path, or a name found on PATH)')
    .option('-t, --test-script <path>', 'script judging each run: called as SCRIPT LOGFILE; exit 0 works, 200 retry, other broken')
    .option('--timeout <seconds>', 'time limit of one run (application and test script)', positiveNumber, 30)
    .option('--test-sequential', 'run the application to completion (a test suite): it must exit 0, then the script judges its log', false)
    .option('--only-consider <path>', 'analyse and perturb only processes running this binary (the workload is a test driver)')
    .option('--output-csv', 'print dyn.csv (the database format) on stdout, and nothing else there', false)
    .option('--output-sys-names', 'print the classes as lists of syscall names', false)
    .option('--final-check', 'stub all stubbable syscalls together, fake all fakeable ones together, and find a large set that works jointly', false)
    .option('--partial-support', 'also test sub-features: argument values, flag bits, and pseudo-files under /proc, /sys, /dev', false)
    .option('--disable-static', 'do not run the static analysis of the binary', false)
    .addOption(new Option('-j, --jobs <n>', `experiments run side by side (default: ${defaultJobs()}, two per core)`).argParser(positiveInteger))
    .option('--attempts <n>', 'runs of a failing experiment before "broken" is recorded', positiveInteger, 2)
    .option('--json', 'print one JSON document with every result and experiment', false)
    .option('--out <dir>', 'write dyn.csv, sub-feature CSVs, explore.json, explore.log and per-run logs there')
    .option('--journal <file>', 'record finished experiments there; the same command run again resumes from it')
    .option('--perf-analysis', 'then measure the performance and resource impact of every working stub and fake (SCRIPT LOGFILE benchmark prints one number)', false)
    .option('--perf-runs <n>', 'measured runs per condition', positiveInteger, DEFAULT_PERF_RUNS)
    .option('--perf-warmup <n>', 'warm-up runs per condition, not counted', nonNegativeInteger, DEFAULT_PERF_WARMUP)
    .option('--perf-threshold <percent>', 'smallest performance change flagged (the original\'s margin)', positiveNumber, 3)
    .option('--resource-threshold <percent>', 'smallest change of descriptors, memory or CPU time flagged', positiveNumber, 1)
    .option('--cpus <list>', 'pin perf measurement runs (application and script) to these CPUs (taskset -c LIST)')
    .option('-v, --verbose', 'print every experiment as it finishes', false)
    .option('-q, --quiet', 'print nothing but errors (and what --output-csv or --json asks for)', false)
    .argument('[args...]', 'arguments of the application, after --')
    .action(async (args: string[], opts: Record<string, unknown>) => {
      await exploreCommand({
        binary: opts.binary as string,
        args,
        testScript: opts.testScript as string | undefined,
        timeoutSec: opts.timeout as number,
        testSequential: opts.testSequential as boolean,
        onlyConsider: opts.onlyConsider as string | undefined,
        outputCsv: opts.outputCsv as boolean,
        outputSysNames: opts.outputSysNames as boolean,
        finalCheck: opts.finalCheck as boolean,
        partialSupport: opts.partialSupport as boolean,
        disableStatic: opts.disableStatic as boolean,
        jobs: opts.jobs as number | undefined,
        attempts: opts.attempts as number,
        json: opts.json as boolean,
        out: opts.out as string | undefined,
        journal: opts.journal as string | undefined,
        verbose: opts.verbose as boolean,
        quiet: opts.quiet as boolean,
        ...(opts.perfAnalysis
          ? {
              perf: {
                perfRuns: opts.perfRuns as number,
                perfWarmup: opts.perfWarmup as number,
                cpus: opts.cpus as string | undefined,
                perfThreshold: opts.perfThreshold as number,
                resourceThreshold: opts.resourceThreshold as number,
              },
            }
          : {}),
      });
    });
}
