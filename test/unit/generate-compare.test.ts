import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rowFromVerdicts, unusedRow } from '../../src/db/csv.js';
import { compareRuns, formatChanges } from '../../src/generate/compare.js';
import { X86_64 } from '../../src/syscalls/table.js';

test('a reproduction is compared class by class, and the changes print as a table', () => {
  const before = [rowFromVerdicts(0, false, false), rowFromVerdicts(1, true, true), unusedRow(2), rowFromVerdicts(3, true, false)];
  const after = [rowFromVerdicts(0, false, false), rowFromVerdicts(1, false, true), rowFromVerdicts(2, false, false), rowFromVerdicts(3, true, false)];
  const changes = compareRuns(before, after, X86_64);
  assert.deepEqual(changes, [
    { nr: 1, name: 'write', before: 'both', after: 'fakeOnly' },
    { nr: 2, name: 'open', before: 'unused', after: 'required' },
  ]);
  assert.equal(formatChanges(changes), [
    'syscall  nr  before  after',
    '-------  --  ------  --------',
    'write    1   both    fakeOnly',
    'open     2   unused  required',
    '',
  ].join('\n'));
  assert.equal(formatChanges([]), 'No syscall changed class.\n');
});
