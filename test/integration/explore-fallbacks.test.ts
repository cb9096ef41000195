import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileC, processesMentioning, runLoupe, tempDir, writeScript } from '../helpers/cli.js';
import type { ExploreReport } from '../../src/explore/report.js';
import { parseFallbacksCsv } from '../../src/db/fallbacks-csv.js';
import { parseStraceLog } from '../../src/trace/parser.js';
import { X86_64 } from '../../src/syscalls/table.js';

const nr = (name: string): number => X86_64.number(name)!;

/**
 * Ground truth independent of the engine: the syscalls a program executes under strace with
 * `inject=SYSCALL:error=ENOSYS` that it does not execute unperturbed.
 */
function straceAdded(argv: readonly string[], stubbed: string, dir: string): number[] {
  const names = (extra: readonly string[], log: string): Set<number> => {
    const r = spawnSync('strace', ['-f', '-qq', '-o', log, ...extra, '--', ...argv], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return new Set(parseStraceLog(readFileSync(log, 'utf8'), X86_64).events.map((e) => e.nr));
  };
  const plain = names([], join(dir, 'plain.log'));
  const injected = names(['-e', `inject=${stubbed}:error=ENOSYS`], join(dir, 'injected.log'));
  return [...injected].filter((n) => !plain.has(n)).sort((a, b) => a - b);
}

async function exploreJson(args: readonly string[], cwd?: string): Promise<ExploreReport> {
  const r = await runLoupe(['explore', '--disable-static', '--json', ...args], cwd ? { cwd } : {});
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as ExploreReport;
  assert.equal(report.fallbacksUnavailable, undefined, 'fallbacks are measured on this machine (root, cgroup v2, BPF)');
  assert.ok(report.fallbacks);
  return report;
}

test('pthread_create: with clone3 stubbed, glibc falls back to clone (and strace -e inject agrees)', async () => {
  const dir = tempDir('fb-clone3');
  const prog = compileC('fallback-clone3.c', dir);
  const script = writeScript(dir, 'test.sh', `grep -q '^ok$' "$1"`);
  const report = await exploreJson(['-b', prog, '-t', script, '--test-sequential', '--out', join(dir, 'out')]);
  assert.equal(report.syscalls.find((s) => s.nr === nr('clone3'))?.stub, 'works');
  assert.deepEqual(report.fallbacks![String(nr('clone3'))]?.stub, { added: [nr('clone')], dropped: [nr('clone3')] });
  assert.deepEqual(straceAdded([prog], 'clone3', dir), [nr('clone')]);
  // The same entry in fallbacks.csv, next to dyn.csv.
  const csv = parseFallbacksCsv(readFileSync(join(dir, 'out', 'fallbacks.csv'), 'utf8'), 'fallbacks.csv');
  assert.deepEqual(csv, report.fallbacks);
  assert.deepEqual(processesMentioning(dir), []);
});

test('faccessat with AT_EACCESS: with faccessat2 stubbed, glibc falls back to faccessat', async () => {
  const dir = tempDir('fb-faccessat2');
  const prog = compileC('fallback-faccessat2.c', dir);
  const script = writeScript(dir, 'test.sh', `grep -q '^ok$' "$1"`);
  const report = await exploreJson(['-b', prog, '-t', script, '--test-sequential', '--out', join(dir, 'out')]);
  // The human summary (also in explore.log) says it in words.
  const summary = readFileSync(join(dir, 'out', 'explore.log'), 'utf8');
  assert.match(summary, /^ {2}faccessat2: stub works, falls back to faccessat$/m, summary);
  assert.deepEqual(report.fallbacks![String(nr('faccessat2'))]?.stub, { added: [nr('faccessat')], dropped: [nr('faccessat2')] });
  assert.deepEqual(straceAdded([prog], 'faccessat2', dir), [nr('faccessat')]);
});

test('cp (coreutils), perturbed alone under a shell: with copy_file_range stubbed, it copies with read and write', async () => {
  const dir = tempDir('fb-cp');
  writeFileSync(join(dir, 'src.bin'), Buffer.alloc(200_000, 7));
  // Each run copies into a folder of its own: experiments run side by side in the same cwd.
  // --writable: source and copy on the host's file system. Through a run's copy-on-write layer
  // they would be on two file systems, where copy_file_range never works (EXDEV) and cp always
  // writes.
  const report = await exploreJson(
    ['-b', '/bin/sh', '--only-consider', '/usr/bin/cp', '--test-sequential', '--writable', dir, '--', '-c', 'd=$(mktemp -d -p "$PWD") && cp src.bin "$d/dst" && cmp src.bin "$d/dst" && rm -r "$d"'],
    dir,
  );
  const cfr = String(nr('copy_file_range'));
  assert.equal(report.syscalls.find((s) => s.nr === nr('copy_file_range'))?.stub, 'works');
  assert.ok(!report.used.includes(nr('write')), 'cp writes nothing else, so write is not used unperturbed');
  assert.deepEqual(report.fallbacks![cfr]?.stub?.added, [nr('write')]);
  assert.ok(report.fallbacks![cfr]?.stub?.dropped.includes(nr('copy_file_range')));
  assert.deepEqual(straceAdded(['cp', 'src.bin', 'strace-dst.bin'], 'copy_file_range', dir), [nr('write')]);
});
