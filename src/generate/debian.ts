import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode, LoupeError } from '../core/errors.js';
import { dockerfileName } from '../db/layout.js';
import { BASE_IMAGE_NAME } from '../docker/base-image.js';
import { DOCKERFILE_DATA_DIR } from '../docker/dockerfile.js';
import { imageExists, requireDockerEngine } from '../docker/engine.js';
import { runContainer } from '../docker/run.js';
import { capture } from '../sandbox/capture.js';
import { parseStraceLog } from '../trace/parser.js';
import { executedPaths } from '../trace/exec-paths.js';
import { PACKAGE_ROOT } from '../core/version.js';
import {
  DEBIAN_SCRIPTS, SCRIPTS_IN_IMAGE, SUITE_MAKEFILE, builtMatches, chooseBinaries, debianDockerfile, discoveryCommand, parseResolveOutput,
  parseScanOutput, scanCommand, treeOf, type BinaryChoice, type ScanResult, type SourcePackage,
} from './debian-package.js';
import { suiteMakefile, testStepOf, type TestStep } from './debian-rules.js';
import type { GenerateProgress } from './progress.js';
import type { GenerateSession } from './session.js';
import { buildDockerfile } from './steps.js';

/**
 * `loupe debian`'s preparation, before generate's own steps take over: find the source package,
 * build it in an image from loupe-base, read its test step from debian/rules, run the suite once
 * under strace to see which built executables it runs, and write one Dockerfile (with its
 * dockerfile_data/) per binary to analyse. Each is then built and analysed by prepareDocker,
 * analyse and storeAnalysis, like any `loupe generate -d`.
 */

/** The folder of this project holding the scripts the images run. */
const SCRIPTS_DIR = join(PACKAGE_ROOT, 'docker', 'loupe-debian');
/** Where discovery's outputs are mounted in its container. */
const DISCOVERY_OUT = '/loupe-out';

export interface DebianRequest {
  /** Package name as given (source or binary package). */
  package: string;
  version?: string;
  /** A binary to analyse (file name or path in the tree); all the suite executes otherwise. */
  binary?: string;
  makeArgs: readonly string[];
  /** Written in the CMD when given; otherwise each replica gets generate's share of the machine. */
  jobs?: number;
}

export interface BuiltPackage {
  pkg: SourcePackage;
  /** Image of the build stage. */
  buildImage: string;
  /** Seconds spent finding the source package and building it. */
  seconds: { resolve: number; build: number };
}

export interface PreparedPackage extends BuiltPackage {
  step: Exclude<TestStep, { kind: 'none' }>;
  choice: BinaryChoice;
  /** The build's output (dpkg-buildpackage) and the suite's output in discovery. */
  buildLog: string;
  suiteLog: string;
  seconds: BuiltPackage['seconds'] & { discovery: number };
}

/** A Dockerfile written for one binary, ready for prepareDocker. */
export interface BinaryDockerfile {
  binary: string;
  dockerfile: string;
  runName: string;
}

/**
 * Fails with the command that sets things up unless a Docker engine answers and loupe-base exists.
 * Throws LoupeError (environment).
 */
export async function requireDebianPrerequisites(): Promise<void> {
  try {
    await requireDockerEngine();
  } catch (err) {
    if (!(err instanceof LoupeError)) throw err;
    throw new LoupeError(err.message, err.exitCode,
      'start one and make the local base image with `scripts/docker-engine.sh` (as root), then build loupe-base with `loupe base-image`');
  }
  if (!(await imageExists(BASE_IMAGE_NAME))) {
    throw new LoupeError(`the image ${BASE_IMAGE_NAME} does not exist: loupe debian builds packages in it`, ExitCode.environment,
      'build it with `loupe base-image` (after `scripts/docker-engine.sh` on a machine without a registry)');
  }
}

/** Copies the scripts (and the suite makefile, if given) into `dir`/dockerfile_data and writes the Dockerfile; returns its path. */
function writeDockerfile(dir: string, app: string, text: string, makefile?: string): string {
  const data = join(dir, DOCKERFILE_DATA_DIR);
  mkdirSync(data, { recursive: true });
  for (const script of DEBIAN_SCRIPTS) {
    copyFileSync(join(SCRIPTS_DIR, script), join(data, script));
    chmodSync(join(data, script), 0o755);
  }
  if (makefile !== undefined) writeFileSync(join(data, SUITE_MAKEFILE), makefile);
  const path = join(dir, dockerfileName(app));
  writeFileSync(path, text);
  return path;
}

const elapsed = (start: number): number => Math.round((performance.now() - start) / 100) / 10;

/** Runs `command` in a container of `image` (analysis privileges, --rm), registered with the session so that Ctrl-C stops it. */
async function runInContainer(image: string, command: readonly string[], mounts: readonly (readonly [string, string])[], session: GenerateSession, name: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const stdoutFile = join(session.workDir, `${name}.out`);
  const stderrFile = join(session.workDir, `${name}.err`);
  const container = runContainer({
    image, name: `loupe-${process.pid}-${Date.now()}-${name}`, mounts, env: {}, command, stdoutFile, stderrFile, groups: session.groups,
  });
  session.running.add(container);
  try {
    const status = await container.exited;
    return { code: status.code, stdout: readFileSync(stdoutFile, 'utf8'), stderr: readFileSync(stderrFile, 'utf8') };
  } finally {
    session.running.delete(container);
  }
}

const tail = (text: string, lines: number): string => text.trimEnd().split('\n').slice(-lines).map((l) => `  | ${l}`).join('\n');

/**
 * Finds the source package and version and builds it in the build stage image.
 * Throws LoupeError: unknown package or version, build failure.
 */
export async function buildDebianPackage(req: DebianRequest, session: GenerateSession, progress: GenerateProgress): Promise<BuiltPackage> {
  let start = performance.now();
  progress.phase(`finding the source package of ${req.package}${req.version === undefined ? '' : ` ${req.version}`} (apt-get update in ${BASE_IMAGE_NAME})`);
  const scripts = join(session.workDir, 'scripts');
  mkdirSync(scripts);
  for (const script of ['deb-src.sh', 'resolve.sh']) copyFileSync(join(SCRIPTS_DIR, script), join(scripts, script));
  const resolved = await session.cancellable(() => runInContainer(BASE_IMAGE_NAME, [`${SCRIPTS_IN_IMAGE}/resolve.sh`, req.package, ...(req.version === undefined ? [] : [req.version])],
    [[scripts, SCRIPTS_IN_IMAGE]], session, 'resolve'));
  if (resolved.code !== 0) {
    throw new LoupeError(`could not read the package lists of ${BASE_IMAGE_NAME} (status ${resolved.code})\n${tail(resolved.stdout + resolved.stderr, 12)}`, ExitCode.environment,
      'the image needs a deb entry in its apt sources and access to that mirror');
  }
  const pkg = parseResolveOutput(resolved.stdout, req.package, req.version);
  const resolveSeconds = elapsed(start);

  start = performance.now();
  const buildText = debianDockerfile(pkg);
  const buildDir = join(session.workDir, 'build-stage');
  const buildPath = writeDockerfile(buildDir, req.package, buildText);
  const buildImage = `loupe-debian-${pkg.source.toLowerCase()}:${createHash('md5').update(buildText).digest('hex')}`;
  try {
    await session.cancellable(() => buildDockerfile({
      app: req.package, dockerfile: buildPath, dataFiles: [...DEBIAN_SCRIPTS], image: buildImage,
      logName: `debian-${pkg.source}.log`, session, progress,
    }));
  } catch (err) {
    if (!(err instanceof LoupeError) || err.exitCode === ExitCode.interrupted) throw err;
    throw new LoupeError(`the build of Debian package ${pkg.source} ${pkg.version} failed: ${err.message}`, ExitCode.badInput, err.hint);
  }
  return { pkg, buildImage, seconds: { resolve: resolveSeconds, build: elapsed(start) } };
}

/**
 * Reads the built package's test step and picks the binaries its suite runs.
 * Throws LoupeError: no test suite, a --binary the build did not produce (before the suite
 * runs), a suite that fails unperturbed, a binary the suite never executes, none executed.
 */
export async function chooseDebianBinaries(req: DebianRequest, built: BuiltPackage, session: GenerateSession, progress: GenerateProgress): Promise<PreparedPackage> {
  const { pkg, buildImage } = built;
  const start = performance.now();
  progress.phase(`reading the test step of ${pkg.source} and the executables its build produced`);
  const scanned = await session.cancellable(() => runInContainer(buildImage, scanCommand(pkg.source), [], session, 'scan'));
  if (scanned.code !== 0) throw new LoupeError(`the scan of ${pkg.source}'s built tree failed (status ${scanned.code})\n${tail(scanned.stdout + scanned.stderr, 12)}`, ExitCode.failed);
  const scan: ScanResult = parseScanOutput(scanned.stdout);
  const step = testStepOf(scan.rules, scan.dhAutoTestPlan);
  if (step.kind === 'none') {
    throw new LoupeError(`Debian package ${pkg.source} ${pkg.version} has no test suite to analyse: ${step.why}`, ExitCode.badInput,
      'loupe debian needs a package whose build runs tests (dh_auto_test, or its own check target)');
  }
  if (req.binary !== undefined) builtMatches(scan.executables, req.binary, pkg.source);
  const makefile = suiteMakefile(pkg.source, step);
  const makefileDir = join(session.workDir, 'suite');
  const outDir = join(session.workDir, 'discovery');
  mkdirSync(makefileDir);
  mkdirSync(outDir);
  writeFileSync(join(makefileDir, SUITE_MAKEFILE), makefile);
  progress.phase(`running the test suite of ${pkg.source} once under strace to see which of its ${scan.executables.length} built executable(s) it runs`);
  const run = await session.cancellable(() => runInContainer(buildImage, discoveryCommand(pkg.source, req.makeArgs, DISCOVERY_OUT),
    [[join(makefileDir, SUITE_MAKEFILE), `${SCRIPTS_IN_IMAGE}/${SUITE_MAKEFILE}`], [outDir, DISCOVERY_OUT]], session, 'discovery'));
  const suiteLog = readOptional(join(outDir, 'suite.log'));
  if (run.code !== 0) {
    throw new LoupeError(`the test suite of ${pkg.source} ${pkg.version} fails on the unperturbed build (status ${run.code}), so no experiment could be judged\n${tail(suiteLog + run.stderr, 15)}`,
      ExitCode.failed, 'the Debian build of this version skips or tolerates these failures only with nocheck; try another --version or --binary');
  }
  const trace = parseStraceLog(readOptional(join(outDir, 'trace.txt')));
  const choice = chooseBinaries(scan.executables, executedPaths(trace, treeOf(pkg.source)), req.binary, pkg.source);
  return { ...built, step, choice, buildLog: scan.buildLog, suiteLog, seconds: { ...built.seconds, discovery: elapsed(start) } };
}

function readOptional(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Writes the Dockerfile and dockerfile_data/ of each chosen binary under the session's folder. */
export function binaryDockerfiles(req: DebianRequest, prepared: PreparedPackage, session: GenerateSession): BinaryDockerfile[] {
  const makefile = suiteMakefile(prepared.pkg.source, prepared.step);
  return prepared.choice.chosen.map((binary, i) => {
    const text = debianDockerfile(prepared.pkg, { binary, makeArgs: req.makeArgs, ...(req.jobs === undefined ? {} : { jobs: req.jobs }) });
    const dockerfile = writeDockerfile(join(session.workDir, `binary-${i}`), req.package, text, makefile);
    return { binary, dockerfile, runName: createHash('md5').update(text).digest('hex') };
  });
}

/** Removes the images a `loupe debian` built (with vfs each is a full copy of its file system). */
export async function removeImages(images: readonly string[]): Promise<void> {
  if (images.length > 0) await capture(['docker', 'rmi', '--force', ...images]);
}

