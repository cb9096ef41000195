import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testFilesNamed } from '../../src/generate/native-record.js';

// Which files beside a test script travel with a native run (test/<file> in the run folder).

const beside = (...files: string[]) => (path: string): boolean => files.includes(path);

test('names written in the usual ways of reaching a file beside the script are found', () => {
  const files = beside('expected.txt', 'data/in.txt', 'check.py', 'reference.json');
  const script = [
    '#!/bin/sh',
    'here=$(dirname "$0")',
    'cmp -s "$1" "$(dirname "$0")/expected.txt" || exit 1',
    'python3 ./check.py "$1" "$here/data/in.txt"',
    "ref = os.path.join(os.path.dirname(__file__), 'reference.json')",
  ].join('\n');
  assert.deepEqual(testFilesNamed(script, files), ['check.py', 'data/in.txt', 'expected.txt', 'reference.json']);
});

test('comment lines, names outside the folder and names of absent files are not kept', () => {
  const files = beside('workload.sql', 'expected.txt', 'x');
  const script = [
    '#!/bin/sh',
    '# $1 is the log of `sqlite3 db ".read workload.sql"`',
    'grep -q rows "$1" && cat ../expected.txt && ls /usr/bin/wrk missing.txt',
  ].join('\n');
  assert.deepEqual(testFilesNamed(script, files), []);
});

test('the bundled examples\' test scripts name no file beside them: their runs keep their names', async () => {
  const { readFileSync, readdirSync, statSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { EXAMPLES } = await import('../helpers/cli.js');
  for (const example of readdirSync(EXAMPLES)) {
    const dir = join(EXAMPLES, example);
    const isFile = (rel: string): boolean => {
      try {
        return statSync(join(dir, rel)).isFile() && rel !== 'test.sh';
      } catch {
        return false;
      }
    };
    assert.deepEqual(testFilesNamed(readFileSync(join(dir, 'test.sh'), 'utf8'), isFile), [], example);
  }
});
