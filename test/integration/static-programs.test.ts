/**
 * Small C programs compiled here, with the syscalls they contain known exactly:
 * the binary analysis must find those numbers where they are, through inline
 * assembly, libc wrappers and syscall() wrappers, dynamic and static.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyseBinary } from '../../src/static/index.js';
import { formatStaticCsv } from '../../src/db/csv.js';
import { X86_64 } from '../../src/syscalls/table.js';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { clearObjectCache } from '../../src/static/loader.js';
import { compile, diskCache, runCli } from './static-helpers.js';

const GETPID = 39;
const EXIT = 60;
const GETPPID = 110;
const GETTID = 186;
const PIDFD_OPEN = 434;
const CLONE3 = 435;

test('a libc call is found in the libc function that issues it', async () => {
  const binary = compile('getppid.c', 'getppid');
  const report = await analyseBinary(binary);
  assert.ok(report.syscalls.includes(GETPPID));
  assert.ok(report.sites[GETPPID]!.some((s) => s.object === 'libc.so.6' && s.function === 'getppid'));
  assert.deepEqual(report.objects.map((o) => o.name), ['getppid', 'libc.so.6', 'ld-linux-x86-64.so.2']);
  assert.deepEqual(report.missingLibraries, []);
  // The program's own code has no syscall instruction.
  const own = await analyseBinary(binary, { noLibraries: true });
  assert.deepEqual(own.syscalls, []);
  assert.equal(own.unresolvedSites, 0);
});

test('inline syscall instructions in a dynamic binary: exactly getpid and clone3 in its own code', async () => {
  const binary = compile('inline-asm.c', 'inline-asm');
  const own = await analyseBinary(binary, { noLibraries: true });
  assert.deepEqual(own.syscalls, [GETPID, CLONE3]);
  assert.equal(own.unresolvedSites, 0);
  assert.ok(own.sites[CLONE3]!.every((s) => s.function === 'main'));
  const all = await analyseBinary(binary);
  assert.ok(all.syscalls.includes(CLONE3) && all.syscalls.includes(GETPID));
});

test('a static binary without libc: exactly getpid, exit and clone3', async () => {
  const binary = compile('nolibc.c', 'nolibc', ['-static', '-nostdlib']);
  const report = await analyseBinary(binary);
  assert.deepEqual(report.syscalls, [GETPID, EXIT, CLONE3]);
  assert.equal(report.unresolvedSites, 0);
  assert.deepEqual(report.objects.map((o) => o.name), ['nolibc']);
});

for (const linkage of ['dynamic', 'static'] as const) {
  test(`syscall() numbers are resolved at the call sites (${linkage})`, async () => {
    const binary = compile('wrappers.c', `wrappers-${linkage}`, linkage === 'static' ? ['-static'] : []);
    const report = await analyseBinary(binary);
    const name = binary.split('/').pop()!;
    for (const nr of [GETTID, PIDFD_OPEN]) {
      assert.ok(report.syscalls.includes(nr), `${nr} missing`);
      assert.ok(report.sites[nr]!.some((s) => s.object === name && s.wrapper?.startsWith('syscall ')), `${nr} not attributed to the call site`);
    }
    // Nothing in the program or libc passes clone3 to syscall().
    assert.ok(!report.sites[CLONE3]?.some((s) => s.object === name));
  });
}

test('without the libraries, numbers passed to the imported syscall() are still found at its call sites', async () => {
  const binary = compile('wrappers.c', 'wrappers-no-libs');
  const own = await analyseBinary(binary, { noLibraries: true });
  assert.deepEqual(own.syscalls, [GETTID, PIDFD_OPEN]);
  assert.equal(own.unresolvedSites, 0);
  assert.ok(own.sites[GETTID]!.every((s) => s.function === 'main' && s.wrapper === 'syscall (imported)'));
  assert.ok(own.sites[PIDFD_OPEN]!.every((s) => s.wrapper === 'syscall (imported)'), 'through our own wrapper too');
});

test('a syscall only in a C++ catch block is found through the exception tables', async () => {
  const binary = compile('catch.cc', 'catch');
  const own = await analyseBinary(binary, { noLibraries: true });
  assert.deepEqual(own.syscalls, [PIDFD_OPEN]);
  assert.ok((await analyseBinary(binary)).objects.some((o) => o.name === 'libstdc++.so.6'));
});

test('the CSV has one row per syscall number up to the highest', async () => {
  const binary = compile('nolibc.c', 'nolibc-csv', ['-static', '-nostdlib']);
  const csv = formatStaticCsv((await analyseBinary(binary)).syscalls, X86_64.maxNumber).trimEnd().split('\n');
  assert.equal(csv[0], '# syscall, used');
  assert.equal(csv.length, X86_64.maxNumber + 2);
  assert.equal(csv[1 + CLONE3], '435,Y');
  assert.equal(csv[1 + GETPPID], '110,N');
});

test('--json has the numbers, the unresolved count and where each number was found', () => {
  const binary = compile('inline-asm.c', 'inline-asm-json');
  const result = runCli(['static', 'binary', binary, '--json', '--no-libs']);
  assert.equal(result.status, 0, result.stderr);
  const report = JSON.parse(result.stdout) as { syscalls: number[]; unresolvedSites: number; sites: Record<string, { function: string; object: string }[]> };
  assert.deepEqual(report.syscalls, [GETPID, CLONE3]);
  assert.equal(report.unresolvedSites, 0);
  assert.deepEqual(report.sites[String(CLONE3)]!.map((s) => [s.object, s.function]), [['inline-asm-json', 'main']]);
  const text = runCli(['static', 'binary', binary, '--no-libs']);
  assert.match(text.stdout, /2 syscalls may be issued/);
  assert.match(text.stdout, /435 clone3/);
});

test('an analysis from the disk cache gives the same report as a fresh one', async () => {
  const binary = compile('wrappers.c', 'wrappers-cached');
  clearObjectCache();
  const first = await analyseBinary(binary);
  assert.ok(existsSync(diskCache) && readdirSync(join(diskCache, 'static')).length > 0, 'entries were written');
  clearObjectCache();
  const second = await analyseBinary(binary);
  assert.deepEqual(second, first);
});
