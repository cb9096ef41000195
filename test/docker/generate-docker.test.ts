import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDynCsv } from '../../src/db/csv.js';
import { parseFallbacksCsv } from '../../src/db/fallbacks-csv.js';
import { EXAMPLES, REPO_ROOT, runLoupe, startLoupe, waitFor } from '../helpers/cli.js';
import { snapshot, tempRepo } from '../helpers/git-tree.js';
import { tempDir } from '../helpers/temp-dirs.js';
import { writeJournalRecord } from '../../src/generate/journal-record.js';

// The Docker tier: a local engine, a local base image (debootstrap + docker import), loupe-base,
// and `loupe generate -d` with a Dockerfile written in the original tool's style.

const imageId = (name: string): string | undefined =>
  spawnSync('docker', ['image', 'inspect', '--format', '{{.Id}}', name], { encoding: 'utf8' }).stdout.trim() || undefined;
let previousBase: string | undefined;

before(() => {
  previousBase = imageId('loupe-base:latest');
  const setup = spawnSync('bash', [join(REPO_ROOT, 'scripts/docker-engine.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (setup.status !== 0) {
    throw new Error(`the Docker tier needs a Docker engine and the local base image, and scripts/docker-engine.sh failed (status ${setup.status}):\n${setup.stdout}${setup.stderr}`);
  }
});

// With the vfs storage driver every image is a full copy: remove what the tier built (the images
// of its Dockerfiles, and the loupe-base its rebuild left without a name). Not `docker image
// prune`: it would also delete the intermediate images of builds running at the same time (the
// other Docker test files, run side by side), which then fail with "No such image".
const builtImages = new Set<string>();
after(() => {
  if (builtImages.size > 0) spawnSync('docker', ['rmi', '--force', ...builtImages], { stdio: 'ignore' });
  if (previousBase !== undefined && previousBase !== imageId('loupe-base:latest')) spawnSync('docker', ['rmi', previousBase], { stdio: 'ignore' });
});

/** A folder holding Dockerfile.lua (the given text) and dockerfile_data/ with the bundled lua example. */
function luaProject(dockerfile: string): string {
  const dir = tempDir('docker-lua');
  mkdirSync(join(dir, 'dockerfile_data'));
  for (const f of ['hello.lua', 'test.sh']) cpSync(join(EXAMPLES, 'lua', f), join(dir, 'dockerfile_data', f));
  writeFileSync(join(dir, 'Dockerfile.lua'), dockerfile);
  builtImages.add(`loupe-run-lua:${createHash('md5').update(dockerfile).digest('hex')}`);
  return dir;
}

const ORIGINAL_STYLE = `FROM loupe-base:latest

RUN apt-get update && apt-get install -y lua5.4

COPY dockerfile_data/hello.lua dockerfile_data/test.sh /root/

CMD /root/explore.py --output-csv --final-check --test-sequential -t /root/test.sh \\
    -b /usr/bin/lua5.4 -- /root/hello.lua
`;

const generate = (db: string, ...extra: string[]): string[] => ['generate', '-s', '-db', db, '-a', 'lua', '-w', 'hello', '-d', 'Dockerfile.lua', '-q', ...extra];

test('loupe base-image builds loupe-base from the local image', async () => {
  const out = await runLoupe(['base-image', '--minimal']);
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, /Built loupe-base:latest from local\/debian:bookworm/);
});

test('a Dockerfile in the original style is built, analysed in 2 replicas and stored under its md5', async () => {
  const dir = luaProject(ORIGINAL_STYLE);
  const db = tempRepo();
  const out = await runLoupe(generate(db, '--commit'), { cwd: dir });
  assert.equal(out.code, 0, out.stderr);
  const run = createHash('md5').update(ORIGINAL_STYLE).digest('hex');
  const folder = join(db, 'lua/suite-hello', run);
  assert.deepEqual(readdirSync(folder).sort(), ['Dockerfile.lua', 'cmd.txt', 'data', 'dockerfile_data', 'explore.logs']);
  assert.equal(readFileSync(join(folder, 'Dockerfile.lua'), 'utf8'), ORIGINAL_STYLE);
  assert.deepEqual(readdirSync(join(folder, 'dockerfile_data')).sort(), ['hello.lua', 'test.sh']);
  assert.deepEqual(readdirSync(join(folder, 'data')).sort(), ['dyn.csv', 'fallbacks.csv', 'static_binary.csv']);
  // Fallbacks are measured inside the container too (BPF with the capabilities granted, a cgroup2
  // hierarchy mounted by explore): lua ends with exit_group and, stubbed, glibc's _exit calls exit.
  const fallbacks = parseFallbacksCsv(readFileSync(join(folder, 'data/fallbacks.csv'), 'utf8'), 'fallbacks.csv');
  assert.deepEqual(fallbacks['231']?.stub?.added, [60], JSON.stringify(fallbacks['231']));
  const used = parseDynCsv(readFileSync(join(folder, 'data/dyn.csv'), 'utf8')).filter((r) => r.used).map((r) => r.nr);
  assert.ok(used.includes(59) && used.includes(231), `execve and exit_group are used (got ${used.join(',')})`);
  assert.match(readFileSync(join(folder, 'explore.logs'), 'utf8'), /\*\*\*\* Logs of replica #2 \*\*\*\*/);
  assert.match(out.stdout, /committed as/);
});

test('an interrupted analysis of the same run in another image is named, with why it is not resumed, and goes once this one is stored', async () => {
  const dir = luaProject(ORIGINAL_STYLE);
  const db = tempRepo();
  const cache = tempDir('cache');
  // What an analysis interrupted before the image was built again leaves: its journal, and the record of its image.
  const interrupted = join(cache, 'loupe', 'journal', 'interrupted');
  mkdirSync(interrupted, { recursive: true });
  const oldImage = `sha256:${'0'.repeat(64)}`;
  writeJournalRecord(interrupted, { db, app: 'lua', workload: 'suite-hello', kind: 'docker', runName: createHash('md5').update(ORIGINAL_STYLE).digest('hex'), image: { id: oldImage, ancestry: [oldImage] } });
  writeFileSync(join(interrupted, 'replica-1.jsonl'), '{"id":"stub:read"}\n'.repeat(3));
  const out = await runLoupe(generate(db, '--replicas', '1'), { cwd: dir, env: { ...process.env, XDG_CACHE_HOME: cache } });
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stderr, /warning: an interrupted analysis of this run recorded 3 experiments \(journal \S+\/interrupted\) in image 000000000000; this analysis runs in image [0-9a-f]{12}, so it starts afresh: the image was built again with other layers/);
  assert.equal(existsSync(interrupted), false, 'stored: the interrupted analysis would only replace it with an older image\'s result');
  assert.deepEqual(readdirSync(join(cache, 'loupe', 'journal')), [], 'and this analysis\' own journal went too');
});

test('--only-build-docker builds the image and stops; reproduce re-runs the stored run from its Dockerfile', async () => {
  const dir = luaProject(ORIGINAL_STYLE);
  const db = tempRepo();
  const before = snapshot(db);
  const build = await runLoupe(generate(db, '--only-build-docker'), { cwd: dir });
  assert.equal(build.code, 0, build.stderr);
  assert.match(build.stdout, /Built image loupe-run-lua:[0-9a-f]{32} \(--only-build-docker: no analysis\)/);
  assert.equal(snapshot(db), before);

  const stored = await runLoupe(generate(db, '--replicas', '1', '--commit'), { cwd: dir });
  assert.equal(stored.code, 0, stored.stderr);
  const folder = join(db, 'lua/suite-hello', createHash('md5').update(ORIGINAL_STYLE).digest('hex'));
  const reproduced = await runLoupe(['reproduce', folder, '--replicas', '1', '--no-store', '--json']);
  assert.equal(reproduced.code, 0, reproduced.stderr);
  const report = JSON.parse(reproduced.stdout);
  assert.equal(report.reproducedAs, report.run, 'the same Dockerfile: the same run');
  // Under load a verdict can differ: say why the stored run judged each changed syscall as it did.
  const changed = (report.changes as { name: string }[]).map((c) => c.name);
  const why = readFileSync(join(folder, 'explore.logs'), 'utf8').split('\n').filter((line) => changed.some((name) => new RegExp(`^\\w+\\s+(stub|fake) ${name}\\b`).test(line)));
  assert.deepEqual(report.changes, [], `the lua example is deterministic; the stored run's verdicts of the changed syscalls:\n${why.join('\n')}`);
  assert.equal(report.stored, null);
});

test('a failing build names the failing step, and the database is untouched', async () => {
  const dir = luaProject('FROM loupe-base:latest\nRUN echo preparing\nRUN exit 3\nCMD /root/explore.py --output-csv -b /bin/true\n');
  const db = tempRepo();
  const before = snapshot(db);
  const out = await runLoupe(generate(db), { cwd: dir });
  assert.equal(out.code, 3, out.stderr);
  assert.match(out.stderr, /building image .* failed at step 3\/4 : RUN exit 3\n.*returned a non-zero code: 3/);
  // The tier's loupe-base is the minimal one: a failing build says so, since the original's Dockerfiles may need its tools.
  assert.match(out.stderr, /loupe: hint: the whole build output is in .*; loupe-base:latest is the minimal base .*rebuild it with `loupe base-image`/);
  assert.equal(snapshot(db), before);
});

test('a container whose analysis fails makes generate fail with its message, database untouched', async () => {
  const dir = luaProject('FROM loupe-base:latest\nCMD /root/explore.py --output-csv -b /no/such/program -- x\n');
  const db = tempRepo();
  const before = snapshot(db);
  const out = await runLoupe(generate(db, '--replicas', '1'), { cwd: dir });
  assert.notEqual(out.code, 0);
  assert.match(out.stderr, /replica 1: the analysis container exited with status \d+\n/);
  assert.match(out.stderr, /no\/such\/program/);
  assert.equal(snapshot(db), before);
});

test('Ctrl-C during the analysis removes the containers and leaves the database untouched', async () => {
  const dir = luaProject(ORIGINAL_STYLE);
  const db = tempRepo();
  const before = snapshot(db);
  const { child, result } = startLoupe(generate(db), { cwd: dir });
  const ours = (): string[] => {
    const ps = spawnSync('docker', ['ps', '--all', '--format', '{{.Names}}', '--filter', `name=loupe-${child.pid}-`], { encoding: 'utf8' });
    return ps.stdout.split('\n').filter(Boolean);
  };
  await waitFor(() => ours().length === 2, 240_000, 'both replica containers to start');
  child.kill('SIGINT');
  const out = await result;
  assert.equal(out.code, 130, out.stderr);
  assert.deepEqual(ours(), [], 'generate exits once the engine has removed its containers');
  assert.equal(snapshot(db), before);
  assert.ok(!existsSync(join(db, 'lua')));
});

// Inside generate's container every run has its own copy-on-write view too: `mv` consumes its
// input, so if one run's writes reached the container's files the next run (the baseline, right
// after discovery) would find no input, and the analysis would stop there. One COPY: under the
// vfs storage driver every layer is a whole copy of the image's files.
const MOVE_STYLE = `FROM loupe-base:latest

COPY dockerfile_data/ /root/

CMD /root/explore.py --output-csv --test-sequential -t /root/test.sh -b /bin/mv -- /root/input.txt /root/output.txt
`;

test('inside the container, each run starts from the same files: a workload that consumes its input is analysed', async () => {
  const dir = tempDir('docker-mv');
  mkdirSync(join(dir, 'dockerfile_data'));
  // The script sees the run's own files: the output made, the input gone.
  writeFileSync(join(dir, 'dockerfile_data', 'test.sh'), '#!/bin/sh\ngrep -qx alpha /root/output.txt && [ ! -e /root/input.txt ]\n', { mode: 0o755 });
  writeFileSync(join(dir, 'dockerfile_data', 'input.txt'), 'alpha\n');
  writeFileSync(join(dir, 'Dockerfile.mv'), MOVE_STYLE);
  builtImages.add(`loupe-run-mv:${createHash('md5').update(MOVE_STYLE).digest('hex')}`);
  const db = tempRepo();
  const out = await runLoupe(['generate', '-s', '-db', db, '-a', 'mv', '-w', 'consume', '-d', 'Dockerfile.mv', '-q', '--replicas', '1', '--commit'], { cwd: dir });
  assert.equal(out.code, 0, out.stderr);
  const folder = join(db, 'mv/suite-consume', createHash('md5').update(MOVE_STYLE).digest('hex'));
  const rows = parseDynCsv(readFileSync(join(folder, 'data/dyn.csv'), 'utf8'));
  const renames = rows.filter((r) => r.used && [82, 264, 316].includes(r.nr));
  assert.ok(renames.length > 0, 'mv renames its input (rename, renameat or renameat2)');
  // Every experiment ran against an intact input: a rename perturbed alone cannot break them all.
  assert.ok(rows.filter((r) => r.used).some((r) => r.fakeOnly || r.stubOnly || r.both), 'some syscall can be stubbed or faked');
});
