/**
 * `loupe search` on a small hand-made database with fallbacks.csv: usage lists the fallbacks,
 * plans never rely on a treatment whose fallback the OS lacks, scores count an application as
 * running only with its fallbacks supported, the SQLite export has them as a table. The same
 * database without fallbacks.csv answers as before.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CLI, tempDir } from '../helpers/cli.js';
import { formatDynCsv, rowFromVerdicts } from '../../src/db/csv.js';
import { formatFallbacksCsv } from '../../src/db/fallbacks-csv.js';
import { X86_64 } from '../../src/syscalls/table.js';

const nr = (name: string): number => X86_64.number(name)!;
const RUN = '0123456789abcdef0123456789abcdef';

function loupe(...args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Two applications on an OS that has read, write and exit_group but no clone: `threads` can
 * have clone3 stubbed but then calls clone (as glibc's pthread_create does); `plain` needs
 * write, which the OS has. Returns the database folder and the OS list.
 */
function handMadeDatabase(withFallbacks: boolean): { db: string; os: string } {
  const db = tempDir('fb-db');
  const data = (app: string): string => {
    const dir = join(db, app, 'benchmark-run', RUN, 'data');
    mkdirSync(dir, { recursive: true });
    return dir;
  };
  const threads = data('threads');
  writeFileSync(join(threads, 'dyn.csv'), formatDynCsv([rowFromVerdicts(nr('read'), false, false), rowFromVerdicts(nr('clone3'), true, false), rowFromVerdicts(nr('exit_group'), true, true)], X86_64.maxNumber));
  if (withFallbacks) {
    writeFileSync(join(threads, 'fallbacks.csv'), formatFallbacksCsv({
      [nr('clone3')]: { stub: { added: [nr('clone')], dropped: [nr('clone3')] } },
      [nr('exit_group')]: { stub: { added: [], dropped: [nr('exit_group')] }, fake: { added: [], dropped: [nr('exit_group')] } },
      // read with one argument value stubbed: measured, nothing changed.
      [`${nr('read')}/0=0`]: { stub: { added: [], dropped: [] } },
    }));
  }
  writeFileSync(join(data('plain'), 'dyn.csv'), formatDynCsv([rowFromVerdicts(nr('write'), false, false)], X86_64.maxNumber));
  const os = join(db, 'Tiny.syscalls');
  writeFileSync(os, 'read\nwrite\nexit_group\n');
  return { db, os };
}

test('usage lists fallbacks; the plan implements clone before relying on a stubbed clone3, and says why', () => {
  const { db, os } = handMadeDatabase(true);
  const usage = loupe('search', '-db', db, '--show-usage', '-a', 'threads');
  assert.equal(usage.status, 0, usage.stderr);
  assert.match(usage.stdout, /^ {2}clone3: stub falls back to clone$/m, usage.stdout);
  const usageJson = JSON.parse(loupe('search', '-db', db, '--show-usage', '--json', '--output-sys-names').stdout);
  assert.deepEqual(usageJson.fallbacks, { clone3: { stub: ['clone'] } });

  for (const planner of ['greedy', 'unlock']) {
    const plan = JSON.parse(loupe('search', '-db', db, '--guide-support', os, '--planner', planner, '--json', '--output-sys-names').stdout);
    assert.deepEqual(plan.supportedWithoutChanges, ['plain'], 'stubbing clone3 is no help on an OS without clone');
    assert.equal(plan.steps.length, 1);
    assert.deepEqual(plan.steps[0].implement, ['clone']);
    assert.deepEqual(plan.steps[0].stub, ['clone3']);
    assert.deepEqual(plan.steps[0].fallbacks, [{ syscall: 'clone3', treatment: 'stub', fallbacks: ['clone'], apps: ['threads'] }]);
  }
  const text = loupe('search', '-db', db, '--guide-support', os).stdout;
  assert.match(text, /^ {2}implement: 56$/m, text);
  assert.match(text, /^ {2}stub clone3: threads then calls clone instead \(fallback, supported from here\)$/m, text);

  const score = JSON.parse(loupe('search', '-db', db, '--compat-score', os, '--json', '--output-sys-names').stdout)[0];
  assert.deepEqual(score.runningToday, ['plain']);
  assert.deepEqual(score.mostValuableMissing, [{ syscall: 'clone', unlocks: 1, neededBy: 1 }]);
  rmSync(db, { recursive: true, force: true });
});

test('SQLite export: a fallbacks table (with measured perturbations that changed nothing) and a fallback_usage view', () => {
  const { db } = handMadeDatabase(true);
  const file = join(db, 'export.sqlite');
  assert.equal(loupe('search', '-db', db, '--export-sqlite', file).status, 0);
  const sql = new Database(file, { readonly: true });
  try {
    const rows = sql.prepare('SELECT nr, argument, scope, value, treatment, change, syscall_nr FROM fallbacks ORDER BY nr, treatment, change, syscall_nr').all();
    assert.deepEqual(rows, [
      { nr: nr('read'), argument: 0, scope: 'value', value: '0', treatment: 'stub', change: 'none', syscall_nr: null },
      { nr: nr('exit_group'), argument: null, scope: null, value: null, treatment: 'fake', change: 'dropped', syscall_nr: nr('exit_group') },
      { nr: nr('exit_group'), argument: null, scope: null, value: null, treatment: 'stub', change: 'dropped', syscall_nr: nr('exit_group') },
      { nr: nr('clone3'), argument: null, scope: null, value: null, treatment: 'stub', change: 'added', syscall_nr: nr('clone') },
      { nr: nr('clone3'), argument: null, scope: null, value: null, treatment: 'stub', change: 'dropped', syscall_nr: nr('clone3') },
    ]);
    const view = sql.prepare("SELECT application, syscall, fallback FROM fallback_usage WHERE change = 'added'").all();
    assert.deepEqual(view, [{ application: 'threads', syscall: 'clone3', fallback: 'clone' }]);
    // fallbacks.csv is a standard file: not repeated among the extra data files.
    assert.equal((sql.prepare("SELECT COUNT(*) AS n FROM extra_data_files WHERE file = 'fallbacks.csv'").get() as { n: number }).n, 0);
  } finally {
    sql.close();
  }
  rmSync(db, { recursive: true, force: true });
});

test('without fallbacks.csv: the same database plans stub clone3 at once, as before', () => {
  const { db, os } = handMadeDatabase(false);
  const plan = JSON.parse(loupe('search', '-db', db, '--guide-support', os, '--json').stdout);
  assert.deepEqual(plan.supportedWithoutChanges, ['plain', 'threads']);
  assert.deepEqual(plan.initialStub, [nr('clone3')]);
  assert.equal('initialFallbacks' in plan, false);
  const usage = JSON.parse(loupe('search', '-db', db, '--show-usage', '--json').stdout);
  assert.equal('fallbacks' in usage, false);
  rmSync(db, { recursive: true, force: true });
});
