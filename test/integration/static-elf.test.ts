/** The ELF reader and the library search on binaries compiled here, and bad input end to end. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Reloc, SymbolType, parseElf } from '../../src/static/elf.js';
import { librarySearchPaths, resolveLibrary } from '../../src/static/libraries.js';
import { analyseBinary } from '../../src/static/index.js';
import { compile, fixtures, runCli, scratch } from './static-helpers.js';

test('the ELF reader sees sections, imports, PLT relocations, DT_NEEDED and the interpreter', () => {
  const elf = parseElf(readFileSync(compile('getppid.c', 'elf-getppid')));
  assert.ok(elf.sections.some((s) => s.name === '.text'));
  assert.ok(elf.codeRegions.some((r) => r.name === '.text'));
  assert.deepEqual(elf.needed, ['libc.so.6']);
  assert.equal(elf.interpreter, '/lib64/ld-linux-x86-64.so.2');
  const getppid = elf.dynamicSymbols.findIndex((s) => s.name === 'getppid');
  assert.ok(getppid > 0);
  assert.equal(elf.dynamicSymbols[getppid]!.sectionIndex, 0, 'getppid is imported');
  assert.equal(elf.dynamicSymbols[getppid]!.type, SymbolType.func);
  assert.ok(elf.relocations.some((r) => r.symbolIndex === getppid && (r.type === Reloc.jumpSlot || r.type === Reloc.globDat)));
  assert.ok(elf.symbols.some((s) => s.name === 'main'), 'gcc keeps .symtab unless stripped');
});

test('RPATH with $ORIGIN is searched before the system directories', () => {
  const lib = compile('lib-helper.c', 'libloupe_found.so', ['-shared', '-fPIC']);
  const binary = join(scratch, 'uses-found');
  execFileSync('gcc', ['-O2', join(fixtures, 'needs-lib.c'), '-o', binary, `-L${scratch}`, '-lloupe_found',
    '-Wl,--disable-new-dtags,-rpath,$ORIGIN']);
  const elf = parseElf(readFileSync(binary));
  assert.deepEqual(elf.rpath, ['$ORIGIN']);
  const requester = { path: binary, rpath: elf.rpath, runpath: elf.runpath };
  assert.equal(librarySearchPaths('libloupe_found.so', requester, [])[0], lib);
  assert.equal(resolveLibrary('libc.so.6', requester, [], () => true), '/lib/x86_64-linux-gnu/libc.so.6');
});

test('a missing library gives a partial report that names it', async () => {
  compile('lib-helper.c', 'libloupe_missing.so', ['-shared', '-fPIC']);
  const binary = join(scratch, 'uses-missing');
  execFileSync('gcc', ['-O2', join(fixtures, 'needs-lib.c'), '-o', binary, `-L${scratch}`, '-lloupe_missing']);
  rmSync(join(scratch, 'libloupe_missing.so'));
  const report = await analyseBinary(binary);
  assert.deepEqual(report.missingLibraries, ['libloupe_missing.so']);
  assert.ok(report.undefinedSymbols.includes('helper'));
  assert.ok(report.warnings.some((w) => w.includes('libloupe_missing.so')));
  assert.ok(report.syscalls.length > 0, 'libc is still analysed');
  const text = runCli(['static', 'binary', binary]);
  assert.equal(text.status, 0);
  assert.match(text.stdout, /missing libraries: libloupe_missing\.so/);
});

test('a stripped binary is analysed; functions are named by address', async () => {
  const binary = compile('inline-asm.c', 'stripped');
  execFileSync('strip', ['--strip-all', binary]);
  const report = await analyseBinary(binary, { noLibraries: true });
  assert.deepEqual(report.syscalls, [39, 435]);
  assert.match(report.sites[435]![0]!.function, /^0x[0-9a-f]+$/);
  assert.ok(report.warnings.some((w) => w.includes('stripped')));
});

test('bad input ends with a clear message and exit code 3, never a stack trace', () => {
  const script = join(scratch, 'script.sh');
  writeFileSync(script, '#!/bin/sh\necho hi\n');
  const truncated = join(scratch, 'truncated');
  writeFileSync(truncated, readFileSync('/bin/true').subarray(0, 2000));
  const cut = join(scratch, 'cut-header');
  writeFileSync(cut, readFileSync('/bin/true').subarray(0, 40));
  const i386 = join(scratch, 'i386');
  const header = Buffer.from(readFileSync('/bin/true').subarray(0, 64));
  header[4] = 1;
  writeFileSync(i386, header);
  const arm = join(scratch, 'aarch64');
  const armHeader = Buffer.from(readFileSync('/bin/true').subarray(0, 64));
  armHeader.writeUInt16LE(183, 0x12);
  writeFileSync(arm, armHeader);
  const cases: [string, RegExp][] = [
    [script, /not an ELF file/],
    [truncated, /truncated or corrupt/],
    [cut, /truncated ELF file/],
    [i386, /32-bit/],
    [arm, /unsupported architecture/],
    [join(scratch, 'does-not-exist'), /no such file/],
    [scratch, /not a regular file/],
  ];
  for (const [path, message] of cases) {
    const result = runCli(['static', 'binary', path]);
    assert.equal(result.status, 3, `${path}: ${result.stderr}`);
    assert.match(result.stderr, message);
    assert.match(result.stderr, /^loupe: error: /);
    assert.doesNotMatch(result.stderr, /internal error|\n\s+at /);
  }
});

test('a copy without section headers is still analysed from its segments', async () => {
  const binary = compile('nolibc.c', 'no-sections', ['-static', '-nostdlib']);
  const bytes = Buffer.from(readFileSync(binary));
  bytes.writeBigUInt64LE(0n, 0x28);
  bytes.writeUInt16LE(0, 0x3c);
  const copy = join(scratch, 'no-sections-copy');
  writeFileSync(copy, bytes);
  const report = await analyseBinary(copy);
  assert.deepEqual(report.syscalls, [39, 60, 435]);
  assert.ok(report.warnings.some((w) => w.includes('no section headers')));
});

test("compact RELR relocations of the installed libc are decoded (glibc 2.36+ uses them for its pointers)", (t) => {
  const elf = parseElf(readFileSync('/lib/x86_64-linux-gnu/libc.so.6'));
  const relr = elf.sections.find((s) => s.name === '.relr.dyn');
  if (!relr) return t.skip('this libc has no .relr.dyn');
  const inFile = (a: number) => elf.segments.some((s) => s.type === 1 && a >= s.address && a < s.address + s.memorySize);
  assert.ok(elf.relrTargets.length > relr.size / 8, 'bitmaps expand to more addresses than entries');
  assert.ok(elf.relrTargets.every(inFile), 'every relocated pointer points into the library');
  assert.ok(elf.relrTargets.some((a) => elf.codeRegions.some((r) => a >= r.address && a < r.address + r.bytes.length)));
});
