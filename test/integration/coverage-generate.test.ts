/**
 * generate --coverage natively with the real explore and coverage on the C program with known
 * call sites: explore analyses an uninstrumented build, the coverage run an instrumented copy;
 * then search --show-coverage and the SQLite export read the stored coverage.json.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { FIXTURES, runLoupe, tempDir } from '../helpers/cli.js';
import { tempRepo } from '../helpers/git-tree.js';

const SOURCE = 'coverage-sites.c';

function compile(dir: string, output: string, flags: readonly string[]): string {
  const r = spawnSync('gcc', ['-O0', '-g', ...flags, '-o', output, SOURCE], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gcc failed (apt-get install gcc libc6-dev):\n${r.stderr}`);
  return join(dir, output);
}

test('generate --coverage stores data/coverage.json; search --show-coverage and the SQLite export read it', async () => {
  const build = tempDir('coverage-generate');
  copyFileSync(join(FIXTURES, 'c', SOURCE), join(build, SOURCE));
  const plain = compile(build, 'sites', []);
  const instrumented = compile(build, 'sites-coverage', ['--coverage']);
  const db = tempRepo();
  const out = await runLoupe(['generate', '-db', db, '-a', 'sites', '-s', '-w', 'run', '--test-sequential', '--disable-static', '--replicas', '1',
    '--coverage', build, '--coverage-binary', instrumented, '--json', '--', plain], { cwd: build });
  assert.equal(out.code, 0, out.stderr);
  const outcome = JSON.parse(out.stdout);
  const data = join(db, 'sites/suite-run', outcome.run, 'data');
  assert.ok(readdirSync(data).includes('coverage.json'), 'data/coverage.json is stored beside dyn.csv');
  const stored = JSON.parse(readFileSync(join(data, 'coverage.json'), 'utf8'));
  assert.equal(stored.binary, instrumented);
  assert.deepEqual(stored.functions, { covered: 1, total: 4 });
  const getuid = stored.syscalls.find((s: { nr: number }) => s.nr === 102).sites.find((s: { via: string }) => s.via === 'syscall(102)');
  assert.equal(getuid.reached, true);

  const search = await runLoupe(['search', '--db', db, '--show-coverage', '--json']);
  assert.equal(search.code, 0, search.stderr);
  const rows = JSON.parse(search.stdout);
  assert.equal(rows.length, 1);
  assert.deepEqual([rows[0].application, rows[0].workload, rows[0].lines], ['sites', 'suite-run', stored.lines]);
  assert.deepEqual(rows[0].callSites.unreached, stored.callSites.unreached);
  const text = await runLoupe(['search', '--db', db, '--show-coverage']);
  assert.match(text.stdout, /sites suite-run: lines [\d.]+% \(\d+ of \d+\), functions 25\.0% \(1 of 4\)/);
  assert.match(text.stdout, /static source: \d+ syscalls at \d+ call sites; the workload reached call sites of \d+ syscalls/);

  const file = join(tempDir('coverage-sqlite'), 'db.sqlite');
  const exported = await runLoupe(['search', '--db', db, '--export-sqlite', file]);
  assert.equal(exported.code, 0, exported.stderr);
  const sql = new Database(file, { readonly: true });
  try {
    assert.deepEqual(sql.prepare('SELECT functions_covered, functions_total FROM coverage').get(), { functions_covered: 1, functions_total: 4 });
    assert.deepEqual(sql.prepare(`SELECT reached FROM coverage_call_sites WHERE nr = 102 AND via = 'syscall(102)'`).get(), { reached: 1 });
    assert.deepEqual(sql.prepare(`SELECT reached FROM syscall_reach WHERE syscall = 'getppid'`).get(), { reached: 0 });
    const unreached = sql.prepare('SELECT syscall FROM syscall_reach WHERE reached = 0 ORDER BY nr').all().map((r) => (r as { syscall: string }).syscall);
    assert.deepEqual(unreached, stored.callSites.unreached);
  } finally {
    sql.close();
  }
});
