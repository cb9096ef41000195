/** Source analysis on small trees under test/fixtures/static, with clang from Debian. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join, relative } from 'node:path';
import { analyseSources } from '../../src/static/index.js';
import { splitCommandLine } from '../../src/static/source.js';
import { fixtures, runCli, scratch } from './static-helpers.js';

const hasClang = spawnSync('clang', ['--version']).status === 0;
const GETUID = 102;
const GETPPID = 110;
const GETTID = 186;
const PIDFD_OPEN = 434;

test('libc calls map to syscalls, constant syscall() numbers count, the rest is reported', { skip: !hasClang && 'clang missing' }, async () => {
  const report = await analyseSources(join(fixtures, 'source-tree'));
  assert.equal(report.translationUnits, 3);
  assert.deepEqual(report.libcFunctions['getppid'], [GETPPID]);
  assert.ok(report.libcFunctions['open']!.includes(257), 'open issues openat');
  assert.ok(report.libcFunctions['read']!.includes(0));
  assert.ok(report.libcFunctions['socket']!.includes(41));
  assert.ok(report.foundIn[GETPPID]!.includes('getppid()'));
  assert.deepEqual(report.foundIn[PIDFD_OPEN], ['syscall(434) in src/raw.c']);
  assert.ok(!('tree_raw_calls' in report.libcFunctions), "the tree's own functions are not libc's");
  assert.deepEqual(report.unresolved, [
    'src/raw.c:9: syscall() with a number that is not a constant',
    'src/raw.c:10: inline assembly that may issue a syscall',
  ]);
  assert.equal(report.failedUnits.length, 1);
  assert.equal(report.failedUnits[0]!.file, 'src/broken.c');
  assert.match(report.failedUnits[0]!.error, /undeclared_identifier/);
});

test('call sites: each line that can issue a syscall, with the function it calls', { skip: !hasClang && 'clang missing' }, async () => {
  const report = await analyseSources(join(fixtures, 'source-tree'));
  assert.deepEqual(report.callSites[GETPPID], [{ file: 'src/main.c', line: 12, via: 'getppid()' }]);
  assert.deepEqual(report.callSites[PIDFD_OPEN], [{ file: 'src/raw.c', line: 8, via: 'syscall(434)' }]);
  assert.ok(report.callSites[257]!.some((s) => s.file === 'src/main.c' && s.line === 7 && s.via === 'open()'), 'open() issues openat');
  const runtimeOnly = report.syscalls.filter((nr) => report.callSites[nr] === undefined);
  assert.ok(runtimeOnly.every((nr) => report.foundIn[nr]!.every((w) => w.startsWith('C runtime'))), 'only the C runtime has no call site');
});

test('onlyFiles restricts the analysis to the named files; a relative tree path works', { skip: !hasClang && 'clang missing' }, async () => {
  const tree = join(fixtures, 'source-tree');
  const report = await analyseSources(relative(process.cwd(), tree), { onlyFiles: new Set([join(tree, 'src/main.c')]) });
  assert.equal(report.translationUnits, 1);
  assert.equal(report.callSites[PIDFD_OPEN], undefined, 'raw.c is left out');
  assert.deepEqual(report.callSites[GETPPID], [{ file: 'src/main.c', line: 12, via: 'getppid()' }]);
});

test('compile_commands.json supplies the flags (macros, include paths)', { skip: !hasClang && 'clang missing' }, async () => {
  const report = await analyseSources(join(fixtures, 'cc-tree'));
  assert.ok(report.compileCommands?.endsWith('compile_commands.json'));
  assert.deepEqual(report.failedUnits, []);
  assert.ok(report.foundIn[GETTID]!.includes('syscall(186) in main.c'));
  assert.ok(!report.foundIn[GETUID]?.some((w) => w.startsWith('syscall(')), 'the #else branch is not compiled');
});

test('the CLI prints static_sources.csv, and refuses a missing directory', { skip: !hasClang && 'clang missing' }, () => {
  const csv = runCli(['static', 'source', join(fixtures, 'cc-tree'), '--csv']);
  assert.equal(csv.status, 0, csv.stderr);
  const rows = csv.stdout.trimEnd().split('\n');
  assert.equal(rows[0], '# syscall, used');
  assert.equal(rows[1 + GETTID], '186,Y');
  const missing = runCli(['static', 'source', join(scratch, 'no-such-dir')]);
  assert.equal(missing.status, 3);
  assert.match(missing.stderr, /is not a directory/);
  const empty = mkdtempSync(join(scratch, 'empty-'));
  const noSources = runCli(['static', 'source', empty]);
  assert.equal(noSources.status, 3);
  assert.match(noSources.stderr, /no C or C\+\+ source files/);
});

test('compile commands are split like a shell would', () => {
  assert.deepEqual(splitCommandLine(`cc -DNAME="a b" '-I/x y' -DQ=\\"s\\" main.c`), ['cc', '-DNAME=a b', '-I/x y', '-DQ="s"', 'main.c']);
});
