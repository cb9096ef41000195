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

test('the launcher makes the marker syscall the recorder arms on (same number in both C files)', () => {
  const marker = (file: string): string => {
    const match = /^#define RECORD_MARKER_NR\s+(\S+)/m.exec(readFileSync(join(REPO_ROOT, file), 'utf8'));
    assert.ok(match, `${file} defines no RECORD_MARKER_NR`);
    return match[1]!;
  };
  assert.equal(marker('src/sandbox/launcher.c'), marker('src/trace/syscall-counter.c'));
  // Beyond every syscall table (no kernel implements it) and below the x32 bit.
  assert.ok(Number(marker('src/sandbox/launcher.c')) > 1024 && Number(marker('src/sandbox/launcher.c')) < 0x40000000);
});
