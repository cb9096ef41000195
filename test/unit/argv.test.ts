import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normaliseArgv } from '../../src/cli/argv.js';

test('-db is rewritten to --db, including the = form', () => {
  assert.deepEqual(normaliseArgv(['search', '-db', 'x', '-a', 'nginx']), ['search', '--db', 'x', '-a', 'nginx']);
  assert.deepEqual(normaliseArgv(['-db=../loupedb']), ['--db=../loupedb']);
});

test('arguments after -- belong to the application and are untouched', () => {
  assert.deepEqual(normaliseArgv(['explore', '--', 'prog', '-db']), ['explore', '--', 'prog', '-db']);
});
