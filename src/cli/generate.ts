import { Command, Option } from 'commander';
import { generateCommand } from '../commands/generate.js';
import { shellJoin } from '../generate/shell-words.js';
import { ExitCode, LoupeError } from '../core/errors.js';
import { DEFAULT_PERF_RUNS, DEFAULT_PERF_WARMUP } from '../explore/perf/perf.js';

/** Options of `loupe explore` that generate passes on (native environment). */
export function addExploreOptions(cmd: Command): Command {
  return cmd
    .option('-t, --test-script <file>', 'test script judging each run (exit 0 works, 200 inconclusive, else broken)')
    .option('--timeout <seconds>', 'time limit of one run', parsePositive)
    .option('--test-sequential', 'the program runs to completion (a test suite) before the script judges its log', false)
    .option('--only-consider <path>', 'analyse only the processes that run this binary (the program is a test driver)')
    .option('--partial-support', 'also test sub-features (argument values, pseudo-files)', false)
    .option('--final-check', 'check all stubs together and all fakes together', false)
    .option('--disable-static', 'skip the static analysis of the binary', false);
}

export function parsePositive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new LoupeError(`expected a positive number, got ${JSON.stringify(value)}`, ExitCode.usage);
  return n;
}

function parseWarmup(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new LoupeError(`expected a whole number >= 0, got ${JSON.stringify(value)}`, ExitCode.usage);
  return n;
}

export function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new LoupeError(`expected a whole number >= 1, got ${JSON.stringify(value)}`, ExitCode.usage);
  return n;
}

interface GenerateFlags {
  db: string;
  application: string;
  workload?: string;
  benchmark: boolean;
  suite: boolean;
  dockerfile?: string;
  onlyBuildDocker: boolean;
  allowDirtyDb: boolean;
  init: boolean;
  commit: boolean;
  replicas: number;
  testScript?: string;
  timeout?: number;
  testSequential: boolean;
  onlyConsider?: string;
  partialSupport: boolean;
  finalCheck: boolean;
  disableStatic: boolean;
  perfAnalysis: boolean;
  perfRuns: number;
  perfWarmup: number;
  json: boolean;
  quiet: boolean;
}

export function registerGenerate(program: Command): void {
  const cmd = program
    .command('generate')
    .summary('analyse an application in a described environment and store the run in a Loupe database')
    .description(
      'Runs `loupe explore` in a Docker image built from a Dockerfile (-d) or on this machine (the command after --), ' +
      'several times (--replicas), merges the results and stores them in the database as ' +
      '<db>/<app>/<benchmark-NAME|suite[-NAME]>/<run>/. An interrupted run resumes where it stopped when run again.',
    )
    .requiredOption('--db <path>', 'the database (a git repository; also spelled -db)')
    .requiredOption('-a, --application <name>', 'application name')
    .option('-w, --workload <name>', 'workload name (optional for a test suite)')
    .addOption(new Option('-b, --benchmark', 'the workload is a benchmark').default(false).conflicts('suite'))
    .addOption(new Option('-s, --suite', 'the workload is a test suite').default(false))
    .option('-d, --dockerfile <file>', 'analyse inside an image built from this Dockerfile (FROM loupe-base:latest)')
    .option('--only-build-docker', 'build the image and stop', false)
    .option('--allow-dirty-db', 'accept uncommitted changes in the database', false)
    .option('--init', 'create the database (git init) if it does not exist', false)
    .option('--commit', 'commit the new or changed run', false)
    .option('--replicas <n>', 'how many times the whole analysis runs (results are merged)', parseCount, 2)
    .option('--perf-analysis', 'the first replica also measures the performance and resource impact of each working stub and fake (data/perf.csv); replicas then run one at a time', false)
    .option('--perf-runs <n>', 'measured runs per condition of the perf analysis', parseCount, DEFAULT_PERF_RUNS)
    .option('--perf-warmup <n>', 'warm-up runs per condition of the perf analysis', parseWarmup, DEFAULT_PERF_WARMUP);
  addExploreOptions(cmd)
    .option('--json', 'print the outcome as JSON', false)
    .option('-q, --quiet', 'no progress output', false)
    .argument('[command...]', 'native environment: the program and its arguments, after --')
    .addHelpText('after', `
Examples:
  loupe generate -b -db ../loupedb -a nginx -w wrk -d ./Dockerfile.nginx
  loupe generate -s -db /tmp/db --init -a lua -w hello -t test.sh --test-sequential -- lua5.4 hello.lua

See docs/generate.md for the database layout, replicas, resume and the Docker base image.`)
    .action(async (command: string[], flags: GenerateFlags) => {
      if (!flags.benchmark && !flags.suite) {
        throw new LoupeError('say whether the workload is a benchmark (-b) or a test suite (-s)', ExitCode.usage);
      }
      const name = flags.workload ?? '';
      await generateCommand({
        db: flags.db,
        app: flags.application,
        workload: { kind: flags.benchmark ? 'benchmark' : 'suite', name },
        ...(flags.dockerfile === undefined ? {} : { dockerfile: flags.dockerfile }),
        onlyBuildDocker: flags.onlyBuildDocker,
        allowDirty: flags.allowDirtyDb,
        init: flags.init,
        commit: flags.commit,
        replicas: flags.replicas,
        explore: {
          ...(flags.testScript === undefined ? {} : { testScript: flags.testScript }),
          ...(flags.timeout === undefined ? {} : { timeoutSec: flags.timeout }),
          sequential: flags.testSequential,
          ...(flags.onlyConsider === undefined ? {} : { onlyConsider: flags.onlyConsider }),
          partialSupport: flags.partialSupport,
          finalCheck: flags.finalCheck,
          disableStatic: flags.disableStatic,
        },
        ...(flags.perfAnalysis ? { perf: { runs: flags.perfRuns, warmup: flags.perfWarmup } } : {}),
        command,
        json: flags.json,
        quiet: flags.quiet,
        commandLine: shellJoin(['loupe', ...process.argv.slice(2)]),
      });
    });
}
