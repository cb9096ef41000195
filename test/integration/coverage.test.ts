/**
 * `loupe coverage` on a small C program with known call sites (test/fixtures/c/coverage-sites.c),
 * built with gcc --coverage, run in explore's sandbox; lcov from Debian reads the data.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, existsSync, readFileSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, runLoupe, tempDir, writeScript } from '../helpers/cli.js';
import type { CoverageReport } from '../../src/coverage/measure.js';
import { parseTracefile, totalsOf, type FileCoverage } from '../../src/coverage/tracefile.js';

const SOURCE = 'coverage-sites.c';
/** The forking server whose worker clears its environment. */
const CLEARED = 'coverage-cleared.c';

/**
 * The servers' test script: works once the log says the server listens. The socket is up (what
 * the engine waits for) a moment before the line is written; until then it asks again (exit
 * 200), or on a loaded machine it judged a working server broken.
 */
const listeningScript = (): string => writeScript(tempDir('coverage-script'), 'test.sh', 'grep -q "^listening on 8080$" "$1" || exit 200');

/** Copies a fixture into a fresh build tree and compiles it there (the .gcno lands beside it). */
function build(flags: readonly string[] = ['--coverage'], source = SOURCE): { dir: string; binary: string } {
  const dir = tempDir('coverage-build');
  const name = source.replace(/\.c$/, '');
  copyFileSync(join(FIXTURES, 'c', source), join(dir, source));
  const r = spawnSync('gcc', ['-O0', '-g', ...flags, '-o', name, source], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gcc failed (apt-get install gcc libc6-dev):\n${r.stderr}`);
  return { dir, binary: join(dir, name) };
}

/** The line of a fixture carrying `marker` in a comment. */
function lineOf(marker: string, source = SOURCE): number {
  const index = readFileSync(join(FIXTURES, 'c', source), 'utf8').split('\n').findIndex((l) => l.includes(`/* site: ${marker}`));
  assert.ok(index >= 0, `marker ${marker}`);
  return index + 1;
}

/** The one source file's record of a tracefile. */
function onlyFile(tracefile: string): FileCoverage {
  const files = [...parseTracefile(readFileSync(tracefile, 'utf8')).values()];
  assert.equal(files.length, 1, files.map((f) => f.file).join(', '));
  return files[0]!;
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
  const script = listeningScript();
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

/**
 * Ground truth for the forking server: the same source built in another tree and run on the host
 * without any sandbox or GCOV_PREFIX, stopped with SIGTERM; libgcov merges master's and worker's
 * counts into the one .gcda at the object path, and lcov reads it.
 */
async function clearedOnTheHost(): Promise<FileCoverage> {
  const { dir, binary } = build(['--coverage'], CLEARED);
  const port = String(20000 + (process.pid % 20000));
  const env = { ...process.env };
  delete env.GCOV_PREFIX;
  const server = spawn(binary, [port], { cwd: dir, env, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  server.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  while (!out.includes('listening')) {
    if (server.exitCode !== null) throw new Error(`the ground-truth server exited with ${server.exitCode} (port ${port} taken?)`);
    await new Promise((r) => setTimeout(r, 20));
  }
  server.kill('SIGTERM');
  const [code] = await once(server, 'exit');
  assert.equal(code, 0);
  const tracefile = join(dir, 'host.info');
  const r = spawnSync('lcov', ['--quiet', '--capture', '--directory', dir, '--rc', 'lcov_branch_coverage=1', '--output-file', tracefile], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return onlyFile(tracefile);
}

test('a server whose worker clears its environment: the worker\'s counts come from the run\'s copy-on-write layer, added to the master\'s as libgcov adds them', async () => {
  const { dir, binary } = build(['--coverage'], CLEARED);
  const before = snapshot(dir);
  const script = listeningScript();
  const out = tempDir('coverage-out');
  const r = await runLoupe(['coverage', '-b', binary, '--source', dir, '-t', script, '--out', out, '--json', '--', '8080'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as CoverageReport;
  assert.deepEqual(report.workload, { verdict: 'works', stopped: 'terminated' });
  assert.deepEqual(report.warnings, []);
  assert.deepEqual(snapshot(dir), before, 'the worker wrote at the object path, in the run\'s view only');

  const ours = onlyFile(join(out, 'coverage.info'));
  assert.equal(ours.lines.get(lineOf('worker', CLEARED)), 1, 'the worker\'s own line: counted from the layer');
  assert.equal(ours.lines.get(lineOf('master', CLEARED)), 1, 'the master\'s own line: counted through GCOV_PREFIX');
  assert.equal(ours.lines.get(lineOf('both', CLEARED)), 2, 'a line both ran: the two counts added');
  assert.equal(ours.functions.get('worker')?.hits, 1);
  assert.equal(report.syscalls.find((s) => s.nr === 186)?.sites.find((s) => s.via === 'syscall(186)')?.reached, true, 'the worker\'s gettid site');

  const host = await clearedOnTheHost();
  assert.deepEqual([...ours.lines].sort(), [...host.lines].sort(), 'every line\'s count equals the host run\'s, merged by libgcov');
  assert.deepEqual([...ours.branches].sort(), [...host.branches].sort());
  assert.deepEqual(totalsOf([ours]), totalsOf([host]));
});

test('a .gcda already in the build tree: the counts merged into it are left out, with a named warning', async () => {
  const { dir, binary } = build(['--coverage'], CLEARED);
  // Run once on the host (usage, exit 2): the object's .gcda now exists in the build tree.
  assert.equal(spawnSync(binary, [], { cwd: dir, env: {} }).status, 2);
  const before = snapshot(dir);
  const script = listeningScript();
  const r = await runLoupe(['coverage', '-b', binary, '--source', dir, '-t', script, '--no-syscalls', '--json', '--', '8080'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as CoverageReport;
  assert.equal(report.warnings.length, 1, report.warnings.join('\n'));
  assert.match(report.warnings[0]!, /^1 \.gcda file\(s\) already in the build tree took the counts of processes that cleared GCOV_PREFIX \(.*coverage-cleared\.gcda\): .*left out; delete the build tree's \.gcda files/);
  assert.deepEqual(snapshot(dir), before, 'the host\'s .gcda is unchanged');
  // Only the master's counts: its own line, not the worker's.
  assert.equal(report.functions.covered, 4, 'every function but worker()');
});

test('bad input: a run that wrote no coverage data, data for objects with no .gcno under --source', async () => {
  const { dir, binary } = build();
  // The instrumented program is the one analysed, but the workload never starts it.
  const noData = await runLoupe(['coverage', '-b', 'true', '--only-consider', binary, '--source', dir, '--test-sequential', '--no-syscalls'], { cwd: dir });
  assert.equal(noData.code, 1, noData.stderr);
  assert.match(noData.stderr, /the run wrote no coverage data \(application: works\)/);

  // The data of coverage-sites, the notes of another program only.
  const other = build(['--coverage'], CLEARED);
  const orphans = await runLoupe(['coverage', '-b', binary, '--source', other.dir, '--test-sequential', '--no-syscalls'], { cwd: dir });
  assert.equal(orphans.code, 3, orphans.stderr);
  assert.match(orphans.stderr, new RegExp(`the run wrote coverage data for objects that have no \\.gcno under ${other.dir}: ${dir}/coverage-sites\\.gcda`));
});

test('--only-consider with --instrumented: a shell runs the analysed program, the instrumented copy runs in its place', async () => {
  const { dir, binary: instrumented } = build();
  const plain = join(dir, 'sites-plain');
  const gcc = spawnSync('gcc', ['-O0', '-g', '-o', plain, SOURCE], { cwd: dir, encoding: 'utf8' });
  assert.equal(gcc.status, 0, gcc.stderr);
  const before = snapshot(dir);
  const out = tempDir('coverage-out');
  const r = await runLoupe(['coverage', '-b', 'sh', '--only-consider', plain, '--instrumented', instrumented, '--source', dir,
    '--test-sequential', '--out', out, '--json', '--', '-c', `${plain} && ${plain}`], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as CoverageReport;
  assert.equal(report.binary, instrumented);
  assert.deepEqual(report.functions, { covered: 1, total: 4 });
  assert.equal(siteOf(report, 102, 'syscall(102)')?.reached, true, 'the copy ran under the analysed program\'s path');
  assert.equal(onlyFile(join(out, 'coverage.info')).lines.get(lineOf('getuid')), 2, 'the shell ran it twice: both runs counted');
  assert.deepEqual(snapshot(dir), before);
});
