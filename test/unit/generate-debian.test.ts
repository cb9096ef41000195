import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoupeError } from '../../src/core/errors.js';
import { inspectDockerfile } from '../../src/docker/dockerfile.js';
import {
  DEBIAN_SCRIPTS, SUITE_MAKEFILE, chooseBinaries, debianDockerfile, parseResolveOutput, parseScanOutput,
} from '../../src/generate/debian-package.js';
import { nocheckGuardedRecipe, recipeOf, suiteMakefile, testStepOf } from '../../src/generate/debian-rules.js';
import { parseStraceLog } from '../../src/trace/parser.js';
import { executedPaths } from '../../src/trace/exec-paths.js';

// debian/rules in the three shapes of the archive, reduced to what decides the test step.
const HAND_WRITTEN = `#!/usr/bin/make -f
build-arch: build-stamp
build-stamp: configure-stamp
\tdh_testdir
\t\${MAKE} -C builddir
ifeq (,$(filter nocheck,\${DEB_BUILD_OPTIONS}))
ifeq (\${DEB_BUILD_ARCH},\${DEB_HOST_ARCH})
\t\${MAKE} -C builddir check
endif
endif
\t:>$@

clean:
\tdh_testdir
`;

const DH_WITH_OVERRIDE = `#!/usr/bin/make -f
override_dh_auto_configure:
\tdh_auto_configure -- --enable-sasl

override_dh_auto_test:
\t# Don't run the whitespace tests
\trm -f t/whitespace.t

ifeq (,$(filter $(DEB_BUILD_ARCH),armel armhf))
\tdh_auto_test --max-parallel=1
endif

override_dh_auto_clean:
\tdh_auto_clean

%:
\tdh $@
`;

const DH_DISABLED = `#!/usr/bin/make -f
%:
\tdh $@ --with autoreconf

override_dh_auto_test:
\t# the tests need the network
`;

const DH_PLAIN = '#!/usr/bin/make -f\n%:\n\tdh $@\n';

test('a hand-written debian/rules: the test step is what runs unless DEB_BUILD_OPTIONS has nocheck', () => {
  assert.deepEqual(nocheckGuardedRecipe(HAND_WRITTEN), ['ifeq (${DEB_BUILD_ARCH},${DEB_HOST_ARCH})', '\t${MAKE} -C builddir check', 'endif']);
  const step = testStepOf(HAND_WRITTEN, '');
  assert.equal(step.kind, 'guarded');
  const mk = suiteMakefile('gzip', step as Exclude<typeof step, { kind: 'none' }>);
  assert.match(mk, /^loupe-debian-suite:\nifeq \(\$\{DEB_BUILD_ARCH\},\$\{DEB_HOST_ARCH\}\)\n\t\$\{MAKE\} -C builddir check\nendif\n$/m);
});

test('ifneq on nocheck runs the tests in its else branch', () => {
  const rules = 'build:\nifneq (,$(findstring nocheck,$(DEB_BUILD_OPTIONS)))\n\techo skipping\nelse\n\t$(MAKE) test\nendif\n';
  assert.deepEqual(nocheckGuardedRecipe(rules), ['\t$(MAKE) test']);
});

test('dh with an override_dh_auto_test target: the build runs that target', () => {
  assert.deepEqual(recipeOf(DH_WITH_OVERRIDE, 'override_dh_auto_test'), [
    "\t# Don't run the whitespace tests", '\trm -f t/whitespace.t', 'ifeq (,$(filter $(DEB_BUILD_ARCH),armel armhf))', '\tdh_auto_test --max-parallel=1', 'endif',
  ]);
  assert.deepEqual(testStepOf(DH_WITH_OVERRIDE, ''), { kind: 'override', recipe: ['\t$(MAKE) -f debian/rules override_dh_auto_test'] });
});

test('an override_dh_auto_test that runs nothing disables the suite; dh_auto_test with nothing to run means no suite', () => {
  const disabled = testStepOf(DH_DISABLED, 'make -j1 check');
  assert.equal(disabled.kind, 'none');
  assert.match((disabled as { why: string }).why, /disables the test suite: its override_dh_auto_test target runs nothing/);
  assert.deepEqual(testStepOf(DH_PLAIN, '\tmake -j1 check VERBOSE=1\n'), { kind: 'dh_auto_test', recipe: ['\tdh_auto_test'] });
  const none = testStepOf(DH_PLAIN, '\n');
  assert.equal(none.kind, 'none');
  assert.match((none as { why: string }).why, /dh_auto_test finds no test target/);
  assert.equal(testStepOf('build:\n\t$(MAKE)\n', '').kind, 'none');
});

test('the Dockerfile: the build stage and each analysis share their first instructions, and copy only dockerfile_data/', () => {
  const pkg = { source: 'gzip', version: '1.12-1' };
  const build = debianDockerfile(pkg);
  const analysis = debianDockerfile(pkg, { binary: '/root/debian/gzip/builddir/gzip', makeArgs: ['TESTS=help-version keep'] });
  assert.ok(analysis.startsWith(build), 'the build stage is the analysis\'s first instructions: the classic builder reuses the build');
  assert.ok(!build.includes('CMD'), 'no CMD in the build stage: with vfs each instruction is a full copy of the image');
  assert.equal(build.split('\n').filter((l) => /^(COPY|RUN) /.test(l)).length, 3, 'one COPY of the scripts, prepare, build');
  assert.match(analysis, /--only-consider \/root\/debian\/gzip\/builddir\/gzip/);
  assert.match(analysis, /-b \/root\/loupe-debian\/suite\.sh -- gzip 'TESTS=help-version keep'\n$/);
  const facts = inspectDockerfile(analysis, 'Dockerfile.gzip');
  assert.deepEqual(facts.dataFiles.sort(), [...DEBIAN_SCRIPTS, SUITE_MAKEFILE].sort());
  assert.deepEqual(facts.warnings, []);
  assert.ok(!/http|deb\.debian/.test(analysis), 'no mirror host in the Dockerfile');
  assert.ok(!analysis.includes('--jobs'), 'without --jobs each replica gets generate\'s share of the machine');
  assert.match(debianDockerfile(pkg, { binary: '/b', makeArgs: [], jobs: 3 }), / --jobs 3 \\\n/);
});

test('resolve: the .dsc names source and version, showsrc puts the epoch back; unknown names and versions are named', () => {
  const out = `NOTICE: 'x' packaging is maintained in Git\n'http://m/pool/main/x/xsrc/xsrc_2.0-3.dsc' xsrc_2.0-3.dsc 2009 SHA256:00\n` +
    `'http://m/pool/main/x/xsrc/xsrc_2.0.orig.tar.xz' xsrc_2.0.orig.tar.xz 1 SHA256:00\nPackage: xsrc\nVersion: 1:2.0-3\n`;
  assert.deepEqual(parseResolveOutput(out, 'x', undefined), { source: 'xsrc', version: '1:2.0-3' });
  assert.throws(() => parseResolveOutput('Reading package lists...\nE: Unable to find a source package for nosuch\n', 'nosuch', undefined),
    (e: unknown) => e instanceof LoupeError && e.exitCode === 3 && /unknown Debian package nosuch/.test(e.message));
  assert.throws(() => parseResolveOutput("E: Can not find version '9.9' of package 'gzip'\nE: Unable to find a source package for gzip\nPackage: gzip\nVersion: 1.12-1\n", 'gzip', '9.9'),
    (e: unknown) => e instanceof LoupeError && /no version 9\.9 of gzip/.test(e.message) && e.hint === 'available: 1.12-1');
});

test('scan output is read by sections', () => {
  const scan = parseScanOutput('loupe-debian: rules\n%:\n\tdh $@\nloupe-debian: dh_auto_test --no-act\n\tmake -j1 check\nloupe-debian: executables\n/root/debian/x/b\n/root/debian/x/a\n' +
    'loupe-debian: build log\ndpkg-buildpackage: info: source package x\nloupe-debian: not a section\n');
  assert.deepEqual(scan, {
    rules: '%:\n\tdh $@', dhAutoTestPlan: '\tmake -j1 check', executables: ['/root/debian/x/a', '/root/debian/x/b'],
    buildLog: 'dpkg-buildpackage: info: source package x\nloupe-debian: not a section\n',
  });
});

test('binaries: those the suite executed, or the one asked for; each refusal is named', () => {
  const found = ['/root/debian/m/memcached', '/root/debian/m/memcached-debug', '/root/debian/m/sizes'];
  const executed = ['/usr/bin/perl', '/root/debian/m/memcached-debug', '/root/debian/m/sizes'];
  assert.deepEqual(chooseBinaries(found, executed, undefined, 'm').chosen, ['/root/debian/m/memcached-debug', '/root/debian/m/sizes']);
  assert.deepEqual(chooseBinaries(found, executed, 'memcached-debug', 'm').chosen, ['/root/debian/m/memcached-debug']);
  assert.throws(() => chooseBinaries(found, executed, 'memcached', 'm'), /the test suite of m never executes memcached/);
  assert.throws(() => chooseBinaries(found, executed, 'nginx', 'm'), /nginx is not an executable the build of m produced/);
  assert.throws(() => chooseBinaries(found, ['/bin/sh'], undefined, 'm'), /executes none of the 3 executable\(s\)/);
});

test('executed paths follow each process\'s working folder through fork, chdir and fchdir', () => {
  const log = [
    '100 execve("/bin/sh", ["sh", "suite.sh"], 0x7ffc /* 5 vars */) = 0',
    '100 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|SIGCHLD, child_tidptr=0x7f) = 101',
    '101 chdir("tests") = 0',
    '101 execve("../builddir/gzip", ["gzip"], 0x55 /* 5 vars */) = 0',
    '100 chdir("/nowhere") = -1 ENOENT (No such file or directory)',
    '100 vfork() = 102',
    '102 execve("./gzip", ["gzip"], 0x55 /* 5 vars */) = -1 ENOENT (No such file or directory)',
    '102 fchdir(3</root/debian/gzip/builddir>) = 0',
    '102 execve("./gzip", ["gzip"], 0x55 /* 5 vars */) = 0',
    '100 +++ exited with 0 +++',
  ].join('\n') + '\n';
  assert.deepEqual(executedPaths(parseStraceLog(log), '/root/debian/gzip'), ['/bin/sh', '/root/debian/gzip/builddir/gzip']);
});
