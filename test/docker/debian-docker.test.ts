import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { classOf, parseDynCsv } from '../../src/db/csv.js';
import { X86_64 } from '../../src/syscalls/table.js';
import { REPO_ROOT, runLoupe } from '../helpers/cli.js';
import { git, snapshot, tempRepo, writeFiles } from '../helpers/git-tree.js';

// `loupe debian` with real Debian source packages from the mirror apt uses: gzip (a hand-written
// debian/rules whose test step is `make -C builddir check`), sl (dh, no test target), ucf (its
// build fails, whatever the mirror or the machine: it builds only an `Architecture: all` package,
// and dpkg-buildpackage -B, which builds the architecture-dependent ones, stops with "binary build
// with no binary artifacts found"; ucf is small, needs only debhelper, and the project's mirror
// serves it, unlike netbase's .tar.xz, which it answers with 404). Every run keeps its images
// (--keep-image) so that gzip is built once; `after` removes them.

before(async () => {
  const setup = spawnSync('bash', [join(REPO_ROOT, 'scripts/docker-engine.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (setup.status !== 0) {
    throw new Error(`the Docker tier needs a Docker engine and the local base image, and scripts/docker-engine.sh failed (status ${setup.status}):\n${setup.stdout}${setup.stderr}`);
  }
  // Always (a cached build when nothing changed): the analysis runs the loupe of loupe-base, which
  // must be this tree's (a loupe whose bound launcher does not carry the binary's times fails on gzip).
  const out = await runLoupe(['base-image', '--minimal']);
  assert.equal(out.code, 0, out.stderr);
});

after(() => {
  const images = spawnSync('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}'], { encoding: 'utf8' }).stdout
    .split('\n').filter((i) => /^loupe-(debian|run)-(gzip|sl|ucf):/.test(i));
  if (images.length > 0) spawnSync('docker', ['rmi', '--force', ...images], { stdio: 'ignore' });
});

// Three of gzip's 26 tests: the suite then takes about a second, and each experiment re-runs it.
const GZIP_TESTS = 'TESTS=help-version keep zdiff';
const GZIP = '/root/debian/gzip/builddir/gzip';

/**
 * Runs gzip's suite (as the analysis does) once per strace injection SPEC (`read:error=ENOSYS`,
 * `ioctl:retval=0`, or `none`), all in one container of `image` (with vfs each container is a
 * full copy of the image): for each, the real binary is moved aside and a wrapper in its place
 * runs it under `strace -f -e inject=SPEC`, so only gzip is perturbed, as with --only-consider.
 * Returns, per SPEC, whether the suite passed as check.sh judges it, and the container's output.
 */
function suiteUnderStrace(image: string, specs: readonly string[]): { passed: Map<string, boolean>; log: string } {
  const script = specs.map((spec) => {
    const wrap = spec === 'none' ? ':' : [
      `mkdir ${GZIP}.real && mv ${GZIP} ${GZIP}.real/gzip`,
      `printf '#!/bin/sh\\nexec strace -f -qq -o /dev/null -e trace=${spec.split(':')[0]} -e inject=${spec} ${GZIP}.real/gzip "$@"\\n' > ${GZIP}`,
      `chmod +x ${GZIP}`,
    ].join(' && ');
    const unwrap = spec === 'none' ? ':' : `mv -f ${GZIP}.real/gzip ${GZIP} && rmdir ${GZIP}.real`;
    return `${wrap} && { /root/loupe-debian/suite.sh gzip '${GZIP_TESTS}' > /tmp/suite.log 2>&1; /root/loupe-debian/check.sh /tmp/suite.log && echo 'RESULT ${spec} passed' || echo 'RESULT ${spec} failed'; tail -n 3 /tmp/suite.log; } && ${unwrap}`;
  }).join('\n');
  const run = spawnSync('docker', ['run', '--rm', '--cap-add', 'SYS_PTRACE', '--security-opt', 'seccomp=unconfined', image, 'sh', '-c', script], { encoding: 'utf8' });
  assert.equal(run.error, undefined);
  const passed = new Map([...run.stdout.matchAll(/^RESULT (\S+) (passed|failed)$/gm)].map((m) => [m[1]!, m[2] === 'passed']));
  return { passed, log: run.stdout + run.stderr };
}

test('gzip: built from its source package, the binary its suite runs is found, analysed and stored; verdicts match strace\'s injection', async () => {
  const db = tempRepo();
  const out = await runLoupe(['debian', 'gzip', '-db', db, '--replicas', '1', '--make-arg', GZIP_TESTS, '--keep-image', '--commit', '--json']);
  assert.equal(out.code, 0, out.stderr);
  const outcome = JSON.parse(out.stdout);
  assert.equal(outcome.source, 'gzip');
  assert.equal(outcome.testStep, 'guarded', 'gzip\'s debian/rules runs `make -C builddir check` unless nocheck');
  assert.deepEqual(outcome.found, [GZIP], 'the z* tools are scripts, gzip is the one ELF');
  assert.deepEqual(outcome.analysed, [GZIP]);
  const run = outcome.runs[0];
  const folder = join(db, 'gzip/suite-debian', run.run);
  assert.equal(run.folder, folder);
  const dockerfile = readFileSync(join(folder, 'Dockerfile.gzip'));
  assert.equal(createHash('md5').update(dockerfile).digest('hex'), run.run, 'the run folder is the md5 of the stored Dockerfile');
  assert.match(dockerfile.toString(), /--only-consider \/root\/debian\/gzip\/builddir\/gzip/);
  assert.deepEqual(readdirSync(join(folder, 'dockerfile_data')).sort(),
    ['build.sh', 'check.sh', 'deb-src.sh', 'prepare.sh', 'scan.sh', 'suite.mk', 'suite.sh']);
  const logs = readFileSync(join(folder, 'explore.logs'), 'utf8');
  assert.match(logs, /\*\*\*\* Build of gzip 1\.12-1 \(dpkg-buildpackage, DEB_BUILD_OPTIONS=nocheck\) \*\*\*\*\n[^]*dpkg-buildpackage: info: source package gzip/);
  assert.match(logs, /\*\*\*\* Test suite of gzip, unperturbed[^]*# PASS: +3\n[^]*loupe-debian: test suite passed/);
  assert.match(readFileSync(join(folder, 'cmd.txt'), 'utf8'), /^loupe debian gzip /);

  // Ground truth, independent of the engine: the same perturbation made by strace on gzip alone.
  const rows = parseDynCsv(readFileSync(join(folder, 'data/dyn.csv'), 'utf8'));
  const used = rows.filter((r) => r.used);
  const read = rows[X86_64.number('read')!]!;
  assert.equal(classOf(read), 'required', 'gzip cannot compress what it cannot read');
  // execve and wait4 are the drivers' (make, sh), never gzip's: --only-consider leaves them out.
  for (const name of ['execve', 'wait4']) assert.equal(rows[X86_64.number(name)!]!.used, false, `${name} is not gzip's`);
  const nameOf = (row: { nr: number }): string => X86_64.name(row.nr)!;
  const stubbable = used.find((r) => r.stubOnly || r.both);
  assert.ok(stubbable, `some syscall of gzip can be stubbed (classes: ${used.map((r) => `${nameOf(r)}=${classOf(r)}`).join(' ')})`);
  const stubOnly = used.find((r) => r.stubOnly);
  const expected = new Map<string, boolean>([
    ['none', true], ['read:error=ENOSYS', false], ['read:retval=0', false], [`${nameOf(stubbable)}:error=ENOSYS`, true],
    ...(stubOnly === undefined ? [] : [[`${nameOf(stubOnly)}:retval=0`, false] as [string, boolean]]),
  ]);
  const truth = suiteUnderStrace(`loupe-run-gzip:${run.run}`, [...expected.keys()]);
  for (const [spec, passes] of expected) {
    assert.equal(truth.passed.get(spec), passes, `with ${spec} injected by strace the suite ${passes ? 'passes' : 'fails'}, as the analysis says:\n${truth.log}`);
  }

  // The stored Dockerfile and dockerfile_data/ rebuild the image as generate -d does.
  const rebuilt = await runLoupe(['generate', '-s', '-db', db, '-a', 'gzip', '-w', 'debian', '-d', join(folder, 'Dockerfile.gzip'), '--only-build-docker', '-q']);
  assert.equal(rebuilt.code, 0, rebuilt.stderr);
});

/**
 * A database holding an earlier run of gzip's suite, committed, so that "untouched" covers the
 * application's and workload's folders a refused run would write into, and the history.
 */
function databaseWithARun(): string {
  const db = tempRepo();
  const run = 'gzip/suite-debian/0123456789abcdef0123456789abcdef';
  writeFiles(db, {
    [`${run}/cmd.txt`]: 'loupe debian gzip -db DB --replicas 1\n',
    [`${run}/data/dyn.csv`]: '# syscall, used, works faked, works stubbed, works both\n0,Y,N,N,N\n',
  });
  git(db, 'add', '-A');
  git(db, 'commit', '--quiet', '-m', 'an earlier run');
  return db;
}

/** Runs `loupe debian ARGS` on a database with an earlier run and checks that it failed with `status` and left the database as it was. */
async function refused(args: string[], status: number): Promise<string> {
  const db = databaseWithARun();
  const before = snapshot(db);
  const out = await runLoupe(['debian', ...args, '-db', db, '--replicas', '1', '--keep-image']);
  assert.equal(out.code, status, out.stderr);
  assert.equal(snapshot(db), before);
  return out.stderr;
}

test('an unknown package and an unknown version are named, and the database is untouched', async () => {
  assert.match(await refused(['no-such-package-zz'], 3), /error: unknown Debian package no-such-package-zz: apt finds no source package of that name/);
  assert.match(await refused(['gzip', '--version', '0.1-9'], 3), /error: Debian has no version 0\.1-9 of gzip[^]*hint: available: 1\.12-1/);
});

test('a name the build did not produce, and a binary the suite run never executes, are refused', async () => {
  // zcat is a shell script in gzip's tree: refused after the scan, before any suite run.
  assert.match(await refused(['gzip', '--binary', 'zcat'], 3), /error: zcat is not an executable the build of gzip produced\n.*hint: the build produced: builddir\/gzip/);
  // gzip's `make check` always runs gzip (its check-local target compresses files), whatever
  // TESTS says; with the test step's make replaced by true, the suite run executes nothing built.
  assert.match(await refused(['gzip', '--binary', 'gzip', '--make-arg', 'MAKE=true'], 3), /error: the test suite of gzip never executes gzip[^]*hint: the suite executes: none/);
});

test('a package without a test suite is refused after its build', async () => {
  assert.match(await refused(['sl'], 3), /error: Debian package sl \S+ has no test suite to analyse: dh_auto_test finds no test target/);
});

test('a build failure names the package, the failing step and the end of the build\'s log', async () => {
  const stderr = await refused(['ucf'], 3);
  assert.match(stderr, /error: the build of Debian package ucf \S+ failed: building image loupe-debian-ucf:[0-9a-f]+ failed at step \d+\/\d+ : RUN \/root\/loupe-debian\/build\.sh ucf/);
  // dpkg's own reason, so the failure is the build's and not a download's.
  assert.match(stderr, /dpkg-genbuildinfo: error: binary build with no binary artifacts found[^]*loupe-debian: the build of ucf \S+ failed \(dpkg-buildpackage\)/);
});

test('without a Docker engine the message gives the commands that set it up', async () => {
  const db = databaseWithARun();
  const before = snapshot(db);
  const out = await runLoupe(['debian', 'gzip', '-db', db], { env: { ...process.env, DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
  assert.equal(out.code, 4, out.stderr);
  assert.match(out.stderr, /error: no Docker engine answers[^]*hint: start one and make the local base image with `scripts\/docker-engine\.sh` \(as root\), then build loupe-base with `loupe base-image`/);
  assert.equal(snapshot(db), before);
});
