import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXAMPLES, runLoupe, tempDir, writeScript } from '../helpers/cli.js';
import { tempRepo } from '../helpers/git-tree.js';

// A native run whose test script reads a file beside it: the file travels with the run, and
// `loupe reproduce` from another clone of the database, with the script's folder gone, finds it.

test('a test script reading a file beside it: generate stores the file, reproduce from a fresh clone finds it', async () => {
  const db = tempRepo();
  const scripts = tempDir('script-beside');
  writeFileSync(join(scripts, 'expected.txt'), '^Hello from Lua: 1000 squares, \n');
  writeScript(scripts, 'test.sh', 'grep -q -f "$(dirname "$0")/expected.txt" "$1"');
  const out = await runLoupe(['generate', '-db', db, '-a', 'lua', '-s', '-w', 'hello', '-t', join(scripts, 'test.sh'), '--test-sequential',
    '--replicas', '1', '--commit', '--', 'lua5.4', 'hello.lua'], { cwd: join(EXAMPLES, 'lua') });
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stderr, /stored with the test script, as it names them: expected\.txt\n/);
  const run = /^Stored run \S+\/([0-9a-f]{32})$/m.exec(out.stdout)?.[1];
  const used = Number(/(\d+) syscalls used/.exec(out.stdout)?.[1]);
  assert.ok(run !== undefined && used > 10, out.stdout);
  const folder = join(db, 'lua/suite-hello', run);
  assert.deepEqual(readdirSync(join(folder, 'test')).sort(), ['expected.txt', 'test.sh']);
  const record = JSON.parse(readFileSync(join(folder, 'environment.json'), 'utf8'));
  assert.deepEqual(record.testFiles.map((f: { file: string }) => f.file), ['expected.txt']);

  rmSync(scripts, { recursive: true });
  const clone = join(tempDir('db-clone'), 'db');
  execFileSync('git', ['clone', '--quiet', db, clone]);
  const rep = await runLoupe(['reproduce', join(clone, 'lua/suite-hello', run), '--replicas', '1', '--json'], { cwd: tempDir('elsewhere') });
  assert.equal(rep.code, 0, rep.stderr);
  const result = JSON.parse(rep.stdout);
  assert.equal(result.reproducedAs, run, 'the same record, hence the same run folder');
  assert.equal(result.stored.counts.used, used);
});

test('a test script naming no file beside it: the record has no testFiles, as records made before them', async () => {
  const db = tempRepo();
  const out = await runLoupe(['generate', '-db', db, '-a', 'lua', '-s', '-w', 'hello', '-t', 'test.sh', '--test-sequential',
    '--replicas', '1', '--json', '--', 'lua5.4', 'hello.lua'], { cwd: join(EXAMPLES, 'lua') });
  assert.equal(out.code, 0, out.stderr);
  const folder = join(db, 'lua/suite-hello', JSON.parse(out.stdout).run);
  assert.deepEqual(readdirSync(join(folder, 'test')), ['test.sh']);
  assert.equal('testFiles' in JSON.parse(readFileSync(join(folder, 'environment.json'), 'utf8')), false);
});
