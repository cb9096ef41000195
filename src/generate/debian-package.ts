import { posix } from 'node:path';
import { ExitCode, LoupeError } from '../core/errors.js';
import { shellJoin } from './shell-words.js';

/**
 * The pure parts of `loupe debian`: the Dockerfile it writes, and the reading of what its
 * scripts (docker/loupe-debian/) print inside the containers. No I/O here.
 */

/** The scripts of docker/loupe-debian/ that prepare the image for any package (their layer is shared). */
const PREPARE_SCRIPTS = ['deb-src.sh', 'prepare.sh'] as const;
/** The scripts that build, scan and run one package. */
const PACKAGE_SCRIPTS = ['build.sh', 'scan.sh', 'suite.sh', 'check.sh'] as const;
/** Every script of docker/loupe-debian/ that a Dockerfile of `loupe debian` copies. */
export const DEBIAN_SCRIPTS = [...PREPARE_SCRIPTS, ...PACKAGE_SCRIPTS] as const;
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
 * The Dockerfile of a package: the build stage alone (its CMD scans the built tree), or, with
 * `suite`, the analysis of one binary under the test suite. Both share their first instructions
 * so that the classic builder's cache builds the package once; the first layers (deb-src entry,
 * package lists, build tools) are the same for every package. Its bytes name the run (md5), so
 * the text depends only on the package, its version and the analysis settings; the mirror is
 * read inside the image (deb-src.sh), never written here.
 */
export function debianDockerfile(pkg: SourcePackage, suite?: SuiteAnalysis): string {
  const lines = [
    `# Debian source package ${pkg.source} ${pkg.version}, built the usual Debian way and analysed under its`,
    '# own test suite. Written by `loupe debian`; `loupe generate -d` and `loupe reproduce` rebuild it.',
    'FROM loupe-base:latest',
    `COPY ${PREPARE_SCRIPTS.map((s) => `dockerfile_data/${s}`).join(' ')} ${SCRIPTS_IN_IMAGE}/`,
    `RUN ${SCRIPTS_IN_IMAGE}/prepare.sh`,
    `COPY ${PACKAGE_SCRIPTS.map((s) => `dockerfile_data/${s}`).join(' ')} ${SCRIPTS_IN_IMAGE}/`,
    `RUN ${shellJoin([`${SCRIPTS_IN_IMAGE}/build.sh`, pkg.source, pkg.version])}`,
  ];
  if (suite === undefined) {
    lines.push(`CMD ${JSON.stringify([`${SCRIPTS_IN_IMAGE}/scan.sh`, pkg.source])}`);
  } else {
    lines.push(
      `COPY dockerfile_data/${SUITE_MAKEFILE} ${SCRIPTS_IN_IMAGE}/`,
      `CMD /root/explore.py --output-csv --final-check --test-sequential --timeout ${SUITE_TIMEOUT_SEC}${suite.jobs === undefined ? '' : ` --jobs ${suite.jobs}`} \\`,
      `    -t ${SCRIPTS_IN_IMAGE}/check.sh --only-consider ${shellJoin([suite.binary])} \\`,
      `    -b ${SCRIPTS_IN_IMAGE}/suite.sh -- ${shellJoin([pkg.source, ...suite.makeArgs])}`,
    );
  }
  return lines.join('\n') + '\n';
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
}

/** Reads scan.sh's output: sections introduced by `loupe-debian: NAME` lines. */
export function parseScanOutput(text: string): ScanResult {
  const sections = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of text.split('\n')) {
    const header = /^loupe-debian: (.+)$/.exec(line);
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
  const names = (list: readonly string[]): string => (list.length === 0 ? 'none' : list.map((f) => posix.relative(treeOf(source), f)).join(', '));
  if (wanted !== undefined) {
    const matches = found.filter((f) => f === wanted || posix.relative(treeOf(source), f) === wanted || posix.basename(f) === wanted);
    if (matches.length === 0) {
      throw new LoupeError(`${wanted} is not an executable the build of ${source} produced`, ExitCode.badInput, `the build produced: ${names(found)}`);
    }
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
