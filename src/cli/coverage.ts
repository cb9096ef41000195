import { Command, Option } from 'commander';
import { addAnalysisOptions, analysisOptionsFrom, positiveNumber } from './analysis-options.js';

/**
 * `loupe explore` options that concern experiments or explore's own output: accepted and
 * ignored, like the analysis options that only experiments use (--final-check, --attempts...),
 * so that an explore command line (a Dockerfile's CMD for /root/explore.py) runs unchanged as a
 * coverage run.
 */
const EXPLORE_OUTPUT_OPTIONS: readonly string[] = ['--output-csv', '--output-sys-names', '-v, --verbose', '-j, --jobs <n>', '--journal <file>'];

export function registerCoverage(program: Command): void {
  const cmd = program
    .command('coverage')
    .description('run the workload once on a build compiled with --coverage: line, function and branch coverage (lcov), and which syscall call sites of the source it reached')
    .usage('-b BINARY --source BUILD_DIR [-t TEST_SCRIPT] [options] -- ARGS...')
    .requiredOption('-b, --binary <path>', 'the application (a path, or a name found on PATH)')
    .requiredOption('--source <dir>', 'build tree of the instrumented binary, with its .gcno files (and compile_commands.json, for the call sites)')
    .option('--instrumented <path>', 'the build with coverage of the analysed binary, run in its place (the binary -b or --only-consider names stays uninstrumented)')
    .option('--out <dir>', 'write coverage.json, the lcov tracefile coverage.info, the HTML report html/ and the run\'s logs work/ there')
    .option('--stop-timeout <seconds>', 'how long a server may take to exit after SIGTERM (it writes its coverage data then)', positiveNumber, 10)
    .option('--no-syscalls', 'skip the syscall call sites (the static source analysis, which needs clang)')
    .option('--json', 'print the report as JSON', false)
    .option('-q, --quiet', 'print nothing but errors (and what --json asks for)', false);
  addAnalysisOptions(cmd)
    .argument('[args...]', 'arguments of the application, after --')
    .addHelpText('after', `
Examples:
  cd examples/lua && loupe coverage -b ~/build/lua5.4/src/lua5.4 --source ~/build/lua5.4 -t ./test.sh --test-sequential --out /tmp/cov -- hello.lua
  loupe coverage -b /usr/sbin/nginx --instrumented ~/nginx/objs/nginx --source ~/nginx -t ./test.sh --out /tmp/cov -- -p . -c nginx.conf

Of the analysis options, those about experiments (--final-check, --partial-support, --attempts...) are accepted and ignored.
See docs/coverage.md.`);
  for (const flags of EXPLORE_OUTPUT_OPTIONS) cmd.addOption(new Option(flags).hideHelp());
  cmd.action(async (args: string[], opts: Record<string, unknown>) => {
    const { coverageCommand } = await import('../commands/coverage.js');
    await coverageCommand({
      ...analysisOptionsFrom(opts),
      binary: opts.binary as string,
      args,
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
