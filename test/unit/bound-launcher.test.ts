import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { boundLauncher } from '../../src/sandbox/bound-launcher.js';
import { tempDir } from '../helpers/temp-dirs.js';

test('the bound launcher is a copy carrying the analysed binary\'s times, still executable', () => {
  const dir = tempDir('bound');
  const launcher = join(dir, 'launch');
  const binary = join(dir, 'prog');
  writeFileSync(launcher, 'launcher bytes');
  chmodSync(launcher, 0o755);
  writeFileSync(binary, 'program bytes');
  utimesSync(binary, 946684800, 946684900);
  const bound = boundLauncher(launcher, binary, dir);
  assert.notEqual(bound, launcher);
  assert.equal(readFileSync(bound, 'utf8'), 'launcher bytes');
  assert.equal(statSync(bound).mtimeMs, 946684900_000);
  assert.equal(statSync(bound).mode & 0o111, 0o111);
  assert.equal(statSync(launcher).mtimeMs === 946684900_000, false, 'the launcher itself is left alone');
  assert.equal(boundLauncher(launcher, join(dir, 'missing'), dir), launcher, 'an unreadable binary: preflight names it, the launcher is used as is');
});
