import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { classOf, parseDynCsv } from '../../src/db/csv.js';
import { EXAMPLES, processesMentioning, runLoupe, startLoupe, waitFor } from '../helpers/cli.js';
import { git, snapshot, tempRepo } from '../helpers/git-tree.js';
import { tempDir } from '../helpers/temp-dirs.js';

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
  assert.deepEqual(readdirSync(join(folder, 'data')).sort(), ['dyn.csv', 'fallbacks.csv', 'static_binary.csv']);
  // Both replicas measured fallbacks; lua's _exit calls exit when exit_group is stubbed (glibc).
  assert.match(readFileSync(join(folder, 'data/fallbacks.csv'), 'utf8'), /^231,,,,stub,60,231$/m);
  assert.match(readFileSync(join(folder, 'explore.logs'), 'utf8'), /Fallbacks measured by 2 of 2 replicas/);
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

test('Ctrl-C in the middle of a real analysis, then the same command resumes from the journal', async () => {
  const db = tempRepo();
  const cache = tempDir('cache');
  const env = { ...process.env, XDG_CACHE_HOME: cache };
  const args = ['generate', '-db', db, '-a', 'lua', '-s', '-w', 'hello', '-t', 'test.sh', '--test-sequential', '--replicas', '1', '--', 'lua5.4', 'hello.lua'];
  const before = snapshot(db);
  const journalLines = (): number => {
    const root = join(cache, 'loupe/journal');
    if (!existsSync(root)) return 0;
    return readdirSync(root).map((d) => join(root, d, 'replica-1.jsonl')).filter(existsSync)
      .reduce((n, f) => n + readFileSync(f, 'utf8').split('\n').filter(Boolean).length, 0);
  };
  const { child, result } = startLoupe(args, { cwd: EXAMPLE, env });
  await waitFor(() => journalLines() >= 6, 60_000, 'some experiments to be journalled');
  child.kill('SIGINT');
  const stopped = await result;
  assert.equal(stopped.code, 130, stopped.stderr);
  assert.equal(snapshot(db), before);
  assert.deepEqual(processesMentioning(cache), [], 'explore and its experiments are gone');
  const done = journalLines();
  const resumed = await runLoupe(args, { cwd: EXAMPLE, env });
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, new RegExp(`resuming: ${done} experiments were finished by an earlier attempt`));
  assert.deepEqual(readdirSync(join(cache, 'loupe/journal')), [], 'the journal is removed once the run is stored');
});
