import { resolve } from 'node:path';
import { findOnPath, isExecutableFile } from '../fs/executables.js';
import { ExitCode, LoupeError } from '../core/errors.js';
import type { WorkloadId } from '../db/layout.js';
import { openDatabase, validateRunLocation, type RunLocation } from '../db/writer.js';
import { nativeEnvironment, type AnalysisEnvironment, type CoverageBuild } from '../generate/environments.js';
import { analysisOptionArgs, type AnalysisOptions } from '../explore/options.js';
import type { PerfOptions } from '../explore/perf/options.js';
import { describeNativeEnvironment } from '../generate/native-record.js';
import { GenerateProgress } from '../generate/progress.js';
import { GenerateSession } from '../generate/session.js';
import { analyse, buildImageOnly, formatOutcome, measureCoverageIn, prepareDocker, storeAnalysis, type GenerateOutcome } from '../generate/steps.js';
import { checkArchitecture } from '../explore/preflight.js';
import { VERSION } from '../core/version.js';
import { confirm } from './prompt.js';
import { findNotes } from '../coverage/gcov-data.js';
import { checkSourceDirectory } from '../static/source.js';

export interface GenerateRequest {
  db: string;
  app: string;
  workload: WorkloadId;
  dockerfile?: string;
  onlyBuildDocker: boolean;
  allowDirty: boolean;
  init: boolean;
  commit: boolean;
  replicas: number;
  explore: Partial<AnalysisOptions>;
  /** --perf-analysis (src/explore/perf/options.ts): the first replica also measures the impact of each working stub and fake (data/perf.csv). */
  perf?: PerfOptions;
  /** Native environment: the program and its arguments. */
  command: string[];
  json: boolean;
  quiet: boolean;
  /** The command line as typed, stored in cmd.txt. */
  commandLine: string;
  /** --coverage and --coverage-binary (paths inside the image for Docker); data/coverage.json is stored. */
  coverage?: CoverageBuild;
}

export async function generateCommand(req: GenerateRequest): Promise<void> {
  const location: Omit<RunLocation, 'run'> = { app: req.app, workload: req.workload };
  validateRunLocation({ ...location, run: 'imported' });
  if (!Number.isInteger(req.replicas) || req.replicas < 1) throw new LoupeError('--replicas must be a whole number >= 1', ExitCode.usage);
  if (req.dockerfile !== undefined && (req.command.length > 0 || analysisOptionArgs(req.explore).length > 0)) {
    throw new LoupeError('with -d the analysis is described by the Dockerfile\'s CMD: give neither explore options nor a command', ExitCode.usage);
  }
  const table = checkArchitecture();
  // A native coverage build is checked before the replicas, which take minutes, not after them.
  if (req.coverage !== undefined && req.dockerfile === undefined) checkCoverageBuild(coverageBuild(req.coverage, true));
  const progress = new GenerateProgress(process.stderr, req.quiet || req.json);
  const db = await openDatabase(req.db, {
    init: req.init, allowDirty: req.allowDirty,
    confirmCreate: (path) => confirm(`Database ${path} does not exist. Create it (git init)?`),
  });
  const session = new GenerateSession();
  try {
    if (req.dockerfile !== undefined && req.onlyBuildDocker) {
      const dockerfile = req.dockerfile;
      const image = await session.cancellable(() => buildImageOnly(req.app, dockerfile, session, progress));
      process.stdout.write(`Built image ${image} (--only-build-docker: no analysis)\n`);
      return;
    }
    const env = await session.cancellable(() =>
      req.dockerfile === undefined ? prepareNative(req, progress) : prepareDocker(req.app, req.dockerfile, session, progress));
    const runLocation = { ...location, run: env.runName };
    const settings = { replicas: req.replicas, table, session, progress, ...(req.perf ? { perf: req.perf } : {}) };
    const analysis = await analyse(db, runLocation, env, settings);
    const coverageJson = req.coverage === undefined ? undefined : await measureCoverageIn(env, coverageBuild(req.coverage, req.dockerfile === undefined), settings);
    const outcome = await storeAnalysis(db, runLocation, env, analysis, {
      ...settings, commit: req.commit, cmdTxt: `${req.commandLine}\n`, commandLine: req.commandLine,
      ...(coverageJson === undefined ? {} : { coverageJson }),
    });
    printOutcome(outcome, req.json);
  } finally {
    await session.close();
  }
}

/** Paths on this machine are made absolute (the coverage run starts elsewhere); paths in an image are kept. */
function coverageBuild(build: CoverageBuild, native: boolean): CoverageBuild {
  if (!native) return build;
  return { source: resolve(build.source), ...(build.instrumented === undefined ? {} : { instrumented: resolveProgram(build.instrumented) }) };
}

/** What `loupe coverage` checks first, on this machine: a build tree with .gcno files, an executable instrumented copy. */
function checkCoverageBuild(build: CoverageBuild): void {
  checkSourceDirectory(build.source);
  try {
    findNotes(build.source);
  } catch (err) {
    if (!(err instanceof LoupeError)) throw err;
    throw new LoupeError(err.message, err.exitCode, 'build the program with `--coverage` (CFLAGS and LDFLAGS) and give its build tree with --coverage');
  }
  if (build.instrumented !== undefined && !isExecutableFile(build.instrumented)) {
    throw new LoupeError(`--coverage-binary ${build.instrumented} is not an executable file`, ExitCode.badInput,
      'give the instrumented copy of the analysed binary (built with --coverage)');
  }
}

/** Resolves a program name as the shell would (PATH lookup when it has no slash). */
function resolveProgram(program: string): string {
  return program.includes('/') ? resolve(program) : (findOnPath(program) ?? program);
}

async function prepareNative(req: GenerateRequest, progress: GenerateProgress): Promise<AnalysisEnvironment> {
  const [program, ...args] = req.command;
  if (program === undefined) {
    throw new LoupeError('no program to analyse', ExitCode.usage,
      'give it after --, e.g. `loupe generate -db DB -a lua -w hello -b -t test.sh -- /usr/bin/lua5.4 hello.lua`, or use -d DOCKERFILE');
  }
  const binary = resolveProgram(program);
  if (!isExecutableFile(binary)) throw new LoupeError(`${program} is not an executable file`, ExitCode.badInput);
  const testScript = req.explore.testScript === undefined ? undefined : resolve(req.explore.testScript);
  if (testScript !== undefined && !isExecutableFile(testScript)) {
    throw new LoupeError(`test script ${req.explore.testScript} is not an executable file`, ExitCode.badInput, `chmod +x ${req.explore.testScript}`);
  }
  const exploreArgs = analysisOptionArgs({ ...req.explore, testScript: undefined });
  const record = await describeNativeEnvironment({ binary, args, cwd: process.cwd(), exploreArgs, ...(testScript === undefined ? {} : { testScript }) }, VERSION);
  if (record.testFiles !== undefined) progress.phase(`stored with the test script, as it names them: ${record.testFiles.map((f) => f.file).join(', ')}`);
  return nativeEnvironment(record, testScript);
}


/** The outcome on stdout: JSON with --json, else a few lines of text. */
export function printOutcome(o: GenerateOutcome, json: boolean): void {
  process.stdout.write(json ? `${JSON.stringify(o, null, 2)}\n` : formatOutcome(o, process.cwd()));
}
