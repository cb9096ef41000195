import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, compileC, processesMentioning, runLoupe, startLoupe, tempDir, waitFor, writeScript } from '../helpers/cli.js';
import type { ExploreReport } from '../../src/explore/report.js';
import { withCancellation } from '../../src/explore/cancellation.js';
import { ProcessGroups } from '../../src/sandbox/process.js';
import { SandboxRun } from '../../src/sandbox/sandbox.js';
import { filterFor } from '../../src/explore/run-experiment.js';
import { runAttempt } from '../../src/explore/attempt.js';
import type { Experiment } from '../../src/explore/experiment.js';
import { X86_64 } from '../../src/syscalls/table.js';
import { DEFAULT_ISOLATION } from '../../src/sandbox/isolation.js';
import { ISOLATE_HELPER_PATH, LAUNCHER_PATH } from '../../src/core/version.js';

/** Names, modes, sizes and modification times of a folder's entries: what a user would notice. */
function snapshot(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .map((name) => {
      const st = statSync(join(dir, name));
      return `${name} ${(st.mode & 0o7777).toString(8)} ${st.size} ${st.mtimeMs}`;
    });
}

test('sed -i on a user file: the folder, the file and its mode are unchanged, and the test script sees the edit', async () => {
  const dir = tempDir('sed');
  const folder = join(dir, 'user');
  mkdirSync(folder);
  writeFileSync(join(folder, 'notes.txt'), 'alpha beta\n');
  chmodSync(join(folder, 'notes.txt'), 0o644);
  const before = snapshot(folder);
  // Passes only if the script sees the application's write: each run's own edit, not the host's file.
  const script = writeScript(dir, 'test.sh', 'grep -q "^gamma beta$" notes.txt');
  const out = join(dir, 'out');
  const r = await runLoupe(['explore', '-b', 'sed', '-t', script, '--test-sequential', '--keep-writes', '--out', out, '--json', '--', '-i', 's/alpha/gamma/', 'notes.txt'], { cwd: folder });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(snapshot(folder), before, 'no stray sedXXXXXX file, same mode, same content');
  assert.equal(readFileSync(join(folder, 'notes.txt'), 'utf8'), 'alpha beta\n');
  const report = JSON.parse(r.stdout) as ExploreReport;
  assert.ok(report.experiments.length > 20);
  // --keep-writes: the baseline's writable layer holds the edited file, and writes.log names it.
  const kept = join(out, 'work', 'baseline', 'attempt-1', 'writes');
  assert.match(readFileSync(join(kept, 'writes.log'), 'utf8'), new RegExp(`^M ${folder}/notes.txt$`, 'm'));
  const layer = readdirSync(kept).find((d) => existsSync(join(kept, d, 'upper', folder.slice(1), 'notes.txt')));
  assert.ok(layer !== undefined, 'the edited file is in a kept layer');
  assert.equal(readFileSync(join(kept, layer, 'upper', folder.slice(1), 'notes.txt'), 'utf8'), 'gamma beta\n');
});

test('--writable lets a run write that path on the host, and only that path', async () => {
  const dir = tempDir('writable');
  mkdirSync(join(dir, 'shared'));
  mkdirSync(join(dir, 'private'));
  const r = await runLoupe(
    ['explore', '-b', '/bin/sh', '--writable', 'shared', '--disable-static', '--', '-c', 'echo $$ >> shared/log && echo x > private/file'],
    { cwd: dir },
  );
  assert.equal(r.code, 0, r.stderr);
  // discovery, baseline and the experiments in which sh still writes: more than one line.
  assert.ok(readFileSync(join(dir, 'shared', 'log'), 'utf8').trim().split('\n').length > 2);
  assert.deepEqual(readdirSync(join(dir, 'private')), []);
});

test('nginx with its default temporary folders: /var/lib/nginx on the host is untouched, and the test script sees the ones the run made', async () => {
  const dir = tempDir('nginx-lib');
  chmodSync(dir, 0o755); // nginx's worker runs as www-data
  mkdirSync(join(dir, 'html'));
  writeFileSync(join(dir, 'html', 'index.html'), 'hello\n');
  // No *_temp_path: nginx creates /var/lib/nginx/body, proxy, ... when it starts (Debian's build default).
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off;\nmaster_process on;\nworker_processes 1;\npid /run/nginx-loupe.pid;\nerror_log stderr warn;\nevents { worker_connections 64; }\nhttp { access_log off; server { listen 127.0.0.1:8081; location / { root html; } } }\n`,
  );
  const script = writeScript(
    dir,
    'test.sh',
    `[ -d /var/lib/nginx/body ] || exit 1
exec 3<>/dev/tcp/127.0.0.1/8081 || exit 200
printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' >&3
grep -q '^hello' <&3`,
    '/bin/bash',
  );
  const before = existsSync('/var/lib/nginx') ? readdirSync('/var/lib/nginx').sort() : [];
  assert.ok(!before.includes('body'), 'this test needs a host where nginx never made its temporary folders: remove /var/lib/nginx/body, proxy, fastcgi, uwsgi and scgi');
  const r = await runLoupe(['explore', '-b', '/usr/sbin/nginx', '-t', script, '--disable-static', '--json', '--', '-p', dir, '-c', join(dir, 'nginx.conf')], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as ExploreReport;
  assert.ok(report.syscalls.some((s) => s.name === 'mkdir'), 'nginx made its folders in every run');
  assert.deepEqual(existsSync('/var/lib/nginx') ? readdirSync('/var/lib/nginx').sort() : [], before);
  assert.deepEqual(processesMentioning(dir), []);
});

test('fair control: mmap flag bits are judged by the program, not by the launcher', async () => {
  const dir = tempDir('mmap-bits');
  const prog = compileC('mmap-optional-scratch.c', dir, ['-static']);
  const script = writeScript(dir, 'test.sh', 'grep -q "^ok " "$1"');
  const r = await runLoupe(['explore', '-b', prog, '-t', script, '--test-sequential', '--partial-support', '--disable-static', '--json'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as ExploreReport;
  const bit = (argIndex: number, value: number): { stub: string; fake: string } | undefined =>
    report.subfeatures.find((s) => s.syscall === 'mmap' && s.argIndex === argIndex && s.bit === true && s.value === String(value));
  // The optional scratch mapping (PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS) may fail.
  for (const [arg, value] of [[3, 0x2], [3, 0x20], [2, 0x2]] as const) {
    assert.deepEqual({ ...bit(arg, value) }, { ...bit(arg, value), stub: 'works', fake: 'works' }, `mmap arg${arg} bit 0x${value.toString(16)}`);
  }
  // The required mapping of its own file (PROT_READ, MAP_SHARED) may not.
  for (const [arg, value] of [[3, 0x1], [2, 0x1]] as const) {
    assert.deepEqual({ ...bit(arg, value) }, { ...bit(arg, value), stub: 'broken', fake: 'broken' }, `mmap arg${arg} bit 0x${value.toString(16)}`);
  }
  assert.equal(report.syscalls.find((s) => s.name === 'mmap')?.class, 'required');
});

test('Ctrl-C: every run in flight stops at once (SIGTERM, then SIGKILL), and none is recorded in the journal', async () => {
  const dir = tempDir('cancel');
  // The application and the test script both ignore SIGTERM: only the SIGKILL after the grace period ends them.
  const app = writeScript(dir, 'app.sh', "trap '' TERM\nwhile :; do sleep 1; done");
  const script = writeScript(dir, 'test.sh', "trap '' TERM\nsleep 3\nexit 0");
  const journal = join(dir, 'journal.jsonl');
  const { child, result } = startLoupe(['explore', '-b', app, '-t', script, '--jobs', '2', '--journal', journal, '--verbose', '--disable-static'], { cwd: dir });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  await waitFor(() => /== syscalls/.test(stderr), 60_000, 'the experiments to start');
  await waitFor(() => processesMentioning(join(dir, 'test.sh')).length >= 2, 10_000, 'two test scripts to run');
  child.kill('SIGINT');
  const r = await result;
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, /interrupted/);
  // An experiment that ended on its own before Ctrl-C (a stub that kills the shell at once) is a
  // verdict and may be journaled; none of those stopped by Ctrl-C may be.
  const recorded = existsSync(journal) ? readFileSync(journal, 'utf8').split('\n').filter((l) => l.trim() !== '') : [];
  const finishedBefore = r.stderr.slice(0, r.stderr.indexOf('interrupted'));
  for (const line of recorded) {
    const { result } = JSON.parse(line) as { result: { id: string; reason?: string } };
    assert.doesNotMatch(result.reason ?? '', /SIGTERM|SIGKILL|still running/, `${result.id} was stopped by Ctrl-C, yet journaled`);
    assert.ok(finishedBefore.includes(result.id.replace(':', ' ')), `${result.id} is journaled but had not finished before Ctrl-C:\n${r.stderr}`);
  }
  assert.ok(recorded.length < 64, 'the experiments in flight are not all recorded');
  assert.deepEqual(processesMentioning(dir), []);
});

test('fair control: discovery and baseline run under the launcher, with no_new_privs and a seccomp filter like every experiment', async () => {
  const dir = tempDir('control');
  // Exits 1 unless it runs under a filter: without the launcher, the baseline would fail.
  const r = await runLoupe(['explore', '-b', '/bin/grep', '--disable-static', '--json', '--', '-qzE', 'NoNewPrivs:\\s+1.*Seccomp:\\s+2', '/proc/self/status'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as ExploreReport;
  assert.ok(report.used.length > 10);
});

test('an internal error stops every run in flight at once, and the tasks still running record nothing', async () => {
  const dir = tempDir('internal-error');
  const groups = new ProcessGroups();
  const recorded: string[] = [];
  const stubborn = writeScript(dir, 'stubborn.sh', "trap '' TERM\nsleep 600");
  const task = async (name: string, signal: AbortSignal): Promise<void> => {
    await groups.start({ argv: [stubborn, name] }).exited;
    if (!signal.aborted) recorded.push(name);
  };
  const failure = withCancellation(undefined, groups, async (signal) => {
    const running = [task('a', signal), task('b', signal)];
    await waitFor(() => processesMentioning(stubborn).length >= 2, 10_000, 'both runs to start');
    await Promise.race([Promise.all(running), Promise.reject(new Error('internal error'))]);
  });
  await assert.rejects(failure, /internal error/);
  assert.equal(groups.size, 0, 'every group was reaped before the error came out');
  assert.deepEqual(processesMentioning(stubborn), []);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(recorded, []);
  assert.throws(() => groups.start({ argv: ['true'] }), /stopped/);
});

test('a sandbox whose helper ends before bwrap reports (Ctrl-C at start-up) still tells how it ended', async () => {
  const dir = tempDir('early-exit');
  const groups = new ProcessGroups();
  const statuses: (number | null | 'never')[] = [];
  for (let i = 0; i < 60; i++) {
    // The host prefix ends the helper at once, as a SIGTERM does between its start and bwrap's report.
    const run = await SandboxRun.start(groups, {
      program: '/bin/true', args: [], cwd: dir, launcher: LAUNCHER_PATH, isolateHelper: ISOLATE_HELPER_PATH, isolation: DEFAULT_ISOLATION,
      passThrough: [], keptLayersDir: join(dir, `${i}`, 'writes'), runDir: join(dir, `${i}`, 'sandbox'), filter: Buffer.alloc(0),
      logFile: join(dir, `${i}.log`), hostPrefix: ['sh', '-c', 'exit 7', '--'],
    });
    assert.equal(run.namespacePid, undefined);
    let timer: NodeJS.Timeout | undefined;
    const never = new Promise<'never'>((resolve) => (timer = setTimeout(() => resolve('never'), 5000)));
    const status = await Promise.race([run.appExited, never]);
    clearTimeout(timer);
    statuses.push(status === 'never' ? status : status.code);
  }
  assert.deepEqual(statuses.filter((s) => s !== 7), [], 'every run ends with the exit status of its helper');
});

test('a mount that disappears between the plan and the run (a container Docker removed) is skipped, not an error', async () => {
  const dir = tempDir('vanishing-mount');
  const mountPoint = join(dir, 'container-merged');
  mkdirSync(mountPoint);
  const mounted = spawnSync('mount', ['-t', 'tmpfs', 'tmpfs', mountPoint], { encoding: 'utf8' });
  assert.equal(mounted.status, 0, `mounting a tmpfs needs root: ${mounted.stderr}`);
  const groups = new ProcessGroups();
  // The host prefix runs after the plan was made from mountinfo, before the helper mounts anything.
  const run = await SandboxRun.start(groups, {
    program: '/bin/true', args: [], cwd: dir, launcher: LAUNCHER_PATH, isolateHelper: ISOLATE_HELPER_PATH, isolation: DEFAULT_ISOLATION,
    passThrough: [], keptLayersDir: join(dir, 'writes'), runDir: join(dir, 'sandbox'), filter: filterFor([], X86_64),
    logFile: join(dir, 'run.log'), hostPrefix: ['sh', '-c', `umount ${mountPoint} && rmdir ${mountPoint} && exec "$@"`, '--'],
  });
  const status = await run.appExited;
  await groups.killAll();
  assert.equal(status.code, 0, readFileSync(join(dir, 'run.log'), 'utf8'));
  assert.equal(existsSync(mountPoint), false, 'the premise: the mount was gone when the helper ran');
});

// Under heavy load the sandbox itself is slow to start (its layers and namespaces). The hang
// limit is the program's: it counts from the program's start. A sandbox that never starts is
// stopped at the time-out and says so.
test('a run\'s limits count from its program\'s start: a sandbox slow to start is no hang, one that never starts is stopped at the time-out', async () => {
  const dir = tempDir('slow-start');
  const groups = new ProcessGroups();
  const experiment = (timeoutMs: number): Experiment => ({
    id: 'baseline', description: 'baseline',
    workload: { program: '/bin/true', args: [], cwd: dir, sequential: true, timeoutMs },
    perturbation: { rules: [] },
    judge: { attempts: 1, inconclusiveRetries: 0, readyListeners: 0, readyWaitMs: 0, hangLimitMs: 1000 },
  });
  const attempt = (name: string, timeoutMs: number) => runAttempt(experiment(timeoutMs), {
    groups, launcher: LAUNCHER_PATH, isolateHelper: ISOLATE_HELPER_PATH, workDir: join(dir, 'work'), dir: join(dir, name), filter: filterFor([], X86_64),
    // Runs on the host before the isolation helper: the sandbox's start-up takes 1.5 s.
    hostPrefix: ['sh', '-c', 'sleep 1.5; exec "$@"', '--'],
  });
  try {
    const slow = await attempt('slow', 60_000);
    assert.equal(slow.verdict, 'works', `${slow.failure}: ${slow.reason}`);
    assert.ok(slow.phases.sandboxStartMs >= 1500, `the premise: the sandbox took ${slow.phases.sandboxStartMs} ms to start, more than the 1000 ms hang limit`);
    const stalled = await attempt('stalled', 800);
    assert.equal(stalled.failure, 'start');
    assert.match(stalled.reason ?? '', /sandbox did not start within 800 ms \(time-out\)/);
    assert.ok(stalled.phases.sandboxStartMs < 1400, `stopped at the time-out, not when the start-up ended (${stalled.phases.sandboxStartMs} ms)`);
  } finally {
    await groups.stopAll();
  }
  assert.equal(groups.size, 0, 'nothing of either run is left');
});

// A descriptor loupe inherits (a terminal's, a CI runner's pipe) is not the application's: every
// run would see one more than the program opened, and its descriptor counts too.
test('the application sees only the descriptors it was given (0, 1, 2), not those loupe inherited', () => {
  const dir = tempDir('inherited-fd');
  const script = writeScript(dir, 'test.sh', `grep -qx 2 "$1" && ! grep -vqx '[012]' "$1"`);
  // Index 9 of stdio: loupe starts with descriptor 9 open on a pipe, without close-on-exec.
  const stdio = ['ignore', 'pipe', 'pipe', ...Array<'ignore'>(6).fill('ignore'), 'pipe'] as const;
  const r = spawnSync(process.execPath, [CLI, 'explore', '-b', '/bin/sh', '-t', script, '--test-sequential', '--disable-static', '--json', '--', '-c', 'ls -1 /proc/$$/fd'],
    { cwd: dir, encoding: 'utf8', stdio: [...stdio] });
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as ExploreReport;
  assert.ok(report.used.length > 0);
});
