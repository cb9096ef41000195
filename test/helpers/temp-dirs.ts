import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Temporary folders of a test process (`/tmp/loupe-test-<prefix>-XXXXXX`), removed when the
 * process exits (each test file runs in a process of its own), pass or fail, unless
 * LOUPE_KEEP_TEST_DIRS=1 keeps them for a look at what a failing test left.
 */
const made: string[] = [];
let registered = false;

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `loupe-test-${prefix}-`));
  if (process.env.LOUPE_KEEP_TEST_DIRS === '1') return dir;
  made.push(dir);
  if (!registered) {
    registered = true;
    process.on('exit', removeTempDirs);
  }
  return dir;
}

function removeTempDirs(): void {
  for (const dir of made.splice(0)) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 2 });
    } catch (err) {
      // A folder still in use (a mount left by a failed run) is named, not fatal to the test's result.
      process.stderr.write(`could not remove the test folder ${dir}: ${(err as Error).message}\n`);
    }
  }
}
