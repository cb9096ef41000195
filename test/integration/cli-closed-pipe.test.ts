import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, tempDir } from '../helpers/cli.js';

/**
 * A writing end whose reader is gone, as `loupe ... | head -1` leaves it once head has exited:
 * a FIFO opened for reading (non-blocking, so the writer's open does not wait), then for writing,
 * then its reading end closed. Every write to it fails with EPIPE, not by chance of timing.
 */
function pipeWithoutReader(): number {
  const fifo = join(tempDir('closed-pipe'), 'fifo');
  const mk = spawnSync('mkfifo', [fifo]);
  assert.equal(mk.status, 0, `mkfifo failed (coreutils): ${mk.stderr}`);
  const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const writer = openSync(fifo, constants.O_WRONLY);
  closeSync(reader);
  return writer;
}

for (const args of [['--help'], ['explore', '--help'], ['search', '--help'], ['generate', '--help']]) {
  test(`loupe ${args.join(' ')} into a pipe whose reader is gone ends quietly, without a stack trace`, () => {
    const stdout = pipeWithoutReader();
    try {
      const run = spawnSync(process.execPath, [CLI, ...args], { stdio: ['ignore', stdout, 'pipe'], encoding: 'utf8', timeout: 60_000 });
      assert.doesNotMatch(run.stderr, /EPIPE|Unhandled|at .*\.js:\d+/, run.stderr);
      assert.equal(run.status, 0, run.stderr);
    } finally {
      closeSync(stdout);
    }
  });
}
