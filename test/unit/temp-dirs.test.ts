import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';

// test/helpers/temp-dirs.ts: a test process's temporary folders go when it ends.

const HELPER = new URL('../helpers/temp-dirs.js', import.meta.url).href;

/** Runs a Node process that makes two folders with a file each, then ends as `ending` says; returns the folders. */
function foldersOfAProcess(ending: string, env: NodeJS.ProcessEnv = {}): string[] {
  const script = `import { writeFileSync, mkdirSync } from 'node:fs';
import { tempDir } from ${JSON.stringify(HELPER)};
const dirs = [tempDir('helper-check'), tempDir('helper-check')];
mkdirSync(dirs[0] + '/sub');
writeFileSync(dirs[0] + '/sub/file', 'x');
console.log(JSON.stringify(dirs));
${ending}`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, LOUPE_KEEP_TEST_DIRS: '', ...env } });
  return JSON.parse(r.stdout.split('\n')[0]!) as string[];
}

test('a test process\'s folders are removed when it ends, passing or failing', () => {
  for (const ending of ['', 'process.exitCode = 1;', 'throw new Error("a failing test");']) {
    const dirs = foldersOfAProcess(ending);
    assert.equal(dirs.length, 2);
    for (const dir of dirs) assert.match(dir, /\/loupe-test-helper-check-/);
    assert.deepEqual(dirs.filter(existsSync), [], `left after: ${ending || 'a normal end'}`);
  }
});

test('LOUPE_KEEP_TEST_DIRS=1 keeps them', () => {
  const dirs = foldersOfAProcess('', { LOUPE_KEEP_TEST_DIRS: '1' });
  try {
    assert.deepEqual(dirs.filter(existsSync), dirs);
  } finally {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
});
