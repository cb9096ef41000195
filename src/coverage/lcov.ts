/**
 * lcov and genhtml (Debian package `lcov`, 1.16 on bookworm): the tracefile and the HTML report.
 * lcov rather than gcovr: it is what the original Loupe's coverage recipe used, its tracefile is
 * the format other tools (genhtml, CI services, editors) read, and genhtml's report is the one
 * the original's figures came from. Every run of them is a process in a group of ours.
 */
import { ExitCode, LoupeError } from '../core/errors.js';
import { capture } from '../sandbox/capture.js';
import type { ProcessGroups } from '../sandbox/process.js';

/** Branch data is off by default in lcov 1.x. */
const BRANCHES = ['--rc', 'lcov_branch_coverage=1'];
/** System headers (glibc's inline wrappers) are not the application's code; lcov's --no-external would drop them too. */
const SYSTEM_FILES = '/usr/*';

/** LoupeError (machine lacks something) when lcov or genhtml cannot be run. */
export async function requireLcov(groups?: ProcessGroups): Promise<void> {
  for (const tool of ['lcov', 'genhtml']) {
    const probe = await capture([tool, '--version'], { groups });
    if (probe.code === 127) {
      throw new LoupeError(`${tool} not found`, ExitCode.environment, 'coverage reports are made with lcov: apt-get install lcov');
    }
  }
}

/**
 * Writes the tracefile of the .gcda/.gcno pairs under `staging` to `output` (system headers
 * removed). LoupeError when gcov refuses the data (a .gcda of another build: "stamp mismatch").
 */
export async function captureTracefile(staging: string, output: string, groups?: ProcessGroups): Promise<void> {
  const raw = `${output}.raw`;
  const captured = await capture(['lcov', '--quiet', '--capture', '--directory', staging, ...BRANCHES, '--output-file', raw], { cwd: staging, groups });
  if (captured.code !== 0) {
    const mismatch = /^(.*stamp mismatch with notes file.*)$/m.exec(captured.stderr);
    if (mismatch) {
      throw new LoupeError(`coverage data does not match the build tree: ${mismatch[1]}`, ExitCode.badInput,
        'give with --source the build tree of the very binary that runs');
    }
    throw new LoupeError(`lcov --capture failed: ${lastLines(captured.stderr)}`, ExitCode.failed);
  }
  const removed = await capture(['lcov', '--quiet', '--remove', raw, SYSTEM_FILES, ...BRANCHES, '--output-file', output], { cwd: staging, groups });
  if (removed.code !== 0) throw new LoupeError(`lcov --remove failed: ${lastLines(removed.stderr)}`, ExitCode.failed);
}

/** genhtml's report of `tracefile` into `dir` (index.html), with branch coverage; sources that cannot be read are left out. */
export async function renderHtml(tracefile: string, dir: string, groups?: ProcessGroups): Promise<void> {
  const result = await capture(['genhtml', '--quiet', '--branch-coverage', '--ignore-errors', 'source', '--output-directory', dir, tracefile], { groups });
  if (result.code !== 0) throw new LoupeError(`genhtml failed: ${lastLines(result.stderr)}`, ExitCode.failed);
}

/** lcov 1.16's Perl prints "Subroutine ... redefined" warnings on Debian 12: not the error. */
function lastLines(stderr: string): string {
  return stderr.split('\n').filter((l) => l.trim() !== '' && !/^Subroutine .* redefined/.test(l)).slice(-5).join(' | ');
}
