/**
 * `loupe coverage` on a real program: lua5.4 built from its Debian source with coverage flags
 * (test/helpers/instrumented-lua.ts, cached), under the bundled example workload (examples/lua).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
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

  // The site on the source line holding `code` (found in the tree, not hard-coded).
  const site = (file: string, code: string, via: string) => {
    const line = readFileSync(join(tree, file), 'utf8').split('\n').findIndex((l) => l.includes(code)) + 1;
    assert.ok(line > 0, `${code} in ${file}`);
    return report.syscalls.flatMap((s) => s.sites).find((s) => s.file === file && s.line === line && s.via === via);
  };
  // hello.lua opens (io.open), writes and reads a file, and removes it; it never starts a process.
  assert.equal(site('src/liolib.c', 'p->f = fopen(filename, mode);', 'fopen()')?.reached, true);
  assert.equal(site('src/loslib.c', 'remove(filename) == 0', 'remove()')?.reached, true);
  assert.equal(site('src/liolib.c', 'p->f = l_popen(L, filename, mode);', 'popen()')?.reached, false, 'a call through a macro counts where the macro is used');
  assert.equal(site('src/loslib.c', 'stat = system(cmd);', 'system()')?.reached, false);
  // The translation units analysed are those of the binary: no luac.c.
  assert.ok(!report.syscalls.some((s) => s.sites.some((x) => x.file.endsWith('luac.c'))));
  assert.ok(report.callSites!.reachedSyscalls > 0 && report.callSites!.unreached.length > 0);
});
