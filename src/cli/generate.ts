import { Command, Option } from 'commander';
import { shellJoin } from '../generate/shell-words.js';
import { ExitCode, LoupeError } from '../core/errors.js';
import { addAnalysisOptions, analysisOptionsFrom, positiveInteger } from './analysis-options.js';

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
    .option('--replicas <n>', 'how many times the whole analysis runs (results are merged)', positiveInteger, 2);
  addAnalysisOptions(cmd)
    .option('--json', 'print the outcome as JSON', false)
    .option('-q, --quiet', 'no progress output', false)
    .argument('[command...]', 'native environment: the program and its arguments, after --')
    .addHelpText('after', `
Examples:
  loupe generate -b -db ../loupedb -a nginx -w wrk -d ./Dockerfile.nginx
  loupe generate -s -db /tmp/db --init -a lua -w hello -t test.sh --test-sequential -- lua5.4 hello.lua

See docs/generate.md for the database layout, replicas, resume and the Docker base image.`)
    .action(async (command: string[], flags: GenerateFlags & Record<string, unknown>) => {
      if (!flags.benchmark && !flags.suite) {
        throw new LoupeError('say whether the workload is a benchmark (-b) or a test suite (-s)', ExitCode.usage);
      }
      const name = flags.workload ?? '';
      const { generateCommand } = await import('../commands/generate.js');
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
        explore: analysisOptionsFrom(flags),
        command,
        json: flags.json,
        quiet: flags.quiet,
        commandLine: shellJoin(['loupe', ...process.argv.slice(2)]),
      });
    });
}
