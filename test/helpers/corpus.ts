import { spawn } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SYSCALL_CLASSES, type SyscallClass } from '../../src/core/verdict.js';
import { REPO_ROOT } from './cli.js';

/**
 * The corpus of small C programs with known verdicts (test/corpus/*.c), as data any test can
 * run: the integration runner (test/integration/corpus.test.ts) checks `loupe explore` against
 * it, and other engines (group testing, fallbacks) can reuse the same programs and expectations.
 *
 * Each program declares, in its first comment, lines `@key value`:
 *   @kind sequential|server      how it is judged: run to completion, or while it runs
 *   @build FLAGS                 gcc flags (default -static: only the program's own calls)
 *   @args ARGS                   the program's arguments (split at spaces)
 *   @test SHELL                  the test script's body, one line each ($1: the log);
 *                                default `grep -qx ok "$1"`
 *   @test-interpreter PATH       its #! interpreter (default /bin/sh)
 *   @explore OPTIONS             extra options of `loupe explore`
 *   @setup file NAME TEXT        a user file in the program's folder
 *   @setup setuid UID            the program owned by UID, set-user-ID
 *   @setup setuid-copy NAME UID  a set-user-ID copy of the program named NAME
 *   @expect SYSCALL CLASS        required | stubOnly | fakeOnly | both
 *   @expect-subfeature SYSCALL ARG bit|value LABEL STUB FAKE   sub-feature verdicts (works|broken)
 *                                of argument ARG (0-based); a bit is written in hex (0x20)
 *   @expect-reason EXPERIMENT REGEX   why that experiment was judged broken
 *   @expect-not-analysed ABI NAME     a call seen through another ABI (i386), not perturbed
 *   @expect-error EXIT REGEX     the analysis is refused: exit status and message
 *   @expect-unchanged FILE       a user file is byte for byte and mode the same afterwards
 *   @no-inject SYSCALL REASON    no cross-check of that expectation with strace's injection
 *   @fallback SYSCALL CALLS...   stubbed (ENOSYS), SYSCALL is replaced by CALLS, which the
 *                                program does not make otherwise (e.g. clone3 by clone)
 */

export const CORPUS_DIR = join(REPO_ROOT, 'test/corpus');

export type WorkloadKind = 'sequential' | 'server';

export interface SyscallExpectation {
  syscall: string;
  class: SyscallClass;
  /** Why strace's injection cannot cross-check it; absent when it can. */
  noInject?: string;
}

export interface SubfeatureExpectation {
  syscall: string;
  argIndex: number;
  bit: boolean;
  label: string;
  stub: 'works' | 'broken';
  fake: 'works' | 'broken';
}

export type Setup =
  | { kind: 'file'; name: string; text: string }
  | { kind: 'setuid'; uid: number }
  | { kind: 'setuid-copy'; name: string; uid: number };

export interface CorpusProgram {
  /** File name without `.c`. */
  name: string;
  source: string;
  kind: WorkloadKind;
  build: string[];
  args: string[];
  /** Body of the test script (lines). */
  test: string[];
  testInterpreter: string;
  exploreOptions: string[];
  setup: Setup[];
  expect: SyscallExpectation[];
  expectSubfeatures: SubfeatureExpectation[];
  /** Experiment id -> pattern its reason must match. */
  expectReasons: { experiment: string; pattern: RegExp }[];
  expectNotAnalysed: { abi: string; name: string }[];
  expectError?: { exitCode: number; pattern: RegExp };
  expectUnchanged: string[];
  /** What the program calls instead of a syscall that says ENOSYS (glibc's and the program's fallbacks). */
  fallbacks: { syscall: string; replacements: string[] }[];
}

const DEFAULT_TEST = `grep -qx ok "$1"`;

function fail(source: string, message: string): never {
  throw new Error(`test/corpus/${source}: ${message}`);
}

/** Parses a program's declaration block (its first comment). Pure; throws on a malformed line. */
export function parseDeclaration(source: string, text: string): CorpusProgram {
  const comment = /\/\*([\s\S]*?)\*\//.exec(text)?.[1] ?? fail(source, 'no leading comment with @declarations');
  const program: CorpusProgram = {
    name: source.replace(/\.c$/, ''), source, kind: 'sequential', build: ['-static'], args: [], test: [], testInterpreter: '/bin/sh',
    exploreOptions: [], setup: [], expect: [], expectSubfeatures: [], expectReasons: [], expectNotAnalysed: [], expectUnchanged: [], fallbacks: [],
  };
  let kindSeen = false;
  const noInject = new Map<string, string>();
  for (const raw of comment.split('\n')) {
    const line = raw.replace(/^\s*\*?\s?/, '').trimEnd();
    const m = /^@([a-z-]+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const [, key, value] = m as unknown as [string, string, string];
    const words = value.split(/\s+/);
    switch (key) {
      case 'kind':
        if (value !== 'sequential' && value !== 'server') fail(source, `@kind ${value}: expected sequential or server`);
        program.kind = value;
        kindSeen = true;
        break;
      case 'build': program.build = words; break;
      case 'args': program.args = words; break;
      case 'test': program.test.push(value); break;
      case 'test-interpreter': program.testInterpreter = value; break;
      case 'explore': program.exploreOptions.push(...words); break;
      case 'setup':
        if (words[0] === 'file' && words.length >= 3) program.setup.push({ kind: 'file', name: words[1]!, text: words.slice(2).join(' ') });
        else if (words[0] === 'setuid' && words.length === 2) program.setup.push({ kind: 'setuid', uid: Number(words[1]) });
        else if (words[0] === 'setuid-copy' && words.length === 3) program.setup.push({ kind: 'setuid-copy', name: words[1]!, uid: Number(words[2]) });
        else fail(source, `@setup ${value}: unknown`);
        break;
      case 'expect': {
        const cls = words[1] as SyscallClass;
        if (words.length !== 2 || !SYSCALL_CLASSES.includes(cls)) fail(source, `@expect ${value}: expected SYSCALL ${SYSCALL_CLASSES.join('|')}`);
        program.expect.push({ syscall: words[0]!, class: cls });
        break;
      }
      case 'expect-subfeature': {
        const [syscall, arg, scope, label, stub, fake] = words;
        const verdict = (v: string | undefined): v is 'works' | 'broken' => v === 'works' || v === 'broken';
        if (words.length !== 6 || !/^\d$/.test(arg!) || (scope !== 'bit' && scope !== 'value') || !verdict(stub) || !verdict(fake)) fail(source, `@expect-subfeature ${value}`);
        program.expectSubfeatures.push({ syscall: syscall!, argIndex: Number(arg), bit: scope === 'bit', label: label!, stub, fake });
        break;
      }
      case 'expect-reason': program.expectReasons.push({ experiment: words[0]!, pattern: new RegExp(words.slice(1).join(' ')) }); break;
      case 'expect-not-analysed': program.expectNotAnalysed.push({ abi: words[0]!, name: words[1]! }); break;
      case 'expect-error': program.expectError = { exitCode: Number(words[0]), pattern: new RegExp(words.slice(1).join(' ')) }; break;
      case 'expect-unchanged': program.expectUnchanged.push(value); break;
      case 'fallback':
        if (words.length < 2) fail(source, `@fallback ${value}: expected SYSCALL and its replacements`);
        program.fallbacks.push({ syscall: words[0]!, replacements: words.slice(1) });
        break;
      case 'no-inject': noInject.set(words[0]!, words.slice(1).join(' ')); break;
      default: fail(source, `unknown declaration @${key}`);
    }
  }
  if (!kindSeen) fail(source, 'no @kind');
  for (const e of program.expect) {
    const reason = noInject.get(e.syscall);
    if (reason !== undefined) e.noInject = reason;
  }
  if (program.test.length === 0) program.test.push(DEFAULT_TEST);
  return program;
}

/** Every program of the corpus, sorted by name. */
export function loadCorpus(): CorpusProgram[] {
  return readdirSync(CORPUS_DIR)
    .filter((f) => f.endsWith('.c'))
    .sort()
    .map((f) => parseDeclaration(f, readFileSync(join(CORPUS_DIR, f), 'utf8')));
}

/** A program compiled and set up in a folder of its own. */
export interface BuiltProgram {
  program: CorpusProgram;
  dir: string;
  binary: string;
  testScript: string;
}

function gcc(args: readonly string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn('gcc', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) => resolve(err.message));
    child.on('close', (code) => resolve(code === 0 ? undefined : stderr));
  });
}

/**
 * Compiles `program` into `root/NAME/` and applies its @setup; writes its test script. Throws
 * with gcc's message (and how to get gcc, or gcc-multilib for -m32) when compilation fails.
 */
export async function buildProgram(program: CorpusProgram, root: string): Promise<BuiltProgram> {
  const dir = join(root, program.name);
  mkdirSync(dir, { recursive: true });
  const binary = join(dir, program.name);
  const error = await gcc(['-O1', '-Wall', '-Werror', ...program.build, '-o', binary, join(CORPUS_DIR, program.source)]);
  if (error !== undefined) {
    throw new Error(`gcc failed for test/corpus/${program.source} (apt-get install gcc libc6-dev gcc-multilib, or run npm test, which sets up):\n${error}`);
  }
  for (const step of program.setup) {
    if (step.kind === 'file') writeFileSync(join(dir, step.name), `${step.text}\n`, { mode: 0o644 });
    if (step.kind === 'setuid') setuid(binary, step.uid);
    if (step.kind === 'setuid-copy') {
      copyFileSync(binary, join(dir, step.name));
      setuid(join(dir, step.name), step.uid);
    }
  }
  const testScript = join(dir, 'test.sh');
  writeFileSync(testScript, `#!${program.testInterpreter}\n${program.test.join('\n')}\n`, { mode: 0o755 });
  return { program, dir, binary, testScript };
}

function setuid(path: string, uid: number): void {
  chownSync(path, uid, -1);
  chmodSync(path, 0o4755); // after chown, which clears the bit
}
