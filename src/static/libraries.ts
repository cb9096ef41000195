/**
 * Where the dynamic loader would find a DT_NEEDED library, following glibc's rules
 * without running anything: DT_RPATH (only when the object has no DT_RUNPATH),
 * DT_RUNPATH, /etc/ld.so.cache, then the default directories. LD_LIBRARY_PATH is
 * ignored on purpose: the analysis describes the installed program, not one shell.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** glibc's trusted directories for x86-64 Debian, in the loader's order. */
export const DEFAULT_LIBRARY_DIRS = [
  '/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib64', '/usr/lib64', '/lib', '/usr/lib',
] as const;

const CACHE_MAGIC = 'glibc-ld.so.cache1.1';
const OLD_CACHE_MAGIC = 'ld.so-1.7.0';
/** FLAG_ELF_LIBC6 | FLAG_X8664_LIB64: entries for 64-bit x86 libraries. */
const X86_64_LIBC6 = 0x0303;

/**
 * Parses /etc/ld.so.cache (the "new" format that glibc has written since 2.32,
 * optionally preceded by the old format) into soname -> path, first entry winning
 * as in the loader. Unknown or damaged files yield an empty map: the default
 * directories still apply.
 */
export function parseLdSoCache(buf: Buffer): Map<string, string> {
  const entries = new Map<string, string>();
  let start = 0;
  if (buf.toString('latin1', 0, OLD_CACHE_MAGIC.length) === OLD_CACHE_MAGIC) {
    if (buf.length < 16) return entries;
    const oldCount = buf.readUInt32LE(12);
    start = 16 + oldCount * 12;
    start = (start + 7) & ~7;
  }
  if (buf.length < start + 48 || buf.toString('latin1', start, start + CACHE_MAGIC.length) !== CACHE_MAGIC) return entries;
  const count = buf.readUInt32LE(start + 20);
  // In a new-format-only file string offsets count from the file start; after an old
  // header they count from the new header (which then starts at `start`).
  const stringBase = start;
  const stringAt = (offset: number) => {
    const at = stringBase + offset;
    if (at >= buf.length) return undefined;
    const end = buf.indexOf(0, at);
    return buf.toString('utf8', at, end < 0 ? buf.length : end);
  };
  for (let i = 0; i < count; i++) {
    const o = start + 48 + i * 24;
    if (o + 24 > buf.length) break;
    if ((buf.readInt32LE(o) & 0xffff) !== X86_64_LIBC6) continue;
    const name = stringAt(buf.readUInt32LE(o + 4));
    const path = stringAt(buf.readUInt32LE(o + 8));
    if (name !== undefined && path !== undefined && !entries.has(name)) entries.set(name, path);
  }
  return entries;
}

let systemCache: Map<string, string> | undefined;

function ldSoCache(): Map<string, string> {
  if (!systemCache) {
    try {
      systemCache = parseLdSoCache(readFileSync('/etc/ld.so.cache'));
    } catch {
      systemCache = new Map();
    }
  }
  return systemCache;
}

export interface Requester {
  readonly path: string;
  readonly rpath: readonly string[];
  readonly runpath: readonly string[];
}

/** Expands $ORIGIN (and ${ORIGIN}) to the directory of the object that names the path. */
function expandOrigin(dir: string, requesterPath: string): string {
  return dir.replace(/\$(ORIGIN|\{ORIGIN\})/g, dirname(requesterPath));
}

/**
 * Candidate paths for `name` in the loader's order. `rpathChain` holds the DT_RPATH
 * lists of the requester and of the objects that loaded it (glibc searches all of
 * them, unless the requester has a DT_RUNPATH).
 */
export function librarySearchPaths(name: string, requester: Requester, rpathChain: readonly Requester[]): string[] {
  if (name.includes('/')) return [expandOrigin(name, requester.path)];
  const dirs: string[] = [];
  if (requester.runpath.length === 0) {
    for (const object of [requester, ...rpathChain]) dirs.push(...object.rpath.map((d) => expandOrigin(d, object.path)));
  }
  dirs.push(...requester.runpath.map((d) => expandOrigin(d, requester.path)));
  const candidates = dirs.map((d) => join(d, name));
  const cached = ldSoCache().get(name);
  if (cached) candidates.push(cached);
  candidates.push(...DEFAULT_LIBRARY_DIRS.map((d) => join(d, name)));
  return candidates;
}

/**
 * The first candidate that exists and that `accept` takes (the loader skips files of
 * another architecture and keeps searching), or undefined.
 */
export function resolveLibrary(
  name: string, requester: Requester, rpathChain: readonly Requester[], accept: (path: string) => boolean,
): string | undefined {
  return librarySearchPaths(name, requester, rpathChain).find((p) => existsSync(p) && accept(p));
}
