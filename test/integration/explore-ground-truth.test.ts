import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, compileC, processesMentioning, runLoupe, tempDir, writeScript, forkingServer } from '../helpers/cli.js';
import type { ExploreReport } from '../../src/explore/report.js';
import { parseDynCsv, parseStaticCsv, classOf } from '../../src/db/csv.js';
import { X86_64 } from '../../src/syscalls/table.js';

const classOfName = (report: ExploreReport, name: string): string | undefined => report.syscalls.find((s) => s.name === name)?.class;

test('small C program: each syscall lands in its known class, and dyn.csv says the same', async () => {
  const dir = tempDir('known');
  const prog = compileC('known-verdicts.c', dir);
  const script = writeScript(dir, 'test.sh', `grep -q '^ok Linux$' "$1"`);
  const r = await runLoupe(['explore', '-b', prog, '-t', script, '--test-sequential', '--timeout', '10', '--json', '--out', join(dir, 'out')]);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as ExploreReport;
  assert.equal(classOfName(report, 'uname'), 'required');
  assert.equal(classOfName(report, 'sched_yield'), 'fakeOnly');
  assert.equal(classOfName(report, 'getpid'), 'stubOnly');
  assert.equal(classOfName(report, 'getppid'), 'both');
  assert.equal(classOfName(report, 'write'), 'required', 'the output is judged, so write is needed');
  // Every used syscall was stubbed once and faked once.
  const ids = new Set(report.experiments.map((e) => e.id));
  for (const nr of report.used) {
    const name = X86_64.name(nr)!;
    assert.ok(ids.has(`stub:${name}`) && ids.has(`fake:${name}`), `experiments for ${name}`);
  }
  const rows = parseDynCsv(readFileSync(join(dir, 'out', 'dyn.csv'), 'utf8'));
  assert.equal(rows.length, X86_64.maxNumber + 1);
  assert.equal(classOf(rows[X86_64.number('sched_yield')!]!), 'fakeOnly');
  assert.equal(classOf(rows[X86_64.number('getpid')!]!), 'stubOnly');
  // The static upper bound is written beside dyn.csv and contains every syscall seen used.
  const staticSet = new Set(parseStaticCsv(readFileSync(join(dir, 'out', 'static_binary.csv'), 'utf8')));
  assert.ok(report.static && 'syscalls' in report.static);
  assert.deepEqual(report.used.filter((nr) => !staticSet.has(nr)), [], 'static recall');
  assert.deepEqual(processesMentioning(dir), []);
});

test('--output-csv prints dyn.csv alone, byte-compatible with the database format', async () => {
  const dir = tempDir('csv');
  const prog = compileC('known-verdicts.c', dir);
  const script = writeScript(dir, 'test.sh', `grep -q '^ok Linux$' "$1"`);
  const r = await runLoupe(['explore', '-b', prog, '-t', script, '--test-sequential', '--output-csv']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.equal(lines[0], '# syscall, used, works faked, works stubbed, works both');
  assert.equal(lines.length, X86_64.maxNumber + 3, 'header, one row per number, final newline');
  assert.equal(lines[X86_64.number('sched_yield')! + 1], `${X86_64.number('sched_yield')},Y,Y,N,N`);
  assert.equal(lines[X86_64.number('getpid')! + 1], `${X86_64.number('getpid')},Y,N,Y,N`);
  assert.match(lines[436]!, /^435,[YN],[YN],[YN],[YN]$/, 'rows go past 334');
});

test('forking server on a fixed port: experiments run side by side in their own network namespaces', async () => {
  const dir = tempDir('server');
  const { prog, script } = forkingServer(dir);
  const r = await runLoupe(['explore', '-b', prog, '-t', script, '--timeout', '10', '--jobs', '4', '--json', '--', '7777']);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as ExploreReport;
  for (const name of ['socket', 'bind', 'listen', 'accept', 'clone']) {
    assert.equal(classOfName(report, name), 'required', `${name} is required by a forking server`);
  }
  assert.equal(report.timing.jobs, 4);
  assert.deepEqual(processesMentioning(dir), [], 'no server left behind');
});

test('--only-consider analyses and perturbs only the named binary, never its driver', async () => {
  const dir = tempDir('only');
  const prog = compileC('known-verdicts.c', dir);
  const script = writeScript(dir, 'test.sh', `[ "$(grep -c '^ok Linux$' "$1")" = 2 ]`);
  const r = await runLoupe(['explore', '-b', '/bin/sh', '-t', script, '--test-sequential', '--only-consider', prog, '--json', '--', '-c', `${prog} && ${prog}`]);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as ExploreReport;
  const used = new Set(report.used.map((nr) => X86_64.name(nr)));
  assert.ok(!used.has('wait4'), 'the shell waits for its children; the program does not');
  assert.equal(classOfName(report, 'uname'), 'required');
  assert.equal(classOfName(report, 'sched_yield'), 'fakeOnly');
  assert.equal(classOfName(report, 'getpid'), 'stubOnly');
  // execve is the shell's call: counted for it, so not an experiment here.
  assert.ok(!used.has('execve'));
  const shell = Object.entries(report.usedByExecutable).find(([exe]) => /\/(da|ba)?sh$/.test(exe));
  assert.ok(shell, `the driver's own usage is reported apart: ${Object.keys(report.usedByExecutable).join(', ')}`);
  assert.ok(shell[1].includes(X86_64.number('wait4')!));
});

test('--only-consider follows a Make driver that changes folder and runs the program by a relative path', async () => {
  // As a package's `make check`: make -C enters a subfolder (chdir), a recipe's shell cds again, and
  // both run ./PROGRAM; the program is attributed only if each process's working folder is followed.
  const dir = tempDir('only-cd');
  mkdirSync(join(dir, 'tests', 'bin'), { recursive: true });
  compileC('known-verdicts.c', join(dir, 'tests', 'bin'));
  // A second program run the same way: the analysed one is found through the bound launcher
  // whatever its path, but the usage of every other executable is reported under its own path.
  const helper = join(dir, 'tests', 'bin', 'helper');
  copyFileSync('/usr/bin/true', helper);
  writeFileSync(join(dir, 'Makefile'), 'check:\n\t$(MAKE) -s -C tests check\n');
  writeFileSync(join(dir, 'tests', 'Makefile'), 'check:\n\tcd bin && ./known-verdicts && ./helper\n\t./bin/known-verdicts\n');
  const script = writeScript(dir, 'test.sh', `[ "$(grep -c '^ok Linux$' "$1")" = 2 ]`);
  const r = await runLoupe(['explore', '-b', '/usr/bin/make', '-t', script, '--test-sequential', '--only-consider', 'tests/bin/known-verdicts', '--json', '--', '-s', 'check'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as ExploreReport;
  assert.equal(classOfName(report, 'uname'), 'required');
  assert.equal(classOfName(report, 'sched_yield'), 'fakeOnly');
  assert.equal(classOfName(report, 'getpid'), 'stubOnly');
  assert.equal(classOfName(report, 'getppid'), 'both');
  const used = new Set(report.used.map((nr) => X86_64.name(nr)));
  for (const driverCall of ['chdir', 'wait4', 'execve']) assert.ok(!used.has(driverCall), `${driverCall} is the drivers', not the program's`);
  assert.ok(report.usedByExecutable[helper]?.includes(X86_64.number('exit_group')!), `the helper under its path: ${Object.keys(report.usedByExecutable).join(', ')}`);
  assert.deepEqual(processesMentioning(dir), []);
});

test('--only-consider under the make that built the binary: the bound launcher keeps the binary\'s times, so make relinks nothing', async () => {
  // `make check` compares the analysed binary's time with its source's. Here both are newer than
  // loupe's launcher (as a freshly built package's binary can be): a launcher bound with its own
  // time would look out of date, make would relink it onto the read-only mount, and every run
  // would fail. Times in the future stand in for "newer than the launcher".
  const dir = tempDir('only-make');
  const prog = compileC('known-verdicts.c', dir);
  copyFileSync(join(FIXTURES, 'c', 'known-verdicts.c'), join(dir, 'known-verdicts.c'));
  const hour = 3600;
  const now = Math.floor(Date.now() / 1000);
  utimesSync(join(dir, 'known-verdicts.c'), now + hour, now + hour);
  utimesSync(prog, now + 2 * hour, now + 2 * hour);
  writeFileSync(join(dir, 'Makefile'), 'check: known-verdicts\n\t./known-verdicts\nknown-verdicts: known-verdicts.c\n\tgcc -O1 -o $@ $<\n');
  const script = writeScript(dir, 'test.sh', `grep -q '^ok Linux$' "$1"`);
  const r = await runLoupe(['explore', '-b', '/usr/bin/make', '-t', script, '--test-sequential', '--only-consider', prog, '--json', '--', '-s', 'check'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as ExploreReport;
  assert.equal(classOfName(report, 'uname'), 'required');
  assert.equal(classOfName(report, 'getpid'), 'stubOnly');
  assert.equal(statSync(prog).mtimeMs, (now + 2 * hour) * 1000, 'the binary itself was never touched');
});
