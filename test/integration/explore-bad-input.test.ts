import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { CLI, compileC, processesMentioning, runLoupe, tempDir, writeScript } from '../helpers/cli.js';
import { ExitCode, LoupeError } from '../../src/core/errors.js';
import { LAUNCHER_PATH } from '../../src/core/version.js';
import type { Experiment } from '../../src/explore/experiment.js';
import { runExperiment } from '../../src/explore/run-experiment.js';
import { ProcessGroups } from '../../src/sandbox/process.js';
import { X86_64 } from '../../src/syscalls/table.js';

test('a missing binary is named, with exit code 3', async () => {
  const r = await runLoupe(['explore', '-b', '/nonexistent/app']);
  assert.equal(r.code, 3);
  assert.match(r.stderr, /binary not found: \/nonexistent\/app/);
  const onPath = await runLoupe(['explore', '-b', 'no-such-program-anywhere']);
  assert.equal(onPath.code, 3);
  assert.match(onPath.stderr, /not found on PATH/);
  // A file of the current folder named without ./ is not looked up there, but the hint says how.
  const dir = tempDir('here');
  copyFileSync('/bin/true', join(dir, 'app-here'));
  const here = await runLoupe(['explore', '-b', 'app-here'], { cwd: dir });
  assert.equal(here.code, 3);
  assert.match(here.stderr, /not found on PATH\nloupe: hint: app-here is in this folder: give it as -b \.\/app-here/);
});

test('a binary that is not executable is refused with the fix', async () => {
  const dir = tempDir('noexec');
  const file = join(dir, 'app');
  copyFileSync('/bin/true', file);
  chmodSync(file, 0o644);
  const r = await runLoupe(['explore', '-b', file]);
  assert.equal(r.code, 3);
  assert.match(r.stderr, /binary is not executable/);
  assert.match(r.stderr, /chmod \+x/);
  assert.match(r.stderr, /for a script, analyse its interpreter: -b INTERPRETER -- /);
});

test('--out naming a file, or a folder under a file, is refused before any run', async () => {
  const dir = tempDir('out-file');
  const file = join(dir, 'taken');
  writeFileSync(file, 'mine\n');
  const onFile = await runLoupe(['explore', '-b', 'true', '--test-sequential', '--out', file]);
  assert.equal(onFile.code, 3, onFile.stderr);
  assert.match(onFile.stderr, /^loupe: error: --out .*taken is a file, not a folder\n/);
  const under = await runLoupe(['explore', '-b', 'true', '--test-sequential', '--out', join(file, 'sub')]);
  assert.equal(under.code, 3, under.stderr);
  assert.match(under.stderr, /^loupe: error: --out .*taken\/sub: cannot create the folder \(ENOTDIR/);
  assert.equal(readFileSync(file, 'utf8'), 'mine\n');
});

test('a test script that is missing or not executable is refused before any run', async () => {
  const dir = tempDir('script');
  const missing = await runLoupe(['explore', '-b', '/bin/true', '-t', join(dir, 'absent.sh')]);
  assert.equal(missing.code, 3);
  assert.match(missing.stderr, /test script not found/);
  const script = writeScript(dir, 'test.sh', 'exit 0');
  chmodSync(script, 0o644);
  const notExec = await runLoupe(['explore', '-b', '/bin/true', '-t', script]);
  assert.equal(notExec.code, 3);
  assert.match(notExec.stderr, /test script is not executable/);
});

test('a baseline run that fails stops everything and shows the logs', async () => {
  const dir = tempDir('baseline');
  const script = writeScript(dir, 'test.sh', 'echo "the script looked for MAGIC-WORD"; exit 1');
  const r = await runLoupe(['explore', '-b', '/bin/echo', '-t', script, '--test-sequential', '--', 'application-said-this']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /baseline run already fails/);
  assert.match(r.stderr, /application-said-this/, 'tail of the application log');
  assert.match(r.stderr, /MAGIC-WORD/, 'tail of the test script log');
  assert.doesNotMatch(r.stderr, /stub|fake/, 'no experiment ran');
  // Its logs stay for the user to read, who is told the folder may go afterwards (runLoupe removes it when the test ends).
  const kept = /logs of this analysis are kept in (\/\S+loupe-explore-\S+) \(delete it when done\)/.exec(r.stderr);
  assert.ok(kept, r.stderr);
  assert.ok(existsSync(kept[1]!));
});

test('a hanging test script is stopped at the time-out and leaves no process', async () => {
  const dir = tempDir('hang');
  const script = writeScript(dir, 'test.sh', `sleep 300 # ${dir}`);
  const r = await runLoupe(['explore', '-b', '/bin/sleep', '-t', script, '--timeout', '1', '--', '300']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /test script still running/);
  assert.deepEqual(processesMentioning(dir), []);
});

test('a missing tool is named with the package to install', async () => {
  const dir = tempDir('tools');
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  for (const tool of ['bwrap', 'true']) symlinkSync(`/usr/bin/${tool}`, join(bin, tool));
  const r = await runLoupe(['explore', '-b', '/usr/bin/true'], { env: { ...process.env, PATH: bin } });
  assert.equal(r.code, 4);
  assert.match(r.stderr, /missing tool: strace/);
  assert.match(r.stderr, /apt-get install strace/);
});

test('without the privileges for namespaces, the message says so (exit 4)', async () => {
  const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI, 'explore', '-b', '/bin/true'], { cwd: '/tmp', stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stderr }));
  });
  assert.equal(r.code, 4);
  assert.match(r.stderr, /namespaces/);
  assert.match(r.stderr, /root/);
});

test('Ctrl-C stops every experiment, cleans up and exits 130', async () => {
  const dir = tempDir('sigint');
  const prog = compileC('forking-server.c', dir);
  const script = writeScript(dir, 'test.sh', 'exec 3<>/dev/tcp/127.0.0.1/7778 || exit 200; sleep 2; exit 0', '/bin/bash');
  const child = spawn(process.execPath, [CLI, 'explore', '-b', prog, '-t', script, '--jobs', '2', '--', '7778'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  await new Promise((resolve) => setTimeout(resolve, 4000));
  assert.ok(processesMentioning(dir).length > 0, 'experiments were running');
  child.kill('SIGINT');
  assert.equal(await exited, 130, stderr);
  assert.match(stderr, /interrupted/);
  assert.deepEqual(processesMentioning(dir), []);
});

test('--output-csv and --json together are refused before any run: both would print on stdout', async () => {
  const dir = tempDir('csv-and-json');
  const r = await runLoupe(['explore', '-b', 'true', '--output-csv', '--json', '--out', join(dir, 'out')]);
  assert.equal(r.code, ExitCode.usage);
  assert.match(r.stderr, /'--output-csv' cannot be used with option '--json'/);
  assert.equal(r.stdout, '');
  assert.equal(existsSync(join(dir, 'out')), false);
});

test('a perf option without --perf-analysis is refused before any run (it would be dropped without a word), in explore and generate', async () => {
  const dir = tempDir('perf-option-alone');
  const explore = await runLoupe(['explore', '-b', 'true', '--perf-runs', '3', '--out', join(dir, 'out')]);
  assert.equal(explore.code, ExitCode.usage);
  assert.match(explore.stderr, /--perf-runs needs --perf-analysis/);
  assert.equal(existsSync(join(dir, 'out')), false);
  const generate = await runLoupe(['generate', '-db', join(dir, 'db'), '--init', '-a', 'true', '-s', '--cpus', '0', '--', 'true']);
  assert.equal(generate.code, ExitCode.usage);
  assert.match(generate.stderr, /--cpus needs --perf-analysis/);
  assert.equal(existsSync(join(dir, 'db')), false);
  // With it, the option is taken (the run then fails on this script-less workload, not on the option).
  const given = await runLoupe(['explore', '-b', 'true', '--perf-analysis', '--perf-runs', '3']);
  assert.doesNotMatch(given.stderr, /needs --perf-analysis/);
});

test('--help documents the original options', async () => {
  const r = await runLoupe(['explore', '--help']);
  assert.equal(r.code, 0);
  for (const option of ['--test-script', '--timeout', '--test-sequential', '--only-consider', '--output-csv', '--final-check', '--partial-support', '--jobs', '--json', '--out']) {
    assert.ok(r.stdout.includes(option), option);
  }
  const unknown = await runLoupe(['explore', '--no-such-option']);
  assert.equal(unknown.code, 2);
  // A usage error reads like every other error, and points to the help of the command typed.
  const unknownWithBinary = await runLoupe(['explore', '-b', 'true', '--no-such-option']);
  assert.equal(unknownWithBinary.code, 2);
  assert.match(unknownWithBinary.stderr, /^loupe: error: unknown option '--no-such-option'\nloupe: hint: see `loupe explore --help`\n$/);
  const nested = await runLoupe(['static', 'binary']);
  assert.equal(nested.code, 2);
  assert.match(nested.stderr, /^loupe: error: missing required argument 'path'\nloupe: hint: see `loupe static binary --help`\n$/);
  // No command at all is a usage error too (the help goes to stderr); asking for help is not.
  const none = await runLoupe([]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /^Usage: loupe /);
  assert.equal((await runLoupe(['help'])).code, 0);
});

test('a run whose sandbox never starts is no verdict: the experiment stops with a named error', async () => {
  const dir = tempDir('no-start');
  const groups = new ProcessGroups();
  const exp: Experiment = {
    id: 'stub:getpid', description: 'stub getpid',
    workload: { program: '/bin/true', args: [], cwd: dir, sequential: true, timeoutMs: 5000 },
    perturbation: { rules: [{ nr: X86_64.number('getpid')!, action: 'stub' }] },
    judge: { attempts: 2, inconclusiveRetries: 0, readyListeners: 0, readyWaitMs: 0 },
  };
  // A helper that cannot be executed, as when dist/bin is rebuilt under a running analysis.
  const env = { groups, launcher: LAUNCHER_PATH, isolateHelper: join(dir, 'missing-loupe-isolate'), table: X86_64, workDir: join(dir, 'work') };
  await assert.rejects(runExperiment(exp, env), (err: unknown) => {
    assert.ok(err instanceof LoupeError);
    assert.equal(err.exitCode, ExitCode.environment);
    assert.match(err.message, /^stub getpid: sandbox did not start \(exit 127\).*in all 2 attempts/);
    assert.match(err.hint ?? '', /npm run build/);
    return true;
  });
  assert.equal(groups.size, 0);
});

test('--priors: a missing, malformed or empty dyn.csv is named, with exit code 3, before any run', async () => {
  const dir = tempDir('priors');
  const cases: [string, string | undefined, RegExp][] = [
    ['missing.csv', undefined, /cannot read the priors file: .*missing\.csv/],
    ['malformed.csv', '0,Y,N\n', /cannot read the priors file: .*malformed\.csv.*5 fields expected/],
    ['empty.csv', '', /the priors file .*empty\.csv marks no syscall as used/],
  ];
  for (const [name, content, message] of cases) {
    if (content !== undefined) writeFileSync(join(dir, name), content);
    const r = await runLoupe(['explore', '-b', '/bin/true', '--test-sequential', '--out', join(dir, `out-${name}`), '--priors', join(dir, name)]);
    assert.equal(r.code, 3, `${name}: ${r.stderr}`);
    assert.match(r.stderr, message, name);
    assert.match(r.stderr, /hint: give --priors the dyn\.csv of an earlier analysis/, name);
    assert.equal(existsSync(join(dir, `out-${name}`)), false, `${name}: nothing written`);
  }
});
