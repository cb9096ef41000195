import { accessSync, constants, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { delimiter, join, relative, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { ExitCode, LoupeError } from '../core/errors.js';
import { classOf } from '../db/csv.js';
import { dockerfileName, workloadDirName, type WorkloadId } from '../db/layout.js';
import { openDatabase, storeRun, validateRunLocation, type Database, type RunLocation } from '../db/writer.js';
import { buildImage } from '../docker/build.js';
import { copyDockerfileData } from '../docker/context.js';
import { inspectDockerfile } from '../docker/dockerfile.js';
import { imageExists, imageId, requireDockerEngine } from '../docker/engine.js';
import { dockerEnvironment, nativeEnvironment, type AnalysisEnvironment } from '../generate/environments.js';
import { exploreOptionArgs, type ExploreOptions } from '../generate/explore-invocation.js';
import { VERSION } from '../version.js';
import { describeDisagreements, describeSubfeatureDisagreements, type Disagreement, type SubfeatureDisagreement } from '../generate/merge.js';
import { describeNativeEnvironment } from '../generate/native-record.js';
import { assembleRunFiles, mergeAndCheck, runReplicas, type MergedRun } from '../generate/pipeline.js';
import type { ReplicaOutput } from '../generate/replica-output.js';
import { GenerateProgress } from '../generate/progress.js';
import { freshLogFile, journalFolder } from '../generate/replicas.js';
import { GenerateSession } from '../generate/session.js';
import { checkArchitecture } from '../explore/preflight.js';
import type { SyscallTable } from '../syscalls/table.js';
import { defaultJobs } from './explore.js';
import { confirm } from './prompt.js';

export const BASE_IMAGE_NAME = 'loupe-base:latest';

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
  explore: ExploreOptions;
  /** Native environment: the program and its arguments. */
  command: string[];
  json: boolean;
  quiet: boolean;
  /** The command line as typed, stored in cmd.txt. */
  commandLine: string;
}

export async function generateCommand(req: GenerateRequest): Promise<void> {
  const location: Omit<RunLocation, 'run'> = { app: req.app, workload: req.workload };
  validateRunLocation({ ...location, run: 'imported' });
  if (!Number.isInteger(req.replicas) || req.replicas < 1) throw new LoupeError('--replicas must be a whole number >= 1', ExitCode.usage);
  if (req.dockerfile !== undefined && (req.command.length > 0 || exploreOptionArgs(req.explore).length > 0)) {
    throw new LoupeError('with -d the analysis is described by the Dockerfile\'s CMD: give neither explore options nor a command', ExitCode.usage);
  }
  const table = checkArchitecture();
  const progress = new GenerateProgress(process.stderr, req.quiet || req.json);
  const db = await openDatabase(req.db, {
    init: req.init, allowDirty: req.allowDirty,
    confirmCreate: (path) => confirm(`Database ${path} does not exist. Create it (git init)?`),
  });
  const session = new GenerateSession();
  try {
    const env = await session.cancellable(() =>
      req.dockerfile === undefined ? prepareNative(req) : prepareDocker(req.app, req.dockerfile, req.onlyBuildDocker, session, progress));
    if (env === undefined) return; // --only-build-docker
    const runLocation = { ...location, run: env.runName };
    const settings = { replicas: req.replicas, table, session, progress };
    const analysis = await analyse(db, runLocation, env, settings);
    const outcome = await storeAnalysis(db, runLocation, env, analysis, {
      ...settings, commit: req.commit, cmdTxt: `${req.commandLine}\n`, commandLine: req.commandLine,
    });
    printOutcome(outcome, req.json);
  } finally {
    await session.close();
  }
}

export interface AnalysisSettings {
  replicas: number;
  table: SyscallTable;
  session: GenerateSession;
  progress: GenerateProgress;
}

export interface Analysis {
  outputs: ReplicaOutput[];
  merged: MergedRun;
  journalDir: string;
}

/**
 * Runs the replicas in `env`, merges and checks them. Their journals stay until the result is
 * stored (or refused), so that an interrupted analysis resumes.
 */
export async function analyse(db: Database, location: RunLocation, env: AnalysisEnvironment, s: AnalysisSettings): Promise<Analysis> {
  const journalDir = journalFolder([db.root, location.app, workloadDirName(location.workload), ...env.identity]);
  const outputs = await s.session.cancellable(() => runReplicas(env, {
    replicas: s.replicas, cores: availableParallelism(), totalJobs: defaultJobs(), journalDir, workDir: s.session.workDir,
    groups: s.session.groups, progress: s.progress, table: s.table, running: s.session.running,
  }));
  try {
    return { outputs, merged: mergeAndCheck(outputs, s.table), journalDir };
  } catch (err) {
    // The result has been judged: a new run must start afresh rather than replay it.
    removeJournal(journalDir);
    throw err;
  }
}

export interface StoreSettings {
  commit: boolean;
  /** cmd.txt's content. */
  cmdTxt: string;
  /** What the commit message says was run. */
  commandLine: string;
}

export interface GenerateOutcome {
  db: string;
  folder: string;
  run: string;
  replaced: boolean;
  commit?: string;
  counts: Record<'used' | 'required' | 'stubOnly' | 'fakeOnly' | 'both', number>;
  disagreements: Disagreement[];
  subfeatureDisagreements: SubfeatureDisagreement[];
}

export async function storeAnalysis(db: Database, location: RunLocation, env: AnalysisEnvironment, analysis: Analysis, s: AnalysisSettings & StoreSettings): Promise<GenerateOutcome> {
  const { outputs, merged } = analysis;
  const files = assembleRunFiles({ env, outputs, merged, table: s.table, cmdTxt: s.cmdTxt });
  const message = `${location.app} ${workloadDirName(location.workload)}: ${env.kind} run ${location.run} (${s.replicas} replica${s.replicas === 1 ? '' : 's'})\n\n${s.commandLine}\n`;
  s.progress.phase('storing the run');
  const stored = await s.session.uninterruptible(() => storeRun(db, location, files, s.commit ? message : undefined));
  removeJournal(analysis.journalDir);
  const used = merged.rows.filter((r) => r.used);
  const count = (c: string): number => used.filter((r) => classOf(r) === c).length;
  return {
    db: db.root,
    folder: stored.folder,
    run: location.run,
    replaced: stored.replaced,
    ...(stored.commit === undefined ? {} : { commit: stored.commit }),
    counts: { used: used.length, required: count('required'), stubOnly: count('stubOnly'), fakeOnly: count('fakeOnly'), both: count('both') },
    disagreements: merged.disagreements,
    subfeatureDisagreements: merged.subfeatureDisagreements,
  };
}

export function removeJournal(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export function printOutcome(o: GenerateOutcome, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(o, null, 2)}\n`);
    return;
  }
  const rel = relative(process.cwd(), o.folder);
  const where = rel === '' || rel.startsWith('..') ? o.folder : rel;
  const lines = [
    `${o.replaced ? 'Replaced' : 'Stored'} run ${where}`,
    `  ${o.counts.used} syscalls used: ${o.counts.required} required, ${o.counts.stubOnly} stub only, ${o.counts.fakeOnly} fake only, ${o.counts.both} stub or fake`,
  ];
  if (o.disagreements.length === 0) lines.push('  the replicas agreed on every syscall');
  else lines.push(`  the replicas disagreed on ${o.disagreements.length} syscall(s), stored as required:`, ...describeDisagreements(o.disagreements).map((l) => `  ${l}`));
  if (o.subfeatureDisagreements.length > 0) {
    lines.push(`  the replicas disagreed on ${o.subfeatureDisagreements.length} sub-feature(s), stored as not removable:`,
      ...describeSubfeatureDisagreements(o.subfeatureDisagreements).map((l) => `  ${l}`));
  }
  lines.push(o.commit === undefined
    ? `  not committed: review it with \`git -C ${o.db} status\` and \`git diff\`, then commit it (or pass --commit)`
    : `  committed as ${o.commit.slice(0, 12)}`);
  process.stdout.write(lines.join('\n') + '\n');
}

/** Resolves a program name as the shell would (PATH lookup when it has no slash). */
function resolveProgram(program: string): string {
  if (program.includes('/')) return resolve(program);
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, program);
    if (isExecutableFile(candidate)) return candidate;
  }
  return program;
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

async function prepareNative(req: GenerateRequest): Promise<AnalysisEnvironment> {
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
  const exploreArgs = exploreOptionArgs({ ...req.explore, testScript: undefined });
  const record = await describeNativeEnvironment({ binary, args, cwd: process.cwd(), exploreArgs, ...(testScript === undefined ? {} : { testScript }) }, VERSION);
  return nativeEnvironment(record, testScript);
}

/** Builds the application's image; undefined when `onlyBuild` (--only-build-docker). */
export async function prepareDocker(app: string, dockerfile: string, onlyBuild: boolean, session: GenerateSession, progress: GenerateProgress): Promise<AnalysisEnvironment | undefined> {
  const path = resolve(dockerfile);
  if (!existsSync(path) || !statSync(path).isFile()) throw new LoupeError(`Dockerfile ${dockerfile} does not exist`, ExitCode.badInput);
  const bytes = readFileSync(path);
  const facts = inspectDockerfile(bytes.toString('utf8'), dockerfile);
  for (const warning of facts.warnings) process.stderr.write(`loupe: warning: ${warning}\n`);
  await requireDockerEngine();
  if (facts.fromLoupeBase && !(await imageExists(BASE_IMAGE_NAME))) {
    throw new LoupeError(`the image ${BASE_IMAGE_NAME} does not exist`, ExitCode.environment, 'build it with `loupe base-image`');
  }
  const runName = createHash('md5').update(bytes).digest('hex');
  const contextDir = join(session.workDir, 'context');
  mkdirSync(contextDir);
  const copied = copyDockerfileData(path, facts.dataFiles, contextDir);
  writeFileSync(join(contextDir, dockerfileName(app)), bytes);
  const image = `loupe-run-${app.toLowerCase().replace(/[^a-z0-9._-]/g, '-')}:${runName}`;
  const logFile = freshLogFile(`build-${runName}.log`);
  progress.phase(`building image ${image} from ${dockerfile} (log: ${logFile})`);
  await buildImage({ contextDir, dockerfile: join(contextDir, dockerfileName(app)), tag: image, logFile, groups: session.groups });
  if (onlyBuild) {
    process.stdout.write(`Built image ${image} (--only-build-docker: no analysis)\n`);
    return undefined;
  }
  return dockerEnvironment({
    app, dockerfileBytes: bytes, dataFiles: copied, contextDir, image, imageId: await imageId(image), runName,
  });
}
