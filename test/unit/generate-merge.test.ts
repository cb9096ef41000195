import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classOf, rowFromVerdicts, unusedRow } from '../../src/db/csv.js';
import { checkPlausible, describeDisagreements, mergeReplicas, mergeSubfeatureCsv } from '../../src/generate/merge.js';
import { X86_64 } from '../../src/syscalls/table.js';

test('replicas that agree merge to the same rows, with no disagreement', () => {
  const replica = [rowFromVerdicts(0, false, false), rowFromVerdicts(1, true, true), rowFromVerdicts(3, true, false)];
  const { rows, disagreements } = mergeReplicas([replica, replica], X86_64);
  assert.equal(rows.length, X86_64.maxNumber + 1);
  assert.deepEqual(disagreements, []);
  assert.deepEqual(rows.filter((r) => r.used).map((r) => [r.nr, classOf(r)]), [[0, 'required'], [1, 'both'], [3, 'stubOnly']]);
});

test('a disagreement makes the syscall used and required, and is reported with every verdict', () => {
  const a = [rowFromVerdicts(1, true, true), rowFromVerdicts(16, true, false), unusedRow(2)];
  const b = [rowFromVerdicts(1, true, true), rowFromVerdicts(16, false, false), rowFromVerdicts(2, false, true)];
  const c = [rowFromVerdicts(1, true, true), rowFromVerdicts(16, true, false), unusedRow(2)];
  const { rows, disagreements } = mergeReplicas([a, b, c], X86_64);
  assert.equal(classOf(rows[1]!), 'both');
  assert.equal(classOf(rows[16]!), 'required');
  assert.equal(classOf(rows[2]!), 'required', 'used by one replica only: counted as used and required');
  assert.deepEqual(disagreements, [
    { nr: 2, name: 'open', verdicts: ['unused', 'fakeOnly', 'unused'] },
    { nr: 16, name: 'ioctl', verdicts: ['stubOnly', 'required', 'stubOnly'] },
  ]);
  assert.deepEqual(describeDisagreements(disagreements), [
    '  open (2): replica 1 unused, replica 2 fakeOnly, replica 3 unused',
    '  ioctl (16): replica 1 stubOnly, replica 2 required, replica 3 stubOnly',
  ]);
});

test('the validity check refuses none, all, or no used syscall removable, and accepts a mix', () => {
  assert.match(checkPlausible([unusedRow(0)])!.message, /no used syscall/);
  assert.match(checkPlausible([rowFromVerdicts(0, false, false), rowFromVerdicts(1, false, false)])!.message, /none of the 2 used/);
  assert.match(checkPlausible([rowFromVerdicts(0, true, false), rowFromVerdicts(1, false, true)])!.message, /all 2 used/);
  assert.equal(checkPlausible([rowFromVerdicts(0, false, false), rowFromVerdicts(1, true, true), unusedRow(2)]), undefined);
});

test('sub-feature CSVs merge with the same rule: agreement kept, disagreement N,N and reported', () => {
  const header = '# syscall, argument, scope, value, label, works stubbed, works faked';
  const a = `${header}\nioctl,1,value,21505,TCGETS,Y,Y\nioctl,1,value,21523,TIOCGWINSZ,Y,N\nfcntl,1,value,1,F_GETFD,-,Y\n`;
  const b = `${header}\nioctl,1,value,21505,TCGETS,Y,Y\nioctl,1,value,21523,TIOCGWINSZ,N,N\n`;
  const { text, disagreements } = mergeSubfeatureCsv('subfeature-ioctl.csv', [a, b]);
  assert.equal(text, `${header}\nioctl,1,value,21505,TCGETS,Y,Y\nioctl,1,value,21523,TIOCGWINSZ,N,N\nfcntl,1,value,1,F_GETFD,-,Y\n`);
  assert.deepEqual(disagreements, [{ file: 'subfeature-ioctl.csv', key: 'ioctl,1,value,21523,TIOCGWINSZ', verdicts: ['Y,N', 'N,N'] }]);
  assert.equal(mergeSubfeatureCsv('x', [a, undefined]).text, a, 'a file one replica did not write: the other\'s rows are kept');
});
