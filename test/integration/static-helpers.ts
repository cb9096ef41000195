/** Shared by the static-analysis tests: compiling the C fixtures, running the CLI. */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { CLI, FIXTURES } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp-dirs.js';

export const fixtures = join(FIXTURES, 'static');

export const scratch = tempDir('static-test');
/** Keeps the disassembly cache of the tests (in this process and the CLIs it starts) out of the user's home. */
export const diskCache = join(scratch, 'cache');
process.env['LOUPE_CACHE_DIR'] = diskCache;

/** Compiles fixture `source` (a file under test/fixtures/static) with gcc or g++; returns the output path. */
export function compile(source: string, output: string, flags: readonly string[] = []): string {
  const path = join(scratch, output);
  const compiler = source.endsWith('.cc') ? 'g++' : 'gcc';
  execFileSync(compiler, ['-O2', ...flags, join(fixtures, source), '-o', path], { stdio: 'pipe' });
  return path;
}

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runCli(args: readonly string[]): CliResult {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
