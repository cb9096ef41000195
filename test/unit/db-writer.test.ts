import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LoupeError } from '../../src/core/errors.js';
import { openDatabase, storeRun, type RunLocation } from '../../src/db/writer.js';
import { git, snapshot, tempRepo } from '../helpers/git-tree.js';
import { publicDb } from '../helpers/public-db.js';
import { tempDir } from '../helpers/temp-dirs.js';

const location: RunLocation = { app: 'nginx', workload: { kind: 'benchmark', name: 'wrk' }, run: 'a'.repeat(32) };
const runFiles = (dyn: string) => new Map<string, string>([['data/dyn.csv', dyn], ['cmd.txt', 'loupe generate ...'], ['explore.logs', 'log\n']]);

test('a missing database is created only when asked', async () => {
  const parent = tempDir('db-parent');
  const path = join(parent, 'db');
  await assert.rejects(openDatabase(path, { init: false, allowDirty: false }), /does not exist.*/);
  assert.equal(existsSync(path), false);
  await assert.rejects(openDatabase(path, { init: false, allowDirty: false, confirmCreate: async () => false }), /does not exist/);
  const db = await openDatabase(path, { init: false, allowDirty: false, confirmCreate: async () => true });
  assert.ok(existsSync(join(db.root, '.git')));
  const other = await openDatabase(join(parent, 'db2'), { init: true, allowDirty: false });
  assert.ok(existsSync(join(other.root, '.git')));
  // An empty folder is created in place too, but the refusal must not claim it is missing.
  const empty = tempDir('db-empty');
  await assert.rejects(openDatabase(empty, { init: false, allowDirty: false }),
    (e: unknown) => e instanceof LoupeError && /is an empty folder/.test(e.message) && /--init/.test(e.hint ?? '') && e.exitCode === 3);
  assert.ok(existsSync(join((await openDatabase(empty, { init: true, allowDirty: false })).root, '.git')));
});

test('a folder that is not a git repository, and a dirty database, are refused with a hint', async () => {
  const plain = tempDir('notgit');
  writeFileSync(join(plain, 'x'), 'x');
  await assert.rejects(openDatabase(plain, { init: true, allowDirty: false }),
    (e: unknown) => e instanceof LoupeError && /not a git repository/.test(e.message) && e.exitCode === 3);
  // Following the hint must be enough: `git init` alone left every file uncommitted, and the next run was refused as dirty.
  const hint = await openDatabase(plain, { init: false, allowDirty: false }).then(() => '', (e: unknown) => (e instanceof LoupeError ? e.hint ?? '' : ''));
  const commands = /`(git init[^`]*)`/.exec(hint)?.[1];
  assert.ok(commands && hint.includes(plain), hint);
  spawnSync('sh', ['-c', commands], { cwd: plain, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x' } });
  await openDatabase(plain, { init: false, allowDirty: false });
  const repo = tempRepo();
  writeFileSync(join(repo, 'untracked.txt'), 'x');
  await assert.rejects(openDatabase(repo, { init: false, allowDirty: false }),
    (e: unknown) => e instanceof LoupeError && /dirty/.test(e.message) && /--allow-dirty-db/.test(e.hint ?? ''));
  await openDatabase(repo, { init: false, allowDirty: true });
});

test('a run is stored, replaced, and committed alone in a dirty database', async () => {
  const repo = tempRepo();
  const db = await openDatabase(repo, { init: false, allowDirty: false });
  const first = await storeRun(db, location, runFiles('0,Y,N,N,N\n'));
  assert.equal(first.replaced, false);
  assert.equal(readFileSync(join(first.folder, 'data/dyn.csv'), 'utf8'), '0,Y,N,N,N\n');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'first run');
  writeFileSync(join(repo, 'unrelated.txt'), 'stays uncommitted');
  const dirtyDb = await openDatabase(repo, { init: false, allowDirty: true });
  const second = await storeRun(dirtyDb, location, new Map([['data/dyn.csv', '0,Y,Y,N,N\n']]), 'nginx benchmark-wrk: replaced');
  assert.equal(second.replaced, true);
  assert.deepEqual(readdirSync(second.folder), ['data'], 'the old folder is replaced, not merged');
  assert.equal(git(repo, 'log', '-1', '--format=%s').trim(), 'nginx benchmark-wrk: replaced');
  assert.equal(git(repo, 'status', '--porcelain').trim(), '?? unrelated.txt');
  assert.deepEqual(readdirSync(join(repo, '.git', 'loupe-staging')), [], 'staging folders are cleaned up');
});

test('a failed store (bad file path, failing commit) leaves the database byte for byte as it was', async () => {
  const repo = tempRepo();
  const db = await openDatabase(repo, { init: false, allowDirty: false });
  await storeRun(db, location, runFiles('0,Y,N,N,N\n'), 'first');
  const before = snapshot(repo);
  await assert.rejects(storeRun(db, location, new Map([['data/dyn.csv', 'x'], ['../escape', 'x']]), 'second'), /escapes/);
  assert.equal(snapshot(repo), before);
  // A pre-commit hook that refuses: the new folder was already swapped in and added to the index.
  writeFileSync(join(repo, '.git/hooks/pre-commit'), '#!/bin/sh\nexit 1\n');
  chmodSync(join(repo, '.git/hooks/pre-commit'), 0o755);
  await assert.rejects(storeRun(db, location, runFiles('0,Y,Y,N,N\n'), 'second'),
    (e: unknown) => e instanceof LoupeError && /committing the run failed/.test(e.message) && /not changed/.test(e.hint ?? ''));
  assert.equal(snapshot(repo), before);
  await assert.rejects(storeRun(db, { ...location, workload: { kind: 'suite', name: 'new' } }, runFiles('x'), 'third'));
  assert.equal(snapshot(repo), before, 'parent folders created for the run are removed again');
});

test('names that could escape the database are refused', async () => {
  const db = await openDatabase(tempRepo(), { init: false, allowDirty: false });
  for (const app of ['..', '../x', '.hidden', 'a/b', '']) {
    await assert.rejects(storeRun(db, { ...location, app }, runFiles('x')), /invalid application name/);
  }
  await assert.rejects(storeRun(db, { ...location, workload: { kind: 'benchmark', name: '../../x' } }, runFiles('x')), /invalid workload name/);
  await assert.rejects(storeRun(db, { ...location, workload: { kind: 'benchmark', name: '' } }, runFiles('x')), /needs a name/);
});

test('storing into a copy of the public database changes only the run written', async () => {
  const copy = tempDir('publicdb');
  cpSync(publicDb(), copy, { recursive: true });
  git(copy, 'init', '-q');
  git(copy, 'config', 'core.fileMode', 'false');
  // The shared copy is read-only; make the temporary one writable.
  git(copy, 'add', '-A');
  git(copy, 'commit', '-q', '-m', 'public data');
  const run = '7883824b5cbef4f66dd1c9bdcf7d6185';
  const folder = join(copy, 'nginx/benchmark-wrk', run);
  chmodSync(join(copy, 'nginx/benchmark-wrk'), 0o755);
  chmodSync(folder, 0o755);
  const db = await openDatabase(copy, { init: false, allowDirty: false });
  const dyn = readFileSync(join(folder, 'data/dyn.csv'), 'utf8').replace('\n0,Y,N,N,N', '\n0,Y,N,N,Y');
  await storeRun(db, { app: 'nginx', workload: { kind: 'benchmark', name: 'wrk' }, run }, new Map([
    ['data/dyn.csv', dyn],
    ['data/static_binary.csv', readFileSync(join(folder, 'data/static_binary.csv'), 'utf8')],
    ['data/static_sources.csv', readFileSync(join(folder, 'data/static_sources.csv'), 'utf8')],
    ['cmd.txt', readFileSync(join(folder, 'cmd.txt'), 'utf8')],
  ]));
  assert.equal(git(copy, 'status', '--porcelain').trim(), `M nginx/benchmark-wrk/${run}/data/dyn.csv`);
});
