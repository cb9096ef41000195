import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { REPO_ROOT } from '../helpers/cli.js';

test('npx loupe --help works in the repository', () => {
  const run = spawnSync('npx', ['--no-install', 'loupe', '--help'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /Usage: loupe/);
  assert.match(run.stdout, /explore/);
});

test('the package ships what loupe explore needs: the CLI, the seccomp launcher, the examples', () => {
  const run = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 });
  assert.equal(run.status, 0, run.stderr);
  const files = new Set((JSON.parse(run.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path));
  for (const needed of ['dist/src/cli/main.js', 'dist/bin/loupe-launch', 'dist/bin/loupe-isolate', 'dist/src/core/errors.js', 'examples/lua/test.sh', 'docker/loupe-base/Dockerfile']) {
    assert.ok(files.has(needed), `npm pack leaves out ${needed}`);
  }
});
