/**
 * Time of `loupe static binary` per binary, libraries included: the median of
 * several runs with the object cache cleared before each ("cold": every library is
 * read, decoded and indexed again), and of runs that reuse the cache ("warm", as
 * when explore analyses several programs that share libc).
 * Usage: npm run bench:static [-- BINARY...]
 */
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { analyseBinary } from '../src/static/index.js';
import { clearObjectCache } from '../src/static/loader.js';

const RUNS = 5;
const DEFAULT_BINARIES = ['/usr/sbin/nginx', '/usr/bin/redis-server', '/usr/bin/lua5.4', '/usr/bin/sqlite3', '/bin/ls', '/bin/cat'];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function timeRuns(binary: string, cold: boolean): Promise<{ seconds: number; syscalls: number; objects: number }> {
  const times: number[] = [];
  let last = { syscalls: 0, objects: 0 };
  for (let i = 0; i < RUNS; i++) {
    if (cold) clearObjectCache();
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
console.log(['binary', 'objects', 'syscalls', 'cold s', 'warm s'].join('\t'));
for (const binary of binaries) {
  if (!existsSync(binary)) {
    console.log(`${binary}\tnot installed`);
    continue;
  }
  const cold = await timeRuns(binary, true);
  const warm = await timeRuns(binary, false);
  console.log([binary, cold.objects, cold.syscalls, cold.seconds.toFixed(2), warm.seconds.toFixed(2)].join('\t'));
}
