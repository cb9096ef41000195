import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runLoupe } from '../helpers/cli.js';
import { snapshot, tempRepo } from '../helpers/git-tree.js';
import { tempDir } from '../helpers/temp-dirs.js';

// Bad input to `loupe generate` that is found before any container or replica runs (no engine needed).

function project(dockerfile?: string): string {
  const dir = tempDir('badinput');
  if (dockerfile !== undefined) writeFileSync(join(dir, 'Dockerfile.app'), dockerfile);
  return dir;
}

const generate = (db: string): string[] => ['generate', '-b', '-db', db, '-a', 'app', '-w', 'bench', '-d', 'Dockerfile.app'];

test('missing, malformed and incomplete Dockerfiles, and a missing engine: clear message, exit status, database untouched', async () => {
  const cases: { dockerfile?: string; env?: NodeJS.ProcessEnv; code: number; message: RegExp }[] = [
    { code: 3, message: /Dockerfile Dockerfile\.app does not exist/ },
    { dockerfile: 'this is not a Dockerfile\n', code: 3, message: /first instruction must be FROM/ },
    { dockerfile: 'FROM loupe-base:latest\nRUN true\n', code: 3, message: /has no CMD.*\n.*hint: .*explore\.py/ },
    { dockerfile: 'FROM loupe-base:latest\nCOPY dockerfile_data/test.sh /root/\nCMD /root/explore.py -b /bin/true\n', code: 3, message: /dockerfile_data\/test\.sh, which does not exist/ },
    {
      dockerfile: 'FROM loupe-base:latest\nCMD /root/explore.py --final-check -b /bin/true\n',
      env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
      code: 4,
      message: /no Docker engine answers.*\n.*hint: .*scripts\/docker-engine\.sh/,
    },
  ];
  for (const c of cases) {
    const db = tempRepo();
    const before = snapshot(db);
    const out = await runLoupe(generate(db), { cwd: project(c.dockerfile), env: { ...process.env, ...c.env } });
    assert.equal(out.code, c.code, `${c.message}: ${out.stderr}`);
    assert.match(out.stderr, c.message);
    assert.equal(snapshot(db), before);
  }
});

test('explore options and a command are refused with -d: the Dockerfile describes the analysis', async () => {
  const db = tempRepo();
  const out = await runLoupe([...generate(db), '-t', 'x.sh'], { cwd: project('FROM x\nCMD /root/explore.py\n') });
  assert.equal(out.code, 2);
  assert.match(out.stderr, /described by the Dockerfile's CMD/);
});

test('a native --coverage build that is not one is refused before the replicas run', async () => {
  const db = tempRepo();
  const before = snapshot(db);
  const notABuild = tempDir('notabuild');
  const native = ['generate', '-s', '-db', db, '-a', 'app', '-w', 'w', '--test-sequential'];
  const missing = await runLoupe([...native, '--coverage', join(notABuild, 'nope'), '--', '/bin/true']);
  assert.equal(missing.code, 3, missing.stderr);
  assert.match(missing.stderr, /nope is not a directory/);
  const empty = await runLoupe([...native, '--coverage', notABuild, '--', '/bin/true']);
  assert.equal(empty.code, 3, empty.stderr);
  assert.match(empty.stderr, /no \.gcno files under .*\n.*hint: .*give its build tree with --coverage/);
  assert.doesNotMatch(missing.stderr + empty.stderr, /running \d replicas/);
  assert.equal(snapshot(db), before);
});

test('reproduce names a run folder that is missing or is a file, with the layout it expects', async () => {
  const dir = tempDir('reproduce');
  const file = join(dir, 'hello.lua');
  writeFileSync(file, 'print(1)\n');
  const missing = await runLoupe(['reproduce', join(dir, 'nope')]);
  assert.equal(missing.code, 3, missing.stderr);
  assert.match(missing.stderr, /run folder .*nope does not exist\n.*hint: give a folder DB\/APP\/benchmark-NAME\/RUN/);
  const onFile = await runLoupe(['reproduce', file]);
  assert.equal(onFile.code, 3, onFile.stderr);
  assert.match(onFile.stderr, /run folder .*hello\.lua is a file, not a folder/);
});
