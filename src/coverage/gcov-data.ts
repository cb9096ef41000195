/**
 * gcov's files: `.gcno` (notes, written by the compiler next to each object) and `.gcda` (counts,
 * written by the instrumented program when it exits). The workload's run writes its .gcda files
 * under a folder of ours (GCOV_PREFIX, with GCOV_PREFIX_STRIP=0: PREFIX/<absolute object path>.gcda),
 * never into the build tree. A process that cleared its environment (nginx's workers, any
 * program calling clearenv) writes at the object path itself, which in the run is a
 * copy-on-write view: the file lands in the run's kept writable layer. Here both kinds are
 * paired with the build tree's .gcno files in a staging folder that lcov reads.
 *
 * File headers (gcc/gcov-io.h): a 4-byte magic ("gcno" or "gcda" as a little-endian word on
 * x86-64), a 4-byte version, a 4-byte stamp. The compiler writes the same stamp into both
 * files of one compilation; a .gcda whose stamp differs from its .gcno comes from another build.
 */
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, readSync, readdirSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import { ExitCode, LoupeError } from '../core/errors.js';
import type { WritableLayer } from '../sandbox/isolation.js';

const GCNO_MAGIC = 0x67636e6f;
const GCDA_MAGIC = 0x67636461;
const SKIPPED_DIRECTORIES = new Set(['.git', '.hg', '.svn', 'node_modules']);

export interface GcovHeader {
  readonly kind: 'gcno' | 'gcda';
  readonly version: number;
  readonly stamp: number;
}

/** Reads the header of a .gcno or .gcda file's first 12 bytes; undefined when it is neither. */
export function parseGcovHeader(bytes: Uint8Array): GcovHeader | undefined {
  if (bytes.length < 12) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, true);
  const kind = magic === GCNO_MAGIC ? 'gcno' : magic === GCDA_MAGIC ? 'gcda' : undefined;
  if (kind === undefined) return undefined;
  return { kind, version: view.getUint32(4, true), stamp: view.getUint32(8, true) };
}

function readHeader(path: string): GcovHeader | undefined {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(12);
    const n = readSync(fd, buffer, 0, 12, 0);
    return parseGcovHeader(buffer.subarray(0, n));
  } finally {
    closeSync(fd);
  }
}

/** Files ending in `extension` under `dir`, recursively (version-control folders skipped), sorted. */
export function findFiles(dir: string, extension: string): string[] {
  const found: string[] = [];
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory() && !SKIPPED_DIRECTORIES.has(entry.name)) walk(path);
      else if (entry.isFile() && entry.name.endsWith(extension)) found.push(path);
    }
  };
  walk(dir);
  return found.sort();
}

/** The build tree's .gcno files; LoupeError (bad input) when there is none. */
export function findNotes(sourceDir: string): string[] {
  const notes = findFiles(sourceDir, '.gcno');
  if (notes.length === 0) {
    throw new LoupeError(`no .gcno files under ${sourceDir}: it is not a build tree compiled with coverage`, ExitCode.badInput,
      'build the program with `--coverage` (CFLAGS and LDFLAGS: -fprofile-arcs -ftest-coverage) and give its build tree with --source');
  }
  return notes;
}

/**
 * Whether a program was linked with gcov's run-time library: it reads GCOV_PREFIX from the
 * environment, so the name is in its read-only data (stripped or not).
 */
export function isInstrumented(binary: string): boolean {
  return readFileSync(binary).includes('GCOV_PREFIX');
}

/** A .gcda file the run wrote: where it is now, and the object path the program wrote it for. */
export interface CountsFile {
  readonly file: string;
  readonly objectPath: string;
}

/** The .gcda files under GCOV_PREFIX (with GCOV_PREFIX_STRIP=0, at PREFIX/<absolute object path>.gcda). */
export function countsUnderPrefix(prefix: string): CountsFile[] {
  return findFiles(prefix, '.gcda').map((file) => ({ file, objectPath: `${sep}${relative(prefix, file)}` }));
}

/**
 * The .gcda files that processes without GCOV_PREFIX wrote at their object paths inside the run's
 * copy-on-write view, found in its kept writable layers (`layers`: each layer's mount point and
 * upper folder). A file that already existed on the host holds the host's earlier counts plus the
 * run's (libgcov adds to an existing .gcda), which cannot be told apart: those are returned in
 * `merged` by object path, not in `counts`.
 */
export function countsInLayers(layers: readonly WritableLayer[]): { counts: CountsFile[]; merged: string[] } {
  const counts: CountsFile[] = [];
  const merged: string[] = [];
  for (const layer of layers) {
    if (!existsSync(layer.upper)) continue;
    for (const file of findFiles(layer.upper, '.gcda')) {
      const objectPath = join(layer.mountPoint, relative(layer.upper, file));
      if (existsSync(objectPath)) merged.push(objectPath);
      else counts.push({ file, objectPath });
    }
  }
  return { counts, merged };
}

export interface StagedData {
  /** Folder holding each .gcda next to a copy of its .gcno, under SET/<object path>. */
  readonly staging: string;
  readonly pairs: number;
  /** Objects whose .gcda has no .gcno under the build tree (built elsewhere): left out. */
  readonly orphans: readonly string[];
}

/**
 * Pairs every .gcda of `sets` with its .gcno: the one at the same absolute path in the build
 * tree, else the one under `sourceDir` whose path shares the longest tail with it (a tree built
 * in one place and given from another, e.g. inside a container). Copies both into
 * `staging/INDEX/<object path>`, INDEX being the set's: the same object written by two processes
 * (one through GCOV_PREFIX, one in the copy-on-write view) is staged twice, and lcov adds the
 * counts of both, as libgcov would have merged them into one file. LoupeError (bad input) when a
 * .gcda has no .gcno or comes from another build.
 */
export function stageData(sets: readonly (readonly CountsFile[])[], notes: readonly string[], sourceDir: string, staging: string): StagedData {
  const byName = new Map<string, string[]>();
  for (const note of notes) byName.set(basename(note), [...(byName.get(basename(note)) ?? []), note]);
  const noteSet = new Set(notes);
  const orphans: string[] = [];
  const mismatched: string[] = [];
  let total = 0;
  sets.forEach((counts, index) => {
    for (const { file: data, objectPath } of counts) {
      total++;
      const wanted = objectPath.replace(/\.gcda$/, '.gcno');
      const note = noteSet.has(wanted) ? wanted : longestTailMatch(wanted, byName.get(basename(wanted)) ?? []);
      if (note === undefined) {
        orphans.push(objectPath);
        continue;
      }
      const [dataHeader, noteHeader] = [readHeader(data), readHeader(note)];
      if (dataHeader === undefined || noteHeader === undefined || dataHeader.stamp !== noteHeader.stamp || dataHeader.version !== noteHeader.version) {
        mismatched.push(`${objectPath} (notes: ${relative(sourceDir, note)})`);
        continue;
      }
      const target = join(staging, String(index), wanted);
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(note, target);
      copyFileSync(data, target.replace(/\.gcno$/, '.gcda'));
    }
  });
  if (mismatched.length > 0) {
    throw new LoupeError(`${mismatched.length} .gcda file${mismatched.length === 1 ? ' does' : 's do'} not match the build tree's .gcno (another build of the program): ${listSome(mismatched)}`,
      ExitCode.badInput, 'give with --source the build tree of the very binary that runs (rebuilding changes every stamp)');
  }
  if (orphans.length > 0 && orphans.length === total) {
    throw new LoupeError(`the run wrote coverage data for objects that have no .gcno under ${sourceDir}: ${listSome(orphans)}`,
      ExitCode.badInput, 'give with --source the build tree the binary was compiled in');
  }
  return { staging, pairs: total - orphans.length, orphans };
}

function longestTailMatch(path: string, candidates: readonly string[]): string | undefined {
  const tail = (a: string, b: string): number => {
    const [x, y] = [a.split(sep).reverse(), b.split(sep).reverse()];
    let n = 0;
    while (n < x.length && n < y.length && x[n] === y[n]) n++;
    return n;
  };
  let best: string | undefined;
  let bestLength = 0;
  let tie = false;
  for (const candidate of candidates) {
    const length = tail(path, candidate);
    if (length > bestLength) [best, bestLength, tie] = [candidate, length, false];
    else if (length === bestLength) tie = true;
  }
  return tie ? undefined : best;
}

function listSome(items: readonly string[]): string {
  return items.length <= 3 ? items.join(', ') : `${items.slice(0, 3).join(', ')} and ${items.length - 3} more`;
}
