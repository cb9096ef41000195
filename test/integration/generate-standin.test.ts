import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { parseDynCsv, classOf } from '../../src/db/csv.js';
import { STAND_IN_EXPLORE, processesMentioning, runLoupe, startLoupe, waitFor } from '../helpers/cli.js';
import { git, snapshot, tempRepo } from '../helpers/git-tree.js';
import { tempDir } from '../helpers/temp-dirs.js';

// `loupe generate` in the native environment, with a stand-in for `loupe explore` that writes
// fixed results: what is tested here is generate itself (storing, merging, failures, resume).

function setup(): { db: string; work: string; env: NodeJS.ProcessEnv; args: (...extra: string[]) => string[] } {
  const work = tempDir('gen');
  const script = join(work, 'test.sh');
  writeFileSync(script, '#!/bin/sh\nexit 0\n');
  chmodSync(script, 0o755);
  const db = tempRepo();
  const env = { ...process.env, LOUPE_EXPLORE_COMMAND: STAND_IN_EXPLORE, XDG_CACHE_HOME: join(work, 'cache') };
  const args = (...extra: string[]): string[] => ['generate', '-db', db, '-a', 'lua', '-w', 'hello', '-b', '-t', script, ...extra, '--', 'lua5.4', '-e', 'print(1)'];
  return { db, work, env, args };
}

const runFolders = (db: string): string[] => existsSync(join(db, 'lua/benchmark-hello')) ? readdirSync(join(db, 'lua/benchmark-hello')) : [];

test('a native run is stored with its record, and the same environment lands in the same folder', async () => {
  const { db, work, env, args } = setup();
  const first = await runLoupe(args('--commit'), { cwd: work, env });
  assert.equal(first.code, 0, first.stderr);
  const [run] = runFolders(db);
  assert.match(run!, /^[0-9a-f]{32}$/);
  const folder = join(db, 'lua/benchmark-hello', run!);
  assert.deepEqual(readdirSync(folder).sort(), ['cmd.txt', 'data', 'environment.json', 'explore.logs', 'test']);
  const record = JSON.parse(readFileSync(join(folder, 'environment.json'), 'utf8'));
  assert.equal(record.command.binary, '/usr/bin/lua5.4');
  assert.equal(record.binary.package.name, 'lua5.4');
  assert.match(record.tracer, /strace/);
  assert.match(readFileSync(join(folder, 'cmd.txt'), 'utf8'), /^loupe generate -db .* -- lua5\.4 -e 'print\(1\)'\n$/);
  const rows = parseDynCsv(readFileSync(join(folder, 'data/dyn.csv'), 'utf8'));
  assert.deepEqual(rows.filter((r) => r.used).map((r) => [r.nr, classOf(r)]), [[0, 'required'], [1, 'both'], [3, 'stubOnly'], [9, 'fakeOnly']]);
  assert.match(git(db, 'log', '-1', '--format=%B'), /^lua benchmark-hello: native run [0-9a-f]{32} \(2 replicas\)/);
  assert.equal(git(db, 'status', '--porcelain'), '');
  assert.deepEqual(readdirSync(join(work, 'cache/loupe/journal')), [], 'journals are removed after a successful store');

  const again = await runLoupe(args('--json'), { cwd: work, env });
  assert.equal(again.code, 0, again.stderr);
  const outcome = JSON.parse(again.stdout);
  assert.equal(outcome.replaced, true);
  assert.deepEqual(runFolders(db), [run]);
  assert.equal(git(db, 'status', '--porcelain').trim(), `M lua/benchmark-hello/${run}/cmd.txt`,
    'the same results: only cmd.txt changed (it holds the latest command line)');
});

test('replicas that disagree: the syscall is stored as required, the sub-feature as not removable, and both are reported', async () => {
  const { db, work, env, args } = setup();
  const out = await runLoupe(args('--replicas', '3', '--partial-support'), { cwd: work, env: { ...env, STAND_IN_DISAGREE: '2' } });
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, /disagreed on 1 syscall/);
  assert.match(out.stdout, /close \(3\): replica 1 stubOnly, replica 2 required, replica 3 stubOnly/);
  const folder = join(db, 'lua/benchmark-hello', runFolders(db)[0]!);
  assert.match(readFileSync(join(folder, 'explore.logs'), 'utf8'), /close \(3\): replica 1 stubOnly, replica 2 required/);
  assert.match(readFileSync(join(folder, 'data/dyn.csv'), 'utf8'), /\n3,Y,N,N,N\n/);
  assert.match(out.stdout, /disagreed on 1 sub-feature.*\n.*subfeature-ioctl\.csv ioctl,1,value,21523,TIOCGWINSZ: replica 1 Y,N, replica 2 N,N, replica 3 Y,N/);
  assert.equal(readFileSync(join(folder, 'data/subfeature-ioctl.csv'), 'utf8'),
    '# syscall, argument, scope, value, label, works stubbed, works faked\nioctl,1,value,21505,TCGETS,Y,Y\nioctl,1,value,21523,TIOCGWINSZ,N,N\n');
});

test('failures leave the database untouched, with a clear message and exit status', async () => {
  const cases: { env: NodeJS.ProcessEnv; code: number; message: RegExp }[] = [
    { env: { STAND_IN_OUTPUT: 'invalid' }, code: 1, message: /output of replica \d is invalid: .*dyn\.csv/ },
    { env: { STAND_IN_OUTPUT: 'all-removable' }, code: 1, message: /not plausible: all 4 used syscalls can be stubbed or faked/ },
    { env: { STAND_IN_EXIT: '1' }, code: 1, message: /replica \d: loupe explore exited with status 1\n.*baseline run/ },
    { env: { STAND_IN_EXIT: '4' }, code: 4, message: /exited with status 4/ },
  ];
  for (const c of cases) {
    const { db, work, env, args } = setup();
    const before = snapshot(db);
    const out = await runLoupe(args(), { cwd: work, env: { ...env, ...c.env } });
    assert.equal(out.code, c.code, out.stderr);
    assert.match(out.stderr, c.message);
    assert.equal(snapshot(db), before);
    // The replicas' logs, which the message may name, outlive generate, and the user is told they may go.
    const kept = /^loupe: the replicas' logs are kept in (\/\S+) \(delete it when done\)$/m.exec(out.stderr);
    assert.ok(kept !== null && existsSync(join(kept[1]!, 'replica-1.stderr')), out.stderr);
    rmSync(kept[1]!, { recursive: true });
  }
});

test('bad databases and bad names are refused before anything runs', async () => {
  const { db, work, env, args } = setup();
  writeFileSync(join(db, 'stray.txt'), 'x');
  const dirty = await runLoupe(args(), { cwd: work, env });
  assert.equal(dirty.code, 3);
  assert.match(dirty.stderr, /is dirty.*\n.*--allow-dirty-db/);
  assert.equal((await runLoupe(args('--allow-dirty-db'), { cwd: work, env })).code, 0);
  const notGit = tempDir('notgit');
  writeFileSync(join(notGit, 'x'), 'x');
  const plain = await runLoupe(['generate', '-db', notGit, '-a', 'lua', '-b', '-w', 'x', '--', 'lua5.4'], { cwd: work, env });
  assert.equal(plain.code, 3);
  assert.match(plain.stderr, /not a git repository/);
  const traversal = await runLoupe(['generate', '-db', db, '-a', '../evil', '-b', '-w', 'x', '--', 'lua5.4'], { cwd: work, env });
  assert.equal(traversal.code, 2);
  assert.match(traversal.stderr, /invalid application name/);
  const neither = await runLoupe(['generate', '-db', db, '-a', 'lua', '-w', 'x', '--', 'lua5.4'], { cwd: work, env });
  assert.equal(neither.code, 2);
  assert.match(neither.stderr, /benchmark \(-b\) or a test suite \(-s\)/);
});

test('Ctrl-C stops every process and leaves the database as it was; the same command resumes', async () => {
  const { db, work, env, args } = setup();
  const executed = join(work, 'executed.log');
  const slow = { ...env, STAND_IN_DELAY_MS: '150', STAND_IN_EXECUTED_LOG: executed };
  const before = snapshot(db);
  const { child, result } = startLoupe(args(), { cwd: work, env: slow });
  const lines = (): string[] => existsSync(executed) ? readFileSync(executed, 'utf8').trim().split('\n') : [];
  await waitFor(() => lines().length >= 4, 20_000, 'some experiments to finish');
  child.kill('SIGINT');
  const out = await result;
  assert.equal(out.code, 130, out.stderr);
  assert.match(out.stderr, /interrupted.*\n.*resume/);
  assert.equal(snapshot(db), before);
  assert.deepEqual(processesMentioning(work), [], 'no explore process is left');
  const doneBefore = lines().length;
  assert.ok(doneBefore < 16, 'interrupted before the end');

  const resumed = await runLoupe(args(), { cwd: work, env: slow });
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, new RegExp(`resuming: ${doneBefore} experiments were finished by an earlier attempt`));
  const all = lines();
  assert.equal(all.length, 16, `each of the 2 x 8 experiments ran exactly once (ran: ${all.join(', ')})`);
  assert.equal(new Set(all).size, 16);
});

test('a generate killed outright (SIGKILL) leaves the database as it was', async () => {
  const { db, work, env, args } = setup();
  const before = snapshot(db);
  const { child, result } = startLoupe(args(), { cwd: work, env: { ...env, STAND_IN_DELAY_MS: '100' } });
  await waitFor(() => existsSync(join(work, 'cache/loupe/journal')), 20_000, 'the analysis to start');
  child.kill('SIGKILL');
  await result;
  assert.equal(snapshot(db), before);
  // Orphaned explore processes finish on their own; wait so that they do not outlive the test.
  await waitFor(() => processesMentioning(work).length === 0, 20_000, 'orphans to finish');
});
