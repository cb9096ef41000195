#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { normaliseArgv } from './argv.js';
import { ExitCode, LoupeError } from '../core/errors.js';
import { registerCoverage } from './coverage.js';
import { registerExplore } from './explore.js';
import { registerDebian } from './debian.js';
import { registerGenerate } from './generate.js';
import { registerBaseImage } from './base-image.js';
import { registerReproduce } from './reproduce.js';
import { registerSearch } from './search.js';
import { registerStatic } from './static.js';
import { VERSION } from '../core/version.js';

/**
 * Each command lives in its own module under cli/ and only parses arguments; work is done in
 * commands/, whose module is loaded only when its command runs: loading every command's
 * libraries (plots, SQLite, the disassembler) took most of a short analysis' start-up.
 */
// `loupe ... | head -1`: once the reader has gone, what is left to print is not wanted. Without a
// listener the EPIPE surfaced as an unhandled 'error' event (a stack trace, status 1, at random
// depending on timing). The command goes on to its end (processes reaped, databases written whole)
// and keeps its status; any other error on stdout is still thrown.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
});

const program = new Command()
  .name('loupe')
  .description('Which Linux system calls does an application really need, and which can be stubbed or faked?')
  .version(VERSION)
  // The program's own options only before a command's name: `loupe debian PKG --version V` is debian's.
  .enablePositionalOptions()
  // Usage errors read like loupe's own (`loupe: error: ...`), inherited by every command.
  .configureOutput({ outputError: (text, write) => write(`loupe: ${text}`) })
  .exitOverride();

registerExplore(program);
registerGenerate(program);
registerDebian(program);
registerBaseImage(program);
registerReproduce(program);
registerSearch(program);
registerStatic(program);
registerCoverage(program);
pointToOwnHelp(program, 'loupe');

/** After a usage error, name the help of the command that was typed (`loupe static binary --help`). */
function pointToOwnHelp(command: Command, path: string): void {
  command.showHelpAfterError(`loupe: hint: see \`${path} --help\``);
  for (const sub of command.commands) pointToOwnHelp(sub, `${path} ${sub.name()}`);
}

export async function main(argv: readonly string[]): Promise<number> {
  try {
    await program.parseAsync(normaliseArgv(argv), { from: 'user' });
    return process.exitCode === undefined ? ExitCode.ok : Number(process.exitCode);
  } catch (err) {
    return reportError(err);
  }
}

function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    // Help and version are "errors" to commander; they already printed. Help shown because no
    // command was given (`loupe`, `loupe static`) went to stderr with a non-zero status: a usage error.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') {
      return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    return ExitCode.usage;
  }
  if (err instanceof LoupeError) {
    process.stderr.write(`loupe: error: ${err.message}\n`);
    if (err.hint) process.stderr.write(`loupe: hint: ${err.hint}\n`);
    return err.exitCode;
  }
  process.stderr.write(`loupe: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.stderr.write('loupe: this is a bug in loupe; please report it with the command line you used.\n');
  return ExitCode.failed;
}

process.exitCode = await main(process.argv.slice(2));
