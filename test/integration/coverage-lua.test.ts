/**
 * `loupe coverage` on a real program: lua5.4 built from its Debian source with coverage flags
 * (test/helpers/instrumented-lua.ts, cached), under the bundled example workload (examples/lua).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { EXAMPLES, runLoupe, tempDir } from '../helpers/cli.js';
import { instrumentedLua } from '../helpers/instrumented-lua.js';
import type { CoverageReport } from '../../src/coverage/measure.js';

test('lua5.4 from Debian source under examples/lua: totals as lcov reads them, the call sites hello.lua does and does not reach', async () => {
  const { tree, binary } = instrumentedLua();
  const out = tempDir('coverage-lua');
  const cwd = join(EXAMPLES, 'lua');
  const r = await runLoupe(['coverage', '-b', binary, '--source', tree, '-t', './test.sh', '--test-sequential', '--out', out, '--json', '--', 'hello.lua'], { cwd });
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as CoverageReport;
  process.stderr.write(`lua5.4 under hello.lua: lines ${report.lines.covered}/${report.lines.total}, functions ${report.functions.covered}/${report.functions.total}, ` +
    `branches ${report.branches.covered}/${report.branches.total}; ${JSON.stringify({ ...report.callSites, unreached: report.callSites?.unreached.join(' ') })}\n`);

  const summary = spawnSync('lcov', ['--summary', join(out, 'coverage.info'), '--rc', 'lcov_branch_coverage=1'], { encoding: 'utf8' });
  const lines = /lines\.*: [\d.]+% \((\d+) of (\d+)/.exec(`${summary.stdout}${summary.stderr}`);
  assert.deepEqual([report.lines.covered, report.lines.total], [Number(lines![1]), Number(lines![2])]);
  assert.ok(report.lines.covered > 0 && report.lines.covered < report.lines.total);
  assert.equal(spawnSync('find', [tree, '-name', '*.gcda'], { encoding: 'utf8' }).stdout, '', 'nothing written into the build tree');

  const site = (file: string, via: string) => report.syscalls.flatMap((s) => s.sites).find((s) => s.file === file && s.via === via);
  // hello.lua opens, writes and reads a file, and removes it; it never starts a process.
  assert.equal(site('src/liolib.c', 'fopen()')?.reached, true);
  assert.equal(site('src/loslib.c', 'remove()')?.reached, true);
  assert.equal(site('src/liolib.c', 'popen()')?.reached, false);
  assert.equal(site('src/loslib.c', 'system()')?.reached, false);
  // The translation units analysed are those of the binary: no luac.c.
  assert.ok(!report.syscalls.some((s) => s.sites.some((x) => x.file.endsWith('luac.c'))));
  assert.ok(report.callSites!.reachedSyscalls > 0 && report.callSites!.unreached.length > 0);
});
