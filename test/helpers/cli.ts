import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REPO_ROOT = new URL('../../../', import.meta.url).pathname;
export const CLI = join(REPO_ROOT, 'dist/src/cli/main.js');
export const FIXTURES = join(REPO_ROOT, 'test/fixtures');
export const EXAMPLES = join(REPO_ROOT, 'examples');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts `loupe ARGS` in its own process group; `child` lets a test signal it (Ctrl-C is SIGINT to its pid). */
export function startLoupe(args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): { child: ChildProcess; result: Promise<CliResult> } {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? REPO_ROOT, env: opts.env ?? process.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const result = new Promise<CliResult>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      removeKeptFolders(stderr);
      resolve({ code, stdout, stderr });
    });
  });
  return { child, result };
}

/**
 * A failed explore or generate keeps its temporary folder for its logs and says so (`kept in DIR
 * (delete it when done)`): the test's process removes such folders when it ends, as its own.
 * Only folders under the temporary folder: a user's --out is never touched.
 */
function removeKeptFolders(stderr: string): void {
  for (const m of stderr.matchAll(/ kept in (\/\S+) \(delete it when done\)/g)) {
    if (m[1]!.startsWith(`${tmpdir()}/`)) removeAtExit(m[1]!);
  }
}

/** Runs `loupe ARGS` in its own process group and waits for it. */
export function runLoupe(args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return startLoupe(args, opts).result;
}

/** Stand-in for `loupe explore` used to test generate on its own (not compiled: read from the source tree). */
export const STAND_IN_EXPLORE = join(FIXTURES, 'stand-in-explore.mjs');

export async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

import { removeAtExit } from './temp-dirs.js';
export { tempDir } from './temp-dirs.js';

/** Compiles a C file from test/fixtures/c into `dir`; fails the test with gcc's message. */
export function compileC(source: string, dir: string, extra: readonly string[] = []): string {
  const out = join(dir, source.replace(/\.c$/, ''));
  const r = spawnSync('gcc', ['-O1', '-Wall', '-o', out, join(FIXTURES, 'c', source), ...extra], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gcc failed for ${source} (apt-get install gcc libc6-dev, or run npm test which sets up):\n${r.stderr}`);
  return out;
}

export function writeScript(dir: string, name: string, body: string, interpreter = '/bin/sh'): string {
  const path = join(dir, name);
  writeFileSync(path, `#!${interpreter}\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

/** Processes whose command line mentions `marker` (a unique temp path): must be none after a run. */
export function processesMentioning(marker: string): string[] {
  const r = spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => l.includes(marker) && !l.includes('ps -eo'));
}

/**
 * Test script of test/fixtures/c/forking-server.c (bash, for /dev/tcp): two connections, each
 * answered `hello`; with fork faked, the parent serves the first one as if it were the child and exits.
 */
export const FORKING_SERVER_TEST = `for i in 1 2; do
  exec 3<>/dev/tcp/127.0.0.1/7777 2>/dev/null || exit 200
  read -r line <&3 || exit 1
  exec 3<&-
  [ "$line" = hello ] || exit 1
done
exit 0`;

/**
 * test/fixtures/c/forking-server.c compiled into `dir`, with its test script (FORKING_SERVER_TEST)
 * beside it; with `testSeconds`, the script then sleeps that long before it answers "works", as
 * wrk's second does: a run whose length a clock sets.
 */
export function forkingServer(dir: string, testSeconds?: number): { prog: string; script: string } {
  const body = testSeconds === undefined ? FORKING_SERVER_TEST : FORKING_SERVER_TEST.replace(/exit 0$/, `sleep ${testSeconds}\nexit 0`);
  return { prog: compileC('forking-server.c', dir), script: writeScript(dir, 'test.sh', body, '/bin/bash') };
}
