import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LAUNCHER_EXEC_PATH_ADDRESS, SANDBOX_DIR } from '../../src/sandbox/bwrap.js';
import { REPO_ROOT } from '../helpers/cli.js';

test('the C launcher and the TypeScript side name the same sandbox folder and exec-path address', () => {
  const c = readFileSync(join(REPO_ROOT, 'src/sandbox/launcher.c'), 'utf8');
  const define = (name: string): string => {
    const match = new RegExp(`^#define ${name}\\s+(\\S+)`, 'm').exec(c);
    assert.ok(match, `launcher.c defines no ${name}`);
    return match[1]!;
  };
  assert.equal(JSON.parse(define('SANDBOX_DIR')), SANDBOX_DIR);
  assert.equal(BigInt(define('EXEC_PATH_ADDRESS').replace(/UL$/, '')), LAUNCHER_EXEC_PATH_ADDRESS);
});
