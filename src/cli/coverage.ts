import { Command, InvalidArgumentError, Option } from 'commander';
import { coverageCommand } from '../commands/coverage.js';

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
}

/**
 * `loupe explore` options that only matter to experiments: accepted and ignored, so that an
 * explore command line (a Dockerfile's CMD for /root/explore.py) runs unchanged as a coverage run.
 */
const EXPERIMENT_ONLY_OPTIONS: readonly string[] = [
  '--output-csv', '--output-sys-names', '--final-check', '--partial-support', '--disable-static',
  '-v, --verbose', '-j, --jobs <n>', '--attempts <n>', '--journal <file>',
];

export function registerCoverage(program: Command): void {
  const cmd = program
    .command('coverage')
    .description('run the workload once on a build compiled with --coverage: line, function and branch coverage (lcov), and which syscall call sites of the source it reached')
    .usage('-b BINARY --source BUILD_DIR [-t TEST_SCRIPT] [options] -- ARGS...')
    .requiredOption('-b, --binary <path>', 'the instrumented application (a path, or a name found on PATH)')
    .requiredOption('--source <dir>', 'build tree of the binary, with its .gcno files (and compile_commands.json, for the call sites)')
    .option('-t, --test-script <path>', 'script judging the run: called as SCRIPT LOGFILE; exit 0 works, 200 retry, other broken')
    .option('--timeout <seconds>', 'time limit of the run (application and test script)', positiveNumber, 30)
    .option('--test-sequential', 'run the application to completion: it must exit 0, then the script judges its log', false)
    .option('--only-consider <path>', 'the instrumented binary, when -b is a test driver that runs it')
    .option('--instrumented <path>', 'the build with coverage of the analysed binary, run in its place (the binary -b or --only-consider names stays uninstrumented)')
    .option('--out <dir>', 'write coverage.json, the lcov tracefile coverage.info, the HTML report html/ and the run\'s logs work/ there')
    .option('--stop-timeout <seconds>', 'how long a server may take to exit after SIGTERM (it writes its coverage data then)', positiveNumber, 10)
    .option('--no-syscalls', 'skip the syscall call sites (the static source analysis, which needs clang)')
    .option('--json', 'print the report as JSON', false)
    .option('-q, --quiet', 'print nothing but errors (and what --json asks for)', false)
    .argument('[args...]', 'arguments of the application, after --')
    .addHelpText('after', `
Examples:
  cd examples/lua && loupe coverage -b ~/build/lua5.4/src/lua5.4 --source ~/build/lua5.4 -t ./test.sh --test-sequential --out /tmp/cov -- hello.lua
  loupe coverage -b ./objs/nginx --source . -t ./test.sh --out /tmp/cov -- -p . -c nginx.conf

explore's options that only concern experiments (--jobs, --final-check, ...) are accepted and ignored.
See docs/coverage.md.`);
  for (const flags of EXPERIMENT_ONLY_OPTIONS) cmd.addOption(new Option(flags).hideHelp());
  cmd.action(async (args: string[], opts: Record<string, unknown>) => {
    await coverageCommand({
      binary: opts.binary as string,
      args,
      testScript: opts.testScript as string | undefined,
      timeoutSec: opts.timeout as number,
      testSequential: opts.testSequential as boolean,
      onlyConsider: opts.onlyConsider as string | undefined,
      source: opts.source as string,
      instrumented: opts.instrumented as string | undefined,
      out: opts.out as string | undefined,
      stopTimeoutSec: opts.stopTimeout as number,
      syscalls: opts.syscalls as boolean,
      json: opts.json as boolean,
      quiet: opts.quiet as boolean,
    });
  });
}
