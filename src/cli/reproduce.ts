import type { Command } from 'commander';
import { shellJoin } from '../generate/shell-words.js';
import { positiveInteger } from './analysis-options.js';

export function registerReproduce(program: Command): void {
  program
    .command('reproduce')
    .summary('re-run a stored run from its own record and show which syscalls changed class')
    .description(
      'Re-runs the analysis of RUN_FOLDER (DB/APP/WORKLOAD/RUN) in the environment it records (environment.json, ' +
      'or its Dockerfile and dockerfile_data/), replaces the stored data with the new result, and prints the syscalls ' +
      'whose class moved. `git diff` in the database then shows the change.',
    )
    .argument('<run-folder>', 'the run to reproduce')
    .option('--replicas <n>', 'how many times the analysis runs (results are merged)', positiveInteger, 2)
    .option('--no-store', 'only compare; leave the database as it is')
    .option('--commit', 'commit the reproduced run', false)
    .option('--allow-dirty-db', 'accept uncommitted changes in the database', false)
    .option('--json', 'print the changes as JSON', false)
    .option('-q, --quiet', 'no progress output', false)
    .action(async (runFolder: string, flags: { replicas: number; store: boolean; commit: boolean; allowDirtyDb: boolean; json: boolean; quiet: boolean }) => {
      const { reproduceCommand } = await import('../commands/reproduce.js');
      await reproduceCommand({
        runFolder, replicas: flags.replicas, store: flags.store, commit: flags.commit, allowDirty: flags.allowDirtyDb,
        json: flags.json, quiet: flags.quiet, commandLine: shellJoin(['loupe', ...process.argv.slice(2)]),
      });
    });
}
