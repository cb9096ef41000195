/**
 * On-disk cache of disassemblies, so that a new `loupe` process (every explore run
 * is one) does not decode libc and libcrypto again. Keyed by path, size and mtime
 * of the file and by this format's version; a damaged or foreign entry is ignored
 * and rewritten. The directory is static/ under the cache root (src/fs/cache-root.ts);
 * LOUPE_CACHE_DIR=off disables the cache.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { writeAtomically } from '../fs/write-atomically.js';
import { cacheDisabled, cacheRoot } from '../fs/cache-root.js';
import { join } from 'node:path';
import type { DisassembledRegion, Disassembly } from './disassembly.js';
import type { CodeRegion } from './elf.js';

/** Bump when Disassembly or the decoder's classification changes. */
const FORMAT = 'loupe-disassembly-2';
/** Oldest entries go beyond this (libc's entry is 7 MB, libcrypto's 20 MB, LLVM's 400 MB). */
const CACHE_LIMIT_BYTES = 2 * 1024 ** 3;

function cacheDirectory(): string | undefined {
  return cacheDisabled() ? undefined : join(cacheRoot(), 'static');
}

function entryPath(file: { path: string; size: number; mtimeMs: number }): string | undefined {
  const dir = cacheDirectory();
  if (dir === undefined) return undefined;
  const key = createHash('sha256').update(`${FORMAT}\0${file.path}\0${file.size}\0${file.mtimeMs}`).digest('hex');
  return join(dir, `${key}.bin`);
}

interface Header {
  readonly format: string;
  readonly count: number;
  readonly regions: readonly { readonly address: number; readonly firstIndex: number; readonly endIndex: number }[];
  readonly referenceWords: number;
  readonly branchWords: number;
}

/**
 * Maps as flat number lists: key, count, values... (Float64, since addresses may
 * exceed 2^32 and indices are small integers).
 */
function flatten(map: ReadonlyMap<number, readonly number[]>): Float64Array {
  let words = 0;
  for (const values of map.values()) words += 2 + values.length;
  const flat = new Float64Array(words);
  let at = 0;
  for (const [key, values] of map) {
    flat[at++] = key;
    flat[at++] = values.length;
    flat.set(values, at);
    at += values.length;
  }
  return flat;
}

function unflatten(flat: Float64Array): Map<number, number[]> {
  const map = new Map<number, number[]>();
  for (let at = 0; at < flat.length;) {
    const key = flat[at++]!;
    const count = flat[at++]!;
    map.set(key, Array.from(flat.subarray(at, at + count)));
    at += count;
  }
  return map;
}

/** Layout: u32 header length, JSON header, padding to 8, then the arrays (Float64 ones first, for alignment). */
export function serialiseDisassembly(code: Disassembly): Buffer {
  const references = flatten(code.references);
  const branches = flatten(code.branchSources);
  const header: Header = {
    format: FORMAT,
    count: code.count,
    regions: code.regions.map((r) => ({ address: r.region.address, firstIndex: r.firstIndex, endIndex: r.endIndex })),
    referenceWords: references.length,
    branchWords: branches.length,
  };
  const json = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.alloc((4 + json.length + 7) & ~7);
  prefix.writeUInt32LE(json.length, 0);
  json.copy(prefix, 4);
  const bytes = (a: Float64Array | Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  return Buffer.concat([prefix, bytes(code.address), bytes(code.target), bytes(references), bytes(branches), bytes(code.length), bytes(code.flow)]);
}

/** The inverse of serialiseDisassembly for the same code regions; undefined if the data does not fit them. */
export function deserialiseDisassembly(data: Buffer, regions: readonly CodeRegion[]): Disassembly | undefined {
  if (data.length < 4) return undefined;
  const headerLength = data.readUInt32LE(0);
  let header: Header;
  try {
    header = JSON.parse(data.toString('utf8', 4, 4 + headerLength)) as Header;
  } catch {
    return undefined;
  }
  const sorted = [...regions].sort((a, b) => a.address - b.address);
  if (header.format !== FORMAT || header.regions.length !== sorted.length) return undefined;
  if (header.regions.some((r, i) => r.address !== sorted[i]!.address)) return undefined;
  const { count } = header;
  let offset = (4 + headerLength + 7) & ~7;
  const expected = offset + 8 * (2 * count + header.referenceWords + header.branchWords) + 2 * count;
  if (data.length !== expected) return undefined;
  // Copy into a fresh, aligned buffer: typed-array views need 8-byte alignment.
  const aligned = new ArrayBuffer(data.length);
  new Uint8Array(aligned).set(data);
  const float64 = (words: number) => { const a = new Float64Array(aligned, offset, words); offset += 8 * words; return a; };
  const uint8 = (n: number) => { const a = new Uint8Array(aligned, offset, n); offset += n; return a; };
  const address = float64(count);
  const target = float64(count);
  const references = unflatten(float64(header.referenceWords));
  const branchSources = unflatten(float64(header.branchWords));
  const length = uint8(count);
  const flow = uint8(count);
  const done: DisassembledRegion[] = header.regions.map((r, i) => ({ region: sorted[i]!, firstIndex: r.firstIndex, endIndex: r.endIndex }));
  return { count, address, target, length, flow, references, branchSources, regions: done };
}

/** The cached disassembly of a file, or a fresh one from `decode` (which is then stored). Cache failures are silent. */
export function cachedDisassembly(
  file: { path: string; size: number; mtimeMs: number }, regions: readonly CodeRegion[], decode: () => Disassembly,
): Disassembly {
  const entry = entryPath(file);
  if (entry !== undefined) {
    try {
      const cached = deserialiseDisassembly(readFileSync(entry), regions);
      if (cached) return cached;
    } catch {
      // no entry yet, or unreadable: decode again
    }
  }
  const code = decode();
  if (entry !== undefined) {
    try {
      mkdirSync(join(entry, '..'), { recursive: true });
      writeAtomically(entry, serialiseDisassembly(code)); // concurrent analyses never read half an entry
      evictOldEntries(join(entry, '..'), entry);
    } catch {
      // a read-only or full disk only costs speed
    }
  }
  return code;
}

/** Deletes the least recently written entries until the directory fits CACHE_LIMIT_BYTES again. */
function evictOldEntries(dir: string, keep: string): void {
  const entries = readdirSync(dir)
    .filter((name) => name.endsWith('.bin'))
    .map((name) => { const path = join(dir, name); const stat = statSync(path); return { path, size: stat.size, mtimeMs: stat.mtimeMs }; })
    .sort((a, b) => a.mtimeMs - b.mtimeMs);
  let total = entries.reduce((sum, e) => sum + e.size, 0);
  for (const e of entries) {
    if (total <= CACHE_LIMIT_BYTES) break;
    if (e.path === keep) continue;
    unlinkSync(e.path);
    total -= e.size;
  }
}
