import type { Command } from 'commander';
import { shellJoin } from '../generate/shell-words.js';
import { positiveInteger } from './analysis-options.js';

interface DebianFlags {
  db: string;
  version?: string;
  binary?: string;
  makeArg: string[];
  jobs?: number;
  replicas: number;
  allowDirtyDb: boolean;
  init: boolean;
  commit: boolean;
  keepImage: boolean;
  onlyBuild: boolean;
  json: boolean;
  quiet: boolean;
}

export function registerDebian(program: Command): void {
  program
    .command('debian')
    .summary('build a Debian source package and analyse its binaries under the package\'s own test suite')
    .description(
      'Fetches the source package (deb-src of the base image\'s suite and mirror), builds it in a Docker image from ' +
      'loupe-base the usual Debian way, runs its test suite once to find which of the built executables it runs, and ' +
      'analyses each (or --binary) with `loupe explore --test-sequential --only-consider BINARY`, the suite being the ' +
      'workload. Each binary is stored as a run of application PACKAGE, workload suite-debian, named by the md5 of its ' +
      'generated Dockerfile, which is stored with its dockerfile_data/ so that `loupe reproduce` rebuilds it.',
    )
    .argument('<package>', 'Debian source (or binary) package name, e.g. gzip')
    .requiredOption('--db <path>', 'the database (a git repository; also spelled -db)')
    .option('--version <version>', 'source version to build (default: the suite\'s)')
    .option('--binary <name>', 'analyse only this built executable (file name or path in the source tree)')
    .option('--make-arg <arg>', 'argument for the make that runs the test step, e.g. TESTS=\'a b\' (repeatable)', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--jobs <n>', 'experiments run side by side in one container (written in the Dockerfile; default: generate\'s share of the machine per replica)', positiveInteger)
    .option('--replicas <n>', 'how many times the whole analysis runs (results are merged)', positiveInteger, 2)
    .option('--allow-dirty-db', 'accept uncommitted changes in the database', false)
    .option('--init', 'create the database (git init) if it does not exist', false)
    .option('--commit', 'commit the new or changed runs', false)
    .option('--keep-image', 'keep the Docker images built (removed by default: with vfs each is a full copy)', false)
    .option('--only-build', 'build the package in its image and stop (the image is kept)', false)
    .option('--json', 'print the outcome as JSON', false)
    .option('-q, --quiet', 'no progress output', false)
    .addHelpText('after', `
Examples:
  loupe debian gzip -db /tmp/db --init --replicas 1 --make-arg TESTS=help-version
  loupe debian memcached -db ../loupedb --binary memcached-debug --commit

See docs/debian.md for what is run, how binaries are chosen, and how long it takes.`)
    .action(async (pkg: string, flags: DebianFlags) => {
      const { debianCommand } = await import('../commands/debian.js');
      await debianCommand({
        package: pkg,
        ...(flags.version === undefined ? {} : { version: flags.version }),
        ...(flags.binary === undefined ? {} : { binary: flags.binary }),
        makeArgs: flags.makeArg,
        ...(flags.jobs === undefined ? {} : { jobs: flags.jobs }),
        db: flags.db,
        replicas: flags.replicas,
        allowDirty: flags.allowDirtyDb,
        init: flags.init,
        commit: flags.commit,
        keepImage: flags.keepImage,
        onlyBuild: flags.onlyBuild,
        json: flags.json,
        quiet: flags.quiet,
        commandLine: shellJoin(['loupe', ...process.argv.slice(2)]),
      });
    });
}
