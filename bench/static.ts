/**
 * Time of `loupe static binary` per binary, libraries included, median of several
 * runs in three settings: "cold" (no cache: every library is read, decoded and
 * indexed), "disk" (the in-memory cache cleared, decoded code read from the disk
 * cache, as in a new loupe process) and "warm" (objects cached in memory, as when
 * explore analyses several programs that share libc).
 * Usage: npm run bench:static [-- BINARY...]
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { analyseBinary } from '../src/static/index.js';
import { clearObjectCache } from '../src/static/loader.js';

const RUNS = 5;
const DEFAULT_BINARIES = ['/usr/sbin/nginx', '/usr/bin/redis-server', '/usr/bin/lua5.4', '/usr/bin/sqlite3', '/bin/ls', '/bin/cat'];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

type Setting = 'cold' | 'disk' | 'warm';
const diskCache = mkdtempSync(join(tmpdir(), 'loupe-bench-cache-'));

async function timeRuns(binary: string, setting: Setting): Promise<{ seconds: number; syscalls: number; objects: number }> {
  process.env['LOUPE_CACHE_DIR'] = setting === 'cold' ? 'off' : diskCache;
  const times: number[] = [];
  let last = { syscalls: 0, objects: 0 };
  for (let i = 0; i < RUNS; i++) {
    if (setting !== 'warm') clearObjectCache();
    const start = performance.now();
    const report = await analyseBinary(binary);
    times.push((performance.now() - start) / 1000);
    last = { syscalls: report.syscalls.length, objects: report.objects.length };
  }
  return { seconds: median(times), ...last };
}

const binaries = process.argv.slice(2).length > 0 ? process.argv.slice(2) : DEFAULT_BINARIES;
// The first analysis in a process also compiles iced-x86's WebAssembly; keep that out of the figures.
await analyseBinary('/bin/true', { noLibraries: true });
console.log(`median of ${RUNS} runs, libraries included`);
console.log(['binary', 'objects', 'syscalls', 'cold s', 'disk s', 'warm s'].join('\t'));
for (const binary of binaries) {
  if (!existsSync(binary)) {
    console.log(`${binary}\tnot installed`);
    continue;
  }
  const cold = await timeRuns(binary, 'cold');
  await timeRuns(binary, 'disk'); // fills the disk cache
  const disk = await timeRuns(binary, 'disk');
  const warm = await timeRuns(binary, 'warm');
  console.log([binary, cold.objects, cold.syscalls, ...[cold, disk, warm].map((r) => r.seconds.toFixed(2))].join('\t'));
}
rmSync(diskCache, { recursive: true, force: true });
