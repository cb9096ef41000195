/**
 * The Docker path of coverage: `loupe generate -d Dockerfile --coverage` with a Dockerfile that
 * builds the program twice, as shipped and with coverage, as in the original's manual recipe;
 * its stored coverage.json against a native `loupe coverage` of the same source built the same
 * way on the host (same gcc and glibc: Debian 12 on both sides), and `search --show-coverage`
 * reading it among the public database's runs.
 *
 * A C program (test/fixtures/c/coverage-sites.c) rather than lua5.4: its image takes one
 * apt-get layer and two gcc calls, where lua5.4's Debian build in an image took far longer than
 * this tier can afford (see docs/coverage.md for the figures).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CoverageReport } from '../../src/coverage/measure.js';
import { FIXTURES, REPO_ROOT, runLoupe, tempDir } from '../helpers/cli.js';
import { git } from '../helpers/git-tree.js';
import { publicDb } from '../helpers/public-db.js';

const PUBLIC_DB = publicDb();
const SOURCE = 'coverage-sites.c';

// Few steps: with the vfs storage driver each one copies the whole file system (1.2 GB once the
// tools are in). The image is kept, so that the build comes from Docker's cache while loupe-base
// and the source are unchanged; the one it replaces is removed.
const DOCKERFILE = `FROM loupe-base:latest
COPY dockerfile_data/${SOURCE} /root/build/
RUN apt-get install -y --no-install-recommends gcc libc6-dev lcov clang \\
 && cd /root/build && gcc -O0 -g -o sites ${SOURCE} && gcc -O0 -g --coverage -o sites-coverage ${SOURCE}
CMD /root/explore.py --output-csv --test-sequential -b /root/build/sites
`;

const APP_IMAGE = `loupe-run-sites:${createHash('md5').update(DOCKERFILE).digest('hex')}`;
const imageId = (name: string): string | undefined => {
  const r = spawnSync('docker', ['image', 'inspect', '--format', '{{.Id}}', name], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
};
/** The images this file replaces (loupe-base and the application's), removed at the end if no other image is built on them. */
const replaced = new Map<string, string | undefined>();

before(async () => {
  for (const name of ['loupe-base:latest', APP_IMAGE]) replaced.set(name, imageId(name));
  const setup = spawnSync('bash', [join(REPO_ROOT, 'scripts/docker-engine.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (setup.status !== 0) {
    throw new Error(`the Docker tier needs a Docker engine and the local base image, and scripts/docker-engine.sh failed (status ${setup.status}):\n${setup.stdout}${setup.stderr}`);
  }
  // loupe-base carries this tree's loupe (the coverage run happens inside the container).
  const base = await runLoupe(['base-image', '--minimal']);
  if (base.code !== 0) throw new Error(`loupe base-image failed:\n${base.stderr}`);
});

after(() => {
  for (const [name, old] of replaced) if (old !== undefined && imageId(name) !== old) spawnSync('docker', ['rmi', old], { stdio: 'ignore' });
});

/** A copy of the public database as a git repository of its own. */
function publicDatabase(): string {
  const db = join(tempDir('coverage-docker-db'), 'loupedb');
  cpSync(PUBLIC_DB, db, { recursive: true });
  spawnSync('chmod', ['-R', 'u+w', db]);
  git(db, 'init', '--quiet');
  git(db, 'add', '-A');
  git(db, 'commit', '--quiet', '-m', 'public data');
  return db;
}

/** `loupe coverage` on the host: the same source and gcc flags as the image's instrumented build. */
async function nativeCoverage(): Promise<CoverageReport> {
  const dir = tempDir('coverage-native');
  copyFileSync(join(FIXTURES, 'c', SOURCE), join(dir, SOURCE));
  const gcc = spawnSync('gcc', ['-O0', '-g', '--coverage', '-o', 'sites-coverage', SOURCE], { cwd: dir, encoding: 'utf8' });
  assert.equal(gcc.status, 0, gcc.stderr);
  const r = await runLoupe(['coverage', '-b', join(dir, 'sites-coverage'), '--source', dir, '--test-sequential', '--json'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as CoverageReport;
}

test('generate -d --coverage stores the container\'s coverage.json, equal to a native run\'s; search --show-coverage reads it', async () => {
  const project = tempDir('coverage-docker');
  mkdirSync(join(project, 'dockerfile_data'));
  copyFileSync(join(FIXTURES, 'c', SOURCE), join(project, 'dockerfile_data', SOURCE));
  writeFileSync(join(project, 'Dockerfile.sites'), DOCKERFILE);
  const db = publicDatabase();
  const out = await runLoupe(['generate', '-s', '-db', db, '-a', 'sites', '-w', 'run', '-d', 'Dockerfile.sites', '--replicas', '1', '-q', '--json',
    '--coverage', '/root/build', '--coverage-binary', '/root/build/sites-coverage'], { cwd: project });
  assert.equal(out.code, 0, out.stderr);
  const data = join(db, 'sites/suite-run', JSON.parse(out.stdout).run, 'data');
  assert.deepEqual(readdirSync(data).filter((f) => f === 'coverage.json' || f === 'dyn.csv').sort(), ['coverage.json', 'dyn.csv']);
  const stored = JSON.parse(readFileSync(join(data, 'coverage.json'), 'utf8')) as CoverageReport;
  assert.equal(stored.binary, '/root/build/sites-coverage');
  assert.equal(stored.source, '/root/build');
  assert.deepEqual(stored.workload, { verdict: 'works', stopped: 'exited' });

  // Same source, same gcc and glibc: the same totals, the same lines covered, the same call sites reached.
  const native = await nativeCoverage();
  assert.deepEqual([stored.lines, stored.functions, stored.branches], [native.lines, native.functions, native.branches]);
  assert.deepEqual(stored.functions, { covered: 1, total: 4 }, 'main alone runs');
  const sites = (r: CoverageReport): string[] => r.syscalls.flatMap((s) => s.sites.map((site) => `${s.name} ${site.file}:${site.line} ${site.via} ${site.reached}`)).sort();
  assert.deepEqual(sites(stored), sites(native));
  assert.deepEqual(stored.callSites, native.callSites);

  const search = await runLoupe(['search', '--db', db, '--show-coverage', '--json']);
  assert.equal(search.code, 0, search.stderr);
  const rows = JSON.parse(search.stdout) as { application: string; lines: unknown; callSites: { unreached: string[] } }[];
  assert.deepEqual(rows.map((r) => r.application), ['sites'], 'the public runs have no coverage.json');
  assert.deepEqual(rows[0]!.lines, stored.lines);
  assert.deepEqual(rows[0]!.callSites.unreached, stored.callSites!.unreached);
  const text = await runLoupe(['search', '--db', db, '--show-coverage']);
  assert.match(text.stdout, /sites suite-run: lines [\d.]+% \(\d+ of \d+\), functions 25\.0% \(1 of 4\)/);
});
