/** Source analysis on small trees under test/fixtures/static, with clang from Debian. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
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
    'src/raw.c:8: syscall() with a number that is not a constant',
    'src/raw.c:9: inline assembly that may issue a syscall',
  ]);
  assert.equal(report.failedUnits.length, 1);
  assert.equal(report.failedUnits[0]!.file, 'src/broken.c');
  assert.match(report.failedUnits[0]!.error, /undeclared_identifier/);
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
});

test('compile commands are split like a shell would', () => {
  assert.deepEqual(splitCommandLine(`cc -DNAME="a b" '-I/x y' -DQ=\\"s\\" main.c`), ['cc', '-DNAME=a b', '-I/x y', '-DQ="s"', 'main.c']);
});
