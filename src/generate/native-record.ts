import { createHash } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import { release } from 'node:os';
import { basename } from 'node:path';
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
  return {
    schema: 'loupe-native-run/1',
    command: { binary: workload.binary, args: workload.args, cwd: workload.cwd, explore: workload.exploreArgs },
    ...(testScript === undefined ? {} : { testScript: { file: basename(testScript), sha256: sha256(readFileSync(testScript)) } }),
    os: osDescription(),
    kernel: release(),
    arch: process.arch === 'x64' ? 'x86_64' : process.arch,
    binary: { sha256: sha256(readFileSync(workload.binary)), ...(await debianPackageOf(workload.binary)) },
    tracer: await straceVersion(),
    loupe: loupeVersion,
  };
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
