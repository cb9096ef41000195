/**
 * `loupe coverage` on a small C program with known call sites (test/fixtures/c/coverage-sites.c),
 * built with gcc --coverage, run in explore's sandbox; lcov from Debian reads the data.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, runLoupe, tempDir, writeScript } from '../helpers/cli.js';
import type { CoverageReport } from '../../src/coverage/measure.js';

const SOURCE = 'coverage-sites.c';

/** Copies the fixture into a fresh build tree and compiles it there (the .gcno lands beside it). */
function build(flags: readonly string[] = ['--coverage']): { dir: string; binary: string } {
  const dir = tempDir('coverage-build');
  copyFileSync(join(FIXTURES, 'c', SOURCE), join(dir, SOURCE));
  const r = spawnSync('gcc', ['-O0', '-g', ...flags, '-o', 'coverage-sites', SOURCE], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gcc failed (apt-get install gcc libc6-dev):\n${r.stderr}`);
  return { dir, binary: join(dir, 'coverage-sites') };
}

/** The line of the fixture carrying `marker` in a comment. */
function lineOf(marker: string): number {
  const index = readFileSync(join(FIXTURES, 'c', SOURCE), 'utf8').split('\n').findIndex((l) => l.includes(`/* site: ${marker}`));
  assert.ok(index >= 0, `marker ${marker}`);
  return index + 1;
}

/** Every file of a tree with its size and modification time: equal before and after means untouched. */
function snapshot(dir: string): string[] {
  return readdirSync(dir, { recursive: true }).map(String).sort().map((f) => {
    const s = statSync(join(dir, f));
    return `${f} ${s.size} ${s.mtimeMs}`;
  });
}

function siteOf(report: CoverageReport, nr: number, via: string) {
  return report.syscalls.find((s) => s.nr === nr)?.sites.find((site) => site.via === via);
}

/** lcov's own reading of the tracefile: "lines......: 32.0% (8 of 25 lines)". */
function lcovSummary(tracefile: string): Record<string, [number, number]> {
  const r = spawnSync('lcov', ['--summary', tracefile, '--rc', 'lcov_branch_coverage=1'], { encoding: 'utf8' });
  const figures: Record<string, [number, number]> = {};
  for (const m of `${r.stdout}${r.stderr}`.matchAll(/(lines|functions|branches)\.*: [\d.]+% \((\d+) of (\d+)/g)) figures[m[1]!] = [Number(m[2]), Number(m[3])];
  return figures;
}

test('a program run to completion: totals as lcov reads them, executed and unexecuted call sites, build tree untouched', async () => {
  const { dir, binary } = build();
  const before = snapshot(dir);
  const out = tempDir('coverage-out');
  const r = await runLoupe(['coverage', '-b', binary, '--source', dir, '--test-sequential', '--out', out, '--json'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as CoverageReport;
  assert.deepEqual(snapshot(dir), before, 'the run wrote nothing into the build tree');

  const lcov = lcovSummary(join(out, 'coverage.info'));
  assert.deepEqual([report.lines.covered, report.lines.total], lcov['lines']);
  assert.deepEqual([report.functions.covered, report.functions.total], lcov['functions']);
  assert.deepEqual([report.branches.covered, report.branches.total], lcov['branches']);
  // on_term, never_called, serve and main; only main runs.
  assert.deepEqual(report.functions, { covered: 1, total: 4 });

  assert.deepEqual(siteOf(report, 102, 'syscall(102)'), { file: SOURCE, line: lineOf('getuid'), via: 'syscall(102)', reached: true, instrumented: true });
  assert.deepEqual(siteOf(report, 186, 'syscall(186)'), { file: SOURCE, line: lineOf('gettid'), via: 'syscall(186)', reached: false, instrumented: true });
  assert.deepEqual(siteOf(report, 110, 'syscall(110)'), { file: SOURCE, line: lineOf('getppid'), via: 'syscall(110)', reached: false, instrumented: true });
  assert.deepEqual(siteOf(report, 121, 'syscall(121)'), { file: SOURCE, line: lineOf('getpgid'), via: 'syscall(121)', reached: false, instrumented: true });
  assert.ok(report.callSites!.unreached.includes('getppid') && report.callSites!.unreached.includes('getpgid'));
  assert.ok(!report.callSites!.unreached.includes('getuid'));
  assert.equal(report.callSites!.reachedSyscalls + report.callSites!.unreached.length, report.callSites!.syscalls);
  assert.ok(statSync(join(out, 'html', 'index.html')).isFile());
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'coverage.json'), 'utf8')), report);
});

test('a server is stopped with SIGTERM and its exit path is counted', async () => {
  const { dir, binary } = build();
  const script = writeScript(tempDir('coverage-script'), 'test.sh', 'grep -q "^listening on 8080$" "$1"');
  const r = await runLoupe(['coverage', '-b', binary, '--source', dir, '-t', script, '--json', '--', 'server', '8080'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as CoverageReport;
  assert.deepEqual(report.workload, { verdict: 'works', stopped: 'terminated' });
  assert.equal(siteOf(report, 121, 'syscall(121)')?.reached, true, 'the code after the SIGTERM ran and its counts were written');
  assert.equal(siteOf(report, 102, 'syscall(102)')?.reached, false);
});

test('a server that ignores SIGTERM is named', async () => {
  const { dir, binary } = build();
  const script = writeScript(tempDir('coverage-script'), 'test.sh', 'exit 0');
  const r = await runLoupe(['coverage', '-b', binary, '--source', dir, '-t', script, '--stop-timeout', '1', '--no-syscalls', '--', 'stubborn', '8080'], { cwd: dir });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /did not exit within 1 s of SIGTERM/);
});

test('bad input: no .gcno, a binary without coverage, data of another build, lcov missing', async () => {
  const empty = tempDir('coverage-empty');
  const { dir, binary } = build();
  const noGcno = await runLoupe(['coverage', '-b', binary, '--source', empty, '--no-syscalls'], { cwd: dir });
  assert.equal(noGcno.code, 3);
  assert.match(noGcno.stderr, /no \.gcno files under/);

  const plain = build([]);
  const uninstrumented = await runLoupe(['coverage', '-b', plain.binary, '--source', dir, '--no-syscalls'], { cwd: dir });
  assert.equal(uninstrumented.code, 3);
  assert.match(uninstrumented.stderr, /built without coverage/);

  // The binary keeps writing to the same object path, but the tree now holds another build's notes.
  const old = join(tempDir('coverage-old'), 'coverage-sites');
  copyFileSync(binary, old);
  spawnSync('gcc', ['-O0', '-g', '--coverage', '-DREBUILT', '-o', 'coverage-sites', SOURCE], { cwd: dir });
  const mismatch = await runLoupe(['coverage', '-b', old, '--source', dir, '--no-syscalls'], { cwd: dir });
  assert.equal(mismatch.code, 3);
  assert.match(mismatch.stderr, /do(es)? not match the build tree's \.gcno/);

  // A PATH with what the sandbox needs but without lcov.
  const bin = tempDir('coverage-path');
  for (const tool of ['bwrap', 'strace', 'nsenter', 'true']) {
    const found = (process.env.PATH ?? '').split(':').map((d) => join(d, tool)).find((p) => existsSync(p));
    symlinkSync(found!, join(bin, tool));
  }
  const noLcov = await runLoupe(['coverage', '-b', binary, '--source', dir, '--no-syscalls'], { cwd: dir, env: { ...process.env, PATH: bin } });
  assert.equal(noLcov.code, 4, noLcov.stderr);
  assert.match(noLcov.stderr, /lcov not found/);
});
