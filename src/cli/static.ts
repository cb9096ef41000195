import type { Command } from 'commander';

/** `loupe static binary PATH` and `loupe static source DIR`. */
export function registerStatic(program: Command): void {
  const staticCommand = program
    .command('static')
    .description('static upper bound: the syscalls a binary (with its libraries) or a C/C++ source tree could ever issue')
    .addHelpText('after', `
Examples:
  loupe static binary /usr/sbin/nginx
  loupe static binary /usr/sbin/nginx --csv > static_binary.csv
  loupe static source ./src --json

See docs/static-analysis.md for the method and its limits.`);
  staticCommand
    .command('binary')
    .description('analyse an x86-64 ELF binary and the shared libraries it loads')
    .argument('<path>', 'the ELF executable')
    .option('--csv', 'print static_binary.csv (# syscall, used)')
    .option('--json', 'print the full report as JSON')
    .option('--no-libs', "analyse only the binary's own code, not its shared libraries")
    .action(async (path: string, options: { csv?: boolean; json?: boolean; libs: boolean }) => {
      const { outputFormat, runStaticBinary } = await import('../commands/static.js');
      await runStaticBinary({ path, format: outputFormat(options), noLibraries: !options.libs });
    });
  staticCommand
    .command('source')
    .description('analyse a C/C++ source tree with clang (honours compile_commands.json in DIR or DIR/build)')
    .argument('<dir>', 'the root of the source tree')
    .option('--csv', 'print static_sources.csv (# syscall, used)')
    .option('--json', 'print the full report as JSON')
    .action(async (dir: string, options: { csv?: boolean; json?: boolean }) => {
      const { outputFormat, runStaticSource } = await import('../commands/static.js');
      await runStaticSource({ dir, format: outputFormat(options) });
    });
}
