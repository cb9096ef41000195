import { test } from 'node:test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { joinCallSites, summariseCallSites } from '../../src/coverage/call-sites.js';
import { formatCallSiteSummary, percent } from '../../src/db/coverage-json.js';
import { countsInLayers, parseGcovHeader } from '../../src/coverage/gcov-data.js';
import { parseTracefile, totalsOf } from '../../src/coverage/tracefile.js';
import { bwrapArgv } from '../../src/sandbox/bwrap.js';
import { X86_64 } from '../../src/syscalls/table.js';
import { tempDir } from '../helpers/temp-dirs.js';

const TRACEFILE = `TN:
SF:/src/a.c
FN:3,main
FN:9,helper
FNDA:1,main
FNDA:0,helper
DA:3,1
DA:4,1
DA:9,0
BRDA:4,0,0,1
BRDA:4,0,1,-
LF:3
LH:2
end_of_record
SF:/src/h.h
DA:1,0
end_of_record
SF:/src/h.h
FN:1,inline_fn
FNDA:2,inline_fn
DA:1,2
end_of_record
`;

test('tracefile: records read, duplicate files merged as lcov merges them, totals', () => {
  const files = parseTracefile(TRACEFILE);
  assert.deepEqual([...files.keys()], ['/src/a.c', '/src/h.h']);
  assert.equal(files.get('/src/h.h')!.lines.get(1), 2, 'counts of one line add up across records');
  assert.deepEqual(totalsOf(files.values()), {
    lines: { covered: 3, total: 4 },
    functions: { covered: 2, total: 3 },
    branches: { covered: 1, total: 2 },
  });
  assert.equal(percent({ covered: 1, total: 3 }), '33.3%');
  assert.equal(percent({ covered: 0, total: 0 }), '-');
  assert.throws(() => parseTracefile('SF:/x.c\nDA:1,1\n'), /no end_of_record/);
  assert.throws(() => parseTracefile('DA:1,1\n'), /line 1/);
});

test('call sites joined with line coverage; sites counted once across syscalls', () => {
  const coverage = parseTracefile(TRACEFILE);
  const joined = joinCallSites({
    0: [{ file: 'a.c', line: 4, via: 'read()' }, { file: 'a.c', line: 9, via: 'read()' }],
    39: [{ file: 'a.c', line: 4, via: 'read()' }],
    186: [{ file: 'b.c', line: 2, via: 'syscall(186)' }, { file: 'a.c', line: 5, via: 'syscall(186)' }],
  }, '/src', coverage, X86_64);
  assert.deepEqual(joined.map((s) => s.name), ['read', 'getpid', 'gettid']);
  assert.deepEqual(joined[0]!.sites.map((s) => [s.reached, s.instrumented]), [[true, true], [false, true]]);
  assert.deepEqual(joined[2]!.sites.map((s) => [s.reached, s.instrumented]), [[false, false], [false, false]]);
  const summary = summariseCallSites(joined);
  assert.deepEqual(summary, { syscalls: 3, sites: 4, reachedSyscalls: 2, reachedSites: 1, unreached: ['gettid'], uninstrumentedSites: 2 });
  assert.equal(formatCallSiteSummary(summary),
    'static source: 3 syscalls at 4 call sites; the workload reached call sites of 2 syscalls (1 site); 1 syscall never reached');
});

test('gcov headers: magic, version and stamp of .gcno and .gcda', () => {
  const header = (magic: number, version: number, stamp: number) => {
    const b = Buffer.alloc(12);
    b.writeUInt32LE(magic, 0);
    b.writeUInt32LE(version, 4);
    b.writeUInt32LE(stamp, 8);
    return b;
  };
  assert.deepEqual(parseGcovHeader(header(0x67636e6f, 0x4232322a, 7)), { kind: 'gcno', version: 0x4232322a, stamp: 7 });
  assert.deepEqual(parseGcovHeader(header(0x67636461, 0x4232322a, 7)), { kind: 'gcda', version: 0x4232322a, stamp: 7 });
  assert.equal(parseGcovHeader(header(0x7f454c46, 0, 0)), undefined);
  assert.equal(parseGcovHeader(Buffer.alloc(4)), undefined);
});

test('the sandbox sets the environment the coverage run asks for', () => {
  const argv = bwrapArgv({ program: '/bin/p', args: [], cwd: '/', launcher: '/l', runDir: '/r', root: '/x', env: { GCOV_PREFIX: '/tmp/g', GCOV_PREFIX_STRIP: '0' } });
  const at = argv.indexOf('--setenv');
  assert.deepEqual(argv.slice(at, at + 6), ['--setenv', 'GCOV_PREFIX', '/tmp/g', '--setenv', 'GCOV_PREFIX_STRIP', '0']);
  assert.ok(at < argv.indexOf('--'), 'before the command');
});

test('an instrumented copy replaces the analysed binary: over its path, or as the launcher\'s target with --only-consider', () => {
  const base = { args: [], cwd: '/', launcher: '/l', runDir: '/r', root: '/x' };
  const plain = bwrapArgv({ ...base, program: '/usr/bin/p', replacedFiles: [['/build/p', '/usr/bin/p']] });
  const at = plain.indexOf('/build/p');
  assert.deepEqual(plain.slice(at - 1, at + 2), ['--ro-bind', '/build/p', '/usr/bin/p']);
  const bound = bwrapArgv({ ...base, program: '/usr/bin/prove', onlyConsider: '/usr/bin/p', replacedFiles: [['/build/p', '/usr/bin/p']] });
  const target = bound.indexOf('/run/loupe-sandbox/target');
  assert.deepEqual(bound.slice(target - 2, target + 3), ['--ro-bind', '/build/p', '/run/loupe-sandbox/target', '--ro-bind', '/l']);
  assert.equal(bound.filter((a) => a === '/build/p').length, 1, 'the launcher, not the copy, sits at the analysed path');
});

test('counts in kept layers: the object path is the mount point plus the path in the upper folder; a .gcda the host already had is set apart', () => {
  const root = tempDir('unit-layers');
  const host = join(root, 'host');
  mkdirSync(join(host, 'objs'), { recursive: true });
  writeFileSync(join(host, 'objs', 'old.gcda'), 'earlier counts');
  const upper = join(root, 'layer', 'upper');
  for (const name of ['new.gcda', 'old.gcda', 'notes.gcno', 'access.log']) {
    mkdirSync(join(upper, 'objs'), { recursive: true });
    writeFileSync(join(upper, 'objs', name), 'x');
  }
  const found = countsInLayers([{ mountPoint: host, upper }, { mountPoint: '/elsewhere', upper: join(root, 'never-made') }]);
  assert.deepEqual(found.counts, [{ file: join(upper, 'objs', 'new.gcda'), objectPath: join(host, 'objs', 'new.gcda') }]);
  assert.deepEqual(found.merged, [join(host, 'objs', 'old.gcda')]);
});
