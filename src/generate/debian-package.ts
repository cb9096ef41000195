import { posix } from 'node:path';
import { ExitCode, LoupeError } from '../core/errors.js';
import { shellJoin } from './shell-words.js';

/**
 * The pure parts of `loupe debian`: the Dockerfile it writes, and the reading of what its
 * scripts (docker/loupe-debian/) print inside the containers. No I/O here.
 */

/**
 * Every script of docker/loupe-debian/ that a Dockerfile of `loupe debian` copies, in one COPY
 * before the prepare layer: with Docker's vfs storage driver each instruction costs a full copy of
 * the image's file system (about 35 s for 1 GB on the project's machine), so one COPY, not two.
 */
export const DEBIAN_SCRIPTS = ['deb-src.sh', 'prepare.sh', 'build.sh', 'scan.sh', 'suite.sh', 'check.sh'] as const;
/** The generated makefile holding the test step (see debian-rules.ts suiteMakefile). */
export const SUITE_MAKEFILE = 'suite.mk';
/** Where the scripts live in the image. */
export const SCRIPTS_IN_IMAGE = '/root/loupe-debian';
/** Where the source tree is built in the image: /root/debian/<source>. */
export const TREE_ROOT = '/root/debian';

/** Longest run of the suite `loupe explore` allows (s); the hang limit (10 times the baseline) is what usually applies. */
export const SUITE_TIMEOUT_SEC = 3600;

export interface SourcePackage {
  /** Source package name (apt maps a binary package name to its source). */
  source: string;
  /** Full Debian version, epoch included. */
  version: string;
}

/** How a chosen binary is analysed under the suite. */
export interface SuiteAnalysis {
  /** Absolute path, in the image, of the analysed executable (explore's --only-consider). */
  binary: string;
  /** Arguments for the make that runs the test step (e.g. TESTS=...). */
  makeArgs: readonly string[];
  /** Experiments run side by side in one container; generate's share of the machine when absent. */
  jobs?: number;
}

/** Folder of the built tree in the image. */
export function treeOf(source: string): string {
  return `${TREE_ROOT}/${source}`;
}

/**
 * The Dockerfile of a package: the build stage alone, or, with `suite`, the analysis of one
 * binary under the test suite. Both share their first instructions so that the classic builder's
 * cache builds the package once; the first layers (scripts, deb-src entry, package lists, build
 * tools) are the same for every package. The build stage has no CMD of its own (the scan names
 * its command): with vfs every instruction, a CMD included, costs a full copy of the image. Its
 * bytes name the run (md5), so the text depends only on the package, its version and the
 * analysis settings; the mirror is read inside the image (deb-src.sh), never written here.
 */
export function debianDockerfile(pkg: SourcePackage, suite?: SuiteAnalysis): string {
  const lines = [
    `# Debian source package ${pkg.source} ${pkg.version}, built the usual Debian way and analysed under its`,
    '# own test suite. Written by `loupe debian`; `loupe generate -d` and `loupe reproduce` rebuild it.',
    'FROM loupe-base:latest',
    `COPY ${DEBIAN_SCRIPTS.map((s) => `dockerfile_data/${s}`).join(' ')} ${SCRIPTS_IN_IMAGE}/`,
    `RUN ${SCRIPTS_IN_IMAGE}/prepare.sh`,
    `RUN ${shellJoin([`${SCRIPTS_IN_IMAGE}/build.sh`, pkg.source, pkg.version])}`,
  ];
  if (suite !== undefined) {
    lines.push(
      `COPY dockerfile_data/${SUITE_MAKEFILE} ${SCRIPTS_IN_IMAGE}/`,
      `CMD /root/explore.py --output-csv --final-check --test-sequential --timeout ${SUITE_TIMEOUT_SEC}${suite.jobs === undefined ? '' : ` --jobs ${suite.jobs}`} \\`,
      `    -t ${SCRIPTS_IN_IMAGE}/check.sh --only-consider ${shellJoin([suite.binary])} \\`,
      `    -b ${SCRIPTS_IN_IMAGE}/suite.sh -- ${shellJoin([pkg.source, ...suite.makeArgs])}`,
    );
  }
  return lines.join('\n') + '\n';
}

/** The argv that reads the built tree of `source` in the build stage image (scan.sh; see parseScanOutput). */
export function scanCommand(source: string): string[] {
  return [`${SCRIPTS_IN_IMAGE}/scan.sh`, source];
}

/** The argv that runs the suite once under strace, for the discovery of executed binaries; outputs in `outDir`. */
export function discoveryCommand(source: string, makeArgs: readonly string[], outDir: string): string[] {
  return ['sh', '-c',
    `strace -f -qq -y -e trace=%process,chdir,fchdir -o ${outDir}/trace.txt ${SCRIPTS_IN_IMAGE}/suite.sh "$@" > ${outDir}/suite.log 2>&1`,
    'sh', source, ...makeArgs];
}

/**
 * Reads resolve.sh's output: the .dsc apt would fetch (`'URI' NAME_VERSION.dsc SIZE HASH`) and
 * the versions `apt-cache showsrc` lists (to put back the epoch, absent from file names).
 * Throws LoupeError (bad input) for a package or version apt does not know.
 */
export function parseResolveOutput(text: string, requested: string, version: string | undefined): SourcePackage {
  const dsc = /^'[^']*' ([^_\s]+)_([^\s]+)\.dsc /m.exec(text);
  if (dsc === null) {
    const aptError = text.split('\n').filter((l) => l.startsWith('E: ')).join('; ');
    if (version !== undefined && /Can not find version/.test(text)) {
      const known = [...text.matchAll(/^Version: (\S+)$/gm)].map((m) => m[1]);
      throw new LoupeError(`Debian has no version ${version} of ${requested} in this image's suite${aptError === '' ? '' : ` (${aptError})`}`, ExitCode.badInput,
        known.length > 0 ? `available: ${known.join(', ')}` : `leave --version out to take the suite's version (\`apt-cache showsrc ${requested}\` lists them)`);
    }
    throw new LoupeError(`unknown Debian package ${requested}: apt finds no source package of that name${aptError === '' ? '' : ` (${aptError})`}`, ExitCode.badInput,
      'give a source or binary package name of the base image\'s suite (Debian 12 "bookworm"), e.g. gzip or memcached');
  }
  const source = dsc[1]!;
  const fileVersion = dsc[2]!;
  const versions = [...text.matchAll(/^Version: (\S+)$/gm)].map((m) => m[1]!);
  const full = versions.find((v) => v.replace(/^\d+:/, '') === fileVersion) ?? fileVersion;
  return { source, version: full };
}

export interface ScanResult {
  rules: string;
  dhAutoTestPlan: string;
  /** Absolute paths (in the image) of the ELF executables of the built tree. */
  executables: string[];
  /** The build's output (dpkg-buildpackage), kept in the image by build.sh. */
  buildLog: string;
}

/** The last section of scan.sh's output: everything after its header is the build's log, verbatim. */
const BUILD_LOG_SECTION = 'build log';

/** Reads scan.sh's output: sections introduced by `loupe-debian: NAME` lines, the build log last. */
export function parseScanOutput(text: string): ScanResult {
  const sections = new Map<string, string[]>();
  let current: string[] | undefined;
  const lines = text.split('\n');
  for (const [index, line] of lines.entries()) {
    const header = /^loupe-debian: (.+)$/.exec(line);
    if (header?.[1] === BUILD_LOG_SECTION) {
      sections.set(BUILD_LOG_SECTION, lines.slice(index + 1));
      break;
    }
    if (header) {
      current = [];
      sections.set(header[1]!, current);
    } else {
      current?.push(line);
    }
  }
  const body = (name: string): string => (sections.get(name) ?? []).join('\n');
  if (!sections.has('rules') || !sections.has('executables')) {
    throw new LoupeError('the scan of the built tree printed nothing readable', ExitCode.failed, `its output began with: ${text.slice(0, 300)}`);
  }
  return {
    rules: body('rules'),
    dhAutoTestPlan: body('dh_auto_test --no-act'),
    executables: body('executables').split('\n').filter((l) => l.startsWith('/')).sort(),
    buildLog: body(BUILD_LOG_SECTION),
  };
}

export interface BinaryChoice {
  /** ELF executables of the built tree. */
  found: string[];
  /** Those the suite executed. */
  executed: string[];
  /** Those to analyse. */
  chosen: string[];
}

/**
 * Which binaries to analyse: `wanted` (a path in the tree or a file name) if given, else every
 * built executable the suite executed. Throws LoupeError naming the case: `wanted` is not a
 * built executable, the suite never executes it, or the suite executes none of them.
 */
export function chooseBinaries(found: readonly string[], executedPaths: readonly string[], wanted: string | undefined, source: string): BinaryChoice {
  const ran = new Set(executedPaths);
  const executed = found.filter((f) => ran.has(f));
  const names = (list: readonly string[]): string => namesIn(source, list);
  if (wanted !== undefined) {
    const matches = builtMatches(found, wanted, source);
    const hit = matches.filter((f) => ran.has(f));
    if (hit.length === 0) {
      throw new LoupeError(`the test suite of ${source} never executes ${wanted}, so it cannot show which syscalls ${wanted} needs`, ExitCode.badInput,
        `the suite executes: ${names(executed)}`);
    }
    return { found: [...found], executed, chosen: hit.slice(0, 1) };
  }
  if (executed.length === 0) {
    throw new LoupeError(`the test suite of ${source} executes none of the ${found.length} executable(s) its build produced`, ExitCode.badInput,
      `the build produced: ${names(found)}; a suite that tests installed programs or scripts only cannot be analysed this way`);
  }
  return { found: [...found], executed, chosen: executed };
}

/**
 * The built executables `wanted` names (an absolute path, a path in the tree or a file name), so
 * that a wrong `--binary` is refused before the suite runs. Throws LoupeError (bad input) when
 * it names none of them.
 */
export function builtMatches(found: readonly string[], wanted: string, source: string): string[] {
  const matches = found.filter((f) => f === wanted || posix.relative(treeOf(source), f) === wanted || posix.basename(f) === wanted);
  if (matches.length === 0) {
    throw new LoupeError(`${wanted} is not an executable the build of ${source} produced`, ExitCode.badInput, `the build produced: ${namesIn(source, found)}`);
  }
  return matches;
}

function namesIn(source: string, list: readonly string[]): string {
  return list.length === 0 ? 'none' : list.map((f) => posix.relative(treeOf(source), f)).join(', ');
}
