import type { Command } from 'commander';
import { outputFormat, runStaticBinary } from '../commands/static.js';

/** `loupe static binary PATH` and `loupe static source DIR`. */
export function registerStatic(program: Command): void {
  const staticCommand = program
    .command('static')
    .description('static upper bound: the syscalls a binary (with its libraries) or a C/C++ source tree could ever issue');
  staticCommand
    .command('binary')
    .description('analyse an x86-64 ELF binary and the shared libraries it loads')
    .argument('<path>', 'the ELF executable')
    .option('--csv', 'print static_binary.csv (# syscall, used)')
    .option('--json', 'print the full report as JSON')
    .option('--no-libs', "analyse only the binary's own code, not its shared libraries")
    .action(async (path: string, options: { csv?: boolean; json?: boolean; libs: boolean }) => {
      await runStaticBinary({ path, format: outputFormat(options), noLibraries: !options.libs });
    });
}
