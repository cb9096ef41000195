import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { classOf, parseDynCsv } from '../../src/db/csv.js';
import { EXAMPLES, runLoupe } from '../helpers/cli.js';
import { git, tempRepo } from '../helpers/git-tree.js';

// `loupe generate` and `loupe reproduce` with the real `loupe explore`, natively, on the bundled
// lua example (a sequential workload).

const EXAMPLE = join(EXAMPLES, 'lua');

test('native generate of the lua example, then reproduce shows and repairs a tampered result', async () => {
  const db = tempRepo();
  const out = await runLoupe(['generate', '-db', db, '-a', 'lua', '-s', '-w', 'hello', '-t', 'test.sh', '--test-sequential', '--commit', '--json',
    '--', 'lua5.4', 'hello.lua'], { cwd: EXAMPLE });
  assert.equal(out.code, 0, out.stderr);
  const outcome = JSON.parse(out.stdout);
  assert.deepEqual(outcome.disagreements, [], 'the lua example is deterministic');
  assert.ok(outcome.counts.used > 10 && outcome.counts.required > 0 && outcome.counts.required < outcome.counts.used);
  const folder = join(db, 'lua/suite-hello', outcome.run);
  assert.deepEqual(readdirSync(folder).sort(), ['cmd.txt', 'data', 'environment.json', 'explore.logs', 'test']);
  assert.deepEqual(readdirSync(join(folder, 'data')).sort(), ['dyn.csv', 'static_binary.csv']);
  const record = JSON.parse(readFileSync(join(folder, 'environment.json'), 'utf8'));
  assert.equal(record.command.cwd, EXAMPLE);
  assert.deepEqual(record.command.explore, ['--test-sequential']);

  // Pretend exit_group was stored as required, then reproduce.
  const dynPath = join(folder, 'data/dyn.csv');
  const rows = parseDynCsv(readFileSync(dynPath, 'utf8'));
  const exitGroup = rows[231]!;
  assert.equal(exitGroup.used, true);
  writeFileSync(dynPath, readFileSync(dynPath, 'utf8').replace(/^231,Y,[YN],[YN],[YN]$/m, '231,Y,N,N,N'));
  git(db, 'commit', '-qam', 'tampered');
  const rep = await runLoupe(['reproduce', folder, '-q'], { cwd: EXAMPLE });
  assert.equal(rep.code, 0, rep.stderr);
  assert.match(rep.stdout, new RegExp(`^syscall .*\\n-+.*\\nexit_group +231 +required +${classOf(exitGroup)}\\n`));
  assert.match(rep.stdout, /Replaced run/);
  assert.match(git(db, 'status', '--porcelain'), /M lua\/suite-hello\/[0-9a-f]+\/data\/dyn\.csv/);
  assert.doesNotMatch(git(db, 'status', '--porcelain'), /cmd\.txt/, 'cmd.txt keeps the command that made the run');
});
