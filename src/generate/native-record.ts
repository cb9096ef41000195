import { createHash } from 'node:crypto';
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { release } from 'node:os';
import { basename, dirname, join, posix } from 'node:path';
import { capture } from '../sandbox/capture.js';

/**
 * The environment record of a native run: everything needed to reproduce it on another machine,
 * stored as the run's `environment.json`. The run folder is named after the md5 of that file's
 * bytes, so the same command in the same environment always lands in the same folder.
 */
export const NATIVE_RECORD_FILE = 'environment.json';
/** Folder of a native run holding a copy of the test script. */
export const TEST_SCRIPT_DIR = 'test';

export interface NativeRecord {
  schema: 'loupe-native-run/1';
  command: {
    binary: string;
    args: string[];
    /** Folder the application and test script were started from (relative paths depend on it). */
    cwd: string;
    /** `loupe explore` options that change the analysis, except the test script (see testScript). */
    explore: string[];
  };
  /** The test script, by content: its copy is stored in the run folder as test/<file>. */
  testScript?: { file: string; sha256: string };
  /**
   * Files beside the test script that it names (testFilesNamed), by content, stored as
   * test/<file> beside its copy. Absent when there are none, so that the records (and run
   * names) of runs made before this field existed stay the same.
   */
  testFiles?: { file: string; sha256: string }[];
  os: string;
  kernel: string;
  arch: string;
  binary: { sha256: string; package?: { name: string; version: string } };
  tracer: string;
  loupe: string;
}

export interface NativeWorkload {
  binary: string;
  args: string[];
  cwd: string;
  /** Explore options except the test script (`analysisOptionArgs` of them). */
  exploreArgs: string[];
  testScript?: string;
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

export async function describeNativeEnvironment(workload: NativeWorkload, loupeVersion: string): Promise<NativeRecord> {
  const testScript = workload.testScript;
  const testFiles = testScript === undefined ? [] : testFilesBeside(testScript)
    .map((file) => ({ file, sha256: sha256(readFileSync(join(dirname(testScript), file))) }));
  return {
    schema: 'loupe-native-run/1',
    command: { binary: workload.binary, args: workload.args, cwd: workload.cwd, explore: workload.exploreArgs },
    ...(testScript === undefined ? {} : { testScript: { file: basename(testScript), sha256: sha256(readFileSync(testScript)) } }),
    ...(testFiles.length === 0 ? {} : { testFiles }),
    os: osDescription(),
    kernel: release(),
    arch: process.arch === 'x64' ? 'x86_64' : process.arch,
    binary: { sha256: sha256(readFileSync(workload.binary)), ...(await debianPackageOf(workload.binary)) },
    tracer: await straceVersion(),
    loupe: loupeVersion,
  };
}

/**
 * The files in the test script's folder (or below it) that the script at `script` names: what
 * its copy in the run folder needs beside it (test/<file>) to work as it did. Relative paths,
 * sorted.
 */
export function testFilesBeside(script: string): string[] {
  const dir = dirname(script);
  const self = basename(script);
  return testFilesNamed(readFileSync(script, 'latin1'), (file) => {
    if (file === self) return false;
    try {
      return statSync(join(dir, file)).isFile();
    } catch {
      return false;
    }
  });
}

/**
 * The relative paths named in a test script's text that `isFileBeside` says are files beside
 * it. A name counts wherever it ends a word of path characters, at the word's start or after a
 * `/` (so `"$(dirname "$0")/expected.txt"`, `$HERE/data/in.txt`, `./expected.txt` and
 * `os.path.join(here, 'expected.txt')` all name theirs); lines that are only a comment (`#`, as in
 * sh, bash, Python, Perl) are not read, names with `..` (outside the folder) are not kept. Names
 * built at run time (globs, variables) are not seen: docs/generate.md tells users to write such
 * files' names out. Pure; sorted, without repeats.
 */
export function testFilesNamed(scriptText: string, isFileBeside: (relativePath: string) => boolean): string[] {
  const found = new Set<string>();
  for (const line of scriptText.split('\n')) {
    if (line.trimStart().startsWith('#')) continue;
    for (const word of line.match(/[A-Za-z0-9._+@%/-]+/g) ?? []) {
      const parts = word.split('/');
      // A name after `..` is outside the folder, whatever follows.
      for (let start = 0; start < parts.length && !parts.slice(0, start).includes('..'); start++) {
        const file = posix.normalize(parts.slice(start).join('/'));
        if (file === '.' || file.startsWith('/') || file.endsWith('/') || file.split('/').includes('..')) continue;
        if (!found.has(file) && isFileBeside(file)) found.add(file);
      }
    }
  }
  return [...found].sort();
}

/** The record's bytes: stable JSON (fixed key order from the object literal above), final newline. */
export function formatRecord(record: NativeRecord): string {
  return JSON.stringify(record, null, 2) + '\n';
}

export function recordRunName(recordText: string): string {
  return createHash('md5').update(recordText).digest('hex');
}

export function parseRecord(text: string, file: string): NativeRecord {
  const record = JSON.parse(text) as NativeRecord;
  if (record.schema !== 'loupe-native-run/1' || typeof record.command?.binary !== 'string') {
    throw new Error(`${file} is not a native run record (schema loupe-native-run/1)`);
  }
  return record;
}

function osDescription(): string {
  try {
    const fields = new Map(
      readFileSync('/etc/os-release', 'utf8').split('\n')
        .map((l) => /^([A-Z_]+)=("?)(.*)\2$/.exec(l.trim()))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => [m[1]!, m[3]!]),
    );
    return fields.get('PRETTY_NAME') ?? `${fields.get('ID') ?? 'linux'} ${fields.get('VERSION_ID') ?? ''}`.trim();
  } catch {
    return 'unknown (no /etc/os-release)';
  }
}

/** The Debian package owning the binary, with its version; nothing on non-Debian systems or for local builds. */
async function debianPackageOf(binary: string): Promise<{ package?: { name: string; version: string } }> {
  const real = realpathSync(binary);
  // With merged /usr, dpkg may know the file under /bin rather than /usr/bin.
  const candidates = [real, real.replace(/^\/usr\//, '/')].filter((p, i, all) => all.indexOf(p) === i);
  for (const path of candidates) {
    const owner = await capture(['dpkg-query', '-S', path]);
    const name = owner.code === 0 ? /^([^:\s,]+)(:[^:\s]+)?: /.exec(owner.stdout)?.[1] : undefined;
    if (name === undefined) continue;
    const version = await capture(['dpkg-query', '-W', '-f=${Version}', name]);
    if (version.code === 0) return { package: { name, version: version.stdout.trim() } };
  }
  return {};
}

async function straceVersion(): Promise<string> {
  const out = await capture(['strace', '-V']);
  return out.code === 0 ? (out.stdout.split('\n')[0] ?? '').trim() : 'strace not installed';
}
