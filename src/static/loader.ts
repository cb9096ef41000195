/**
 * Reads ELF objects from disk (with an in-memory cache keyed by path, size and
 * mtime, so that repeated analyses share libc and friends) and collects the objects
 * the dynamic loader would map for a binary, in its breadth-first load order.
 */
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { ExitCode, LoupeError } from '../core/errors.js';
import { disassemble } from './disassembly.js';
import { cachedDisassembly } from './disk-cache.js';
import { ElfFormatError } from './elf.js';
import { resolveLibrary, type Requester } from './libraries.js';
import { loadObject, type LoadedObject } from './object.js';

const cache = new Map<string, LoadedObject>();
/**
 * About 20 bytes per instruction stay in memory; this keeps the cache under roughly
 * 400 MB (libc is 0.3 M instructions, libcrypto 1 M, LLVM's library 20 M).
 */
const CACHE_LIMIT_INSTRUCTIONS = 20_000_000;

/** Forgets every object cached in memory (benchmarks measure analyses that include reading the libraries). */
export function clearObjectCache(): void {
  cache.clear();
}

/** Loads and prepares an ELF object, reusing an earlier result when the file has not changed. */
export function loadObjectCached(path: string): LoadedObject {
  const stat = statSync(path);
  const key = `${path}\0${stat.size}\0${stat.mtimeMs}`;
  const known = cache.get(key);
  if (known) {
    // Least recently used objects are evicted first: move this one to the end.
    cache.delete(key);
    cache.set(key, known);
    return known;
  }
  const file = { path, size: stat.size, mtimeMs: stat.mtimeMs };
  const object = loadObject(path, readFileSync(path),
    (regions, isInteresting) => cachedDisassembly(file, regions, () => disassemble(regions, isInteresting)));
  cache.set(key, object);
  let cached = 0;
  for (const o of cache.values()) cached += o.code.count;
  for (const [oldKey, old] of cache) {
    if (cached <= CACHE_LIMIT_INSTRUCTIONS || old === object) break;
    cache.delete(oldKey);
    cached -= old.code.count;
  }
  return object;
}

/** Reads the binary the user named; bad input becomes a LoupeError with a hint. */
export function loadMainBinary(path: string): LoadedObject {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw new LoupeError(`cannot read ${path}: no such file`, ExitCode.badInput, 'give the path of an ELF executable, e.g. /usr/bin/ls');
  }
  if (!stat.isFile()) throw new LoupeError(`${path} is not a regular file`, ExitCode.badInput, 'give the path of an ELF executable, e.g. /usr/bin/ls');
  try {
    return loadObjectCached(path);
  } catch (err) {
    if (err instanceof ElfFormatError) {
      const hint = err.kind === 'not-elf'
        ? 'static analysis needs a compiled ELF binary; scripts are not analysed (analyse their interpreter instead)'
        : err.kind === 'unsupported'
          ? 'only linked 64-bit x86-64 ELF executables and shared libraries are supported'
          : 'the file looks damaged; check that it was copied completely';
      throw new LoupeError(`${path}: ${err.message}`, ExitCode.badInput, hint);
    }
    if (err instanceof Error && 'code' in err && (err.code === 'EACCES' || err.code === 'EISDIR')) {
      throw new LoupeError(`cannot read ${path}: ${err.message}`, ExitCode.badInput);
    }
    throw err;
  }
}

export interface LoadedProgram {
  /** The binary first, then libraries in the loader's breadth-first order. */
  readonly objects: readonly { object: LoadedObject; name: string }[];
  /** The dynamic loader named by PT_INTERP, if found: its entry point runs before the program's. */
  readonly interpreter?: LoadedObject;
  /** DT_NEEDED names that no search path provided (or only in a wrong format). */
  readonly missingLibraries: readonly string[];
  /** Libraries found but unreadable as ELF x86-64, with the reason. */
  readonly brokenLibraries: readonly { name: string; path: string; reason: string }[];
}

/** The loader skips candidates that are not 64-bit x86-64 ELF files and keeps searching. */
export function isLoadableLibrary(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(20);
    return readSync(fd, head, 0, 20, 0) === 20 && head.readUInt32BE(0) === 0x7f454c46 && head[4] === 2 && head.readUInt16LE(0x12) === 62;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The binary and every library it needs, transitively, as the loader would find them. */
export function loadProgram(main: LoadedObject): LoadedProgram {
  const objects = [{ object: main, name: basename(main.path) }];
  const missing: string[] = [];
  const broken: { name: string; path: string; reason: string }[] = [];
  const loadedPaths = new Set([main.path]);
  const loadedNames = new Set<string>();
  // Each queue entry: a needed name and the chain of objects that asked for it (for DT_RPATH inheritance).
  const queue: { name: string; chain: Requester[] }[] = [];
  const enqueueNeeded = (object: LoadedObject, parentChain: Requester[]) => {
    const requester: Requester = { path: object.path, rpath: object.elf.rpath, runpath: object.elf.runpath };
    for (const name of object.elf.needed) queue.push({ name, chain: [requester, ...parentChain] });
  };
  enqueueNeeded(main, []);
  if (main.elf.interpreter) queue.push({ name: main.elf.interpreter, chain: [{ path: main.path, rpath: [], runpath: [] }] });
  let interpreter: LoadedObject | undefined;
  while (queue.length > 0) {
    const { name, chain } = queue.shift()!;
    if (loadedNames.has(name)) continue;
    loadedNames.add(name);
    const [requester, ...above] = chain;
    const path = resolveLibrary(name, requester!, above, isLoadableLibrary);
    if (path === undefined) {
      missing.push(name);
      continue;
    }
    if (loadedPaths.has(path)) continue;
    loadedPaths.add(path);
    try {
      const object = loadObjectCached(path);
      if (object.elf.soname) loadedNames.add(object.elf.soname);
      objects.push({ object, name: basename(name) });
      if (name === main.elf.interpreter) interpreter = object;
      enqueueNeeded(object, chain);
    } catch (err) {
      if (!(err instanceof ElfFormatError)) throw err;
      broken.push({ name, path, reason: err.message });
    }
  }
  return { objects, missingLibraries: missing, brokenLibraries: broken, ...(interpreter ? { interpreter } : {}) };
}
