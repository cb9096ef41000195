import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  classOf, formatDynCsv, formatStaticCsv, parseDynCsv, parseStaticCsv, rowFromVerdicts, CsvFormatError, DYN_CSV_HEADER,
} from '../../src/db/csv.js';
import { publicDb } from '../helpers/public-db.js';

test('dyn.csv round-trips and has one row per number up to the maximum', () => {
  const rows = [rowFromVerdicts(0, false, false), rowFromVerdicts(1, true, true), rowFromVerdicts(3, false, true), rowFromVerdicts(435, true, false)];
  const text = formatDynCsv(rows, 467);
  const lines = text.trimEnd().split('\n');
  assert.equal(lines[0], DYN_CSV_HEADER);
  assert.equal(lines.length, 1 + 468);
  assert.equal(lines[1], '0,Y,N,N,N');
  assert.equal(lines[2], '1,Y,N,N,Y');
  assert.equal(lines[3], '2,N,N,N,N');
  assert.equal(lines[4], '3,Y,Y,N,N', 'works when faked only: column 3');
  assert.equal(lines[436], '435,Y,N,Y,N', 'works when stubbed only: column 4');
  const back = parseDynCsv(text);
  assert.deepEqual(back.filter((r) => r.used).map((r) => [r.nr, classOf(r)]), [[0, 'required'], [1, 'both'], [3, 'fakeOnly'], [435, 'stubOnly']]);
});

test('dyn.csv reader accepts a missing header and final newline, and rejects malformed rows with the line number', () => {
  assert.equal(parseDynCsv('0,Y,N,N,N\n1,N,N,N,N').length, 2);
  assert.throws(() => parseDynCsv('# h\n0,Y,N,N,N\n1,Y,Y,X,N\n', 'x.csv'), (e: unknown) => e instanceof CsvFormatError && /x\.csv:3/.test(e.message));
  assert.throws(() => parseDynCsv('0,Y,N\n'), /5 fields expected/);
  assert.throws(() => parseDynCsv('zero,Y,N,N,N\n'), /syscall number expected/);
});

test('old imported rows with overlapping "works" columns are normalised, with a warning', () => {
  const warnings: string[] = [];
  const rows = parseDynCsv('0,Y,Y,Y,Y\n1,Y,Y,N,N\n2,N,Y,N,N\n3,Y,Y,Y,N\n', 'old.csv', (w) => warnings.push(w));
  assert.deepEqual(rows.map(classOf), ['both', 'fakeOnly', undefined, 'both']);
  assert.equal(warnings.length, 3);
  assert.match(warnings[1]!, /old\.csv:3: unused syscall 2/);
});

test('static csv round-trips', () => {
  const text = formatStaticCsv([3, 0, 439], 467);
  assert.ok(text.startsWith('# syscall, used\n0,Y\n1,N\n'));
  assert.deepEqual(parseStaticCsv(text), [0, 3, 439]);
});

test('every CSV file of the public database parses', () => {
  const root = publicDb();
  let files = 0;
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const p = join(dir, entry);
      if (statSync(p).isDirectory()) walk(p);
      else if (entry === 'dyn.csv') { parseDynCsv(readFileSync(p, 'utf8'), p); files++; }
      else if (entry.startsWith('static_') && entry.endsWith('.csv')) { parseStaticCsv(readFileSync(p, 'utf8'), p); files++; }
    }
  };
  walk(root);
  assert.ok(files >= 230, `expected the public data set's ~239 CSV files, read ${files}`);
});
