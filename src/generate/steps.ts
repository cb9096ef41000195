import type { PerfOptions } from '../explore/perf/options.js';
import { availableParallelism } from 'node:os';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ExitCode, LoupeError } from '../core/errors.js';
import { SYSCALL_CLASSES, type SyscallClass } from '../core/verdict.js';
import { classOf } from '../db/csv.js';
import { COVERAGE_JSON, DATA_DIR, dockerfileName, workloadDirName } from '../db/layout.js';
import { storeRun, type DatabaseWriter, type RunLocation } from '../db/writer.js';
import { BASE_IMAGE_NAME, minimalBaseHint } from '../docker/base-image.js';
import { buildImage } from '../docker/build.js';
import { copyDockerfileData } from '../docker/context.js';
import { inspectDockerfile } from '../docker/dockerfile.js';
import { imageAncestry, imageExists, imageId, requireDockerEngine } from '../docker/engine.js';
import { defaultJobs } from '../explore/jobs.js';
import type { SyscallTable } from '../syscalls/table.js';
import { dockerEnvironment, replicaFailureCode, type AnalysisEnvironment, type CoverageBuild } from './environments.js';
import { describeDisagreements, describeSubfeatureDisagreements, type Disagreement, type SubfeatureDisagreement } from './merge.js';
import { assembleRunFiles, mergeAndCheck, runReplicas, type ExtraLog, type MergedRun } from './pipeline.js';
import type { GenerateProgress } from './progress.js';
import type { ReplicaOutput } from './replica-output.js';
import { folderJournalEntries, freshLogFile, journalFolder, journalRoot } from './replicas.js';
import { interruptedAnalyses, whyNotResumed, writeJournalRecord, type JournalRecord } from './journal-record.js';
import type { GenerateSession } from './session.js';
import { counted } from '../core/text.js';

/**
 * The steps of a stored analysis that generate and reproduce share: build the environment,
 * run and merge the replicas, store the run.
 */

export interface AnalysisSettings {
  replicas: number;
  table: SyscallTable;
  session: GenerateSession;
  progress: GenerateProgress;
  /** generate --perf-analysis: data/perf.csv from the first replica. */
  perf?: PerfOptions;
}

export interface Analysis {
  outputs: ReplicaOutput[];
  merged: MergedRun;
  journalDir: string;
  /** Journal folders of interrupted analyses of the same run in other images: once this one is stored, resuming them would only replace it with an older image's result, so they go. */
  superseded: string[];
}

/**
 * Runs the replicas in `env`, merges and checks them. Their journals stay until the result is
 * stored (or refused), so that an interrupted analysis resumes.
 */
export async function analyse(db: DatabaseWriter, location: RunLocation, env: AnalysisEnvironment, s: AnalysisSettings): Promise<Analysis> {
  const journalDir = journalFolder([db.root, location.app, workloadDirName(location.workload), ...env.identity]);
  const superseded = await noteInterruptedAnalyses(journalDir, {
    db: db.root, app: location.app, workload: workloadDirName(location.workload), kind: env.kind, runName: env.runName,
    ...(env.image ? { image: env.image } : {}),
  });
  try {
    const outputs = await s.session.cancellable(() => runReplicas(env, {
      replicas: s.replicas, cores: availableParallelism(), totalJobs: defaultJobs(), journalDir, workDir: s.session.workDir,
      groups: s.session.groups, progress: s.progress, table: s.table, running: s.session.running, perf: s.perf,
    }));
    try {
      return { outputs, merged: mergeAndCheck(outputs, s.table), journalDir, superseded };
    } catch (err) {
      // The result has been judged: a new run must start afresh rather than replay it.
      removeJournal(journalDir);
      throw err;
    }
  } catch (err) {
    // The error names the replicas' logs (a failed baseline's application and test script logs).
    if (!(err instanceof LoupeError && err.exitCode === ExitCode.interrupted)) s.session.keepWorkDir();
    throw err;
  }
}

/**
 * Records what the analysis of journal folder `journalDir` is (journal-record.ts), and returns
 * the journal folders of interrupted analyses of the same run in other images. When this one
 * has nothing to resume, warns on stderr of each, with why its experiments are not reused and
 * how to resume it instead: a `loupe debian` replica runs for hours, and a rebuilt loupe-base
 * silently started it over.
 */
async function noteInterruptedAnalyses(journalDir: string, record: JournalRecord): Promise<string[]> {
  mkdirSync(journalDir, { recursive: true });
  writeJournalRecord(journalDir, record);
  if (record.image === undefined) return [];
  const earlier = interruptedAnalyses(journalRoot(), record, journalDir);
  if (folderJournalEntries(journalDir) === 0) {
    for (const analysis of earlier) {
      const oldBase = analysis.record.image?.baseImageId;
      const baseExists = oldBase !== undefined && await imageExists(oldBase);
      process.stderr.write(`loupe: warning: ${whyNotResumed({ ...record, image: record.image }, analysis, baseExists)}\n`);
    }
  }
  return earlier.map((analysis) => analysis.dir);
}

/**
 * generate --coverage: one `loupe coverage` run of the workload in `env` with an instrumented
 * build; returns its coverage.json. LoupeError with the end of its log when it fails.
 */
export async function measureCoverageIn(env: AnalysisEnvironment, build: CoverageBuild, s: AnalysisSettings): Promise<string> {
  const dir = join(s.session.workDir, 'coverage');
  const outDir = join(dir, 'out');
  mkdirSync(outDir, { recursive: true });
  const logs = { stdout: join(dir, 'coverage.stdout'), stderr: join(dir, 'coverage.stderr') };
  s.progress.phase(`coverage run (build tree ${build.source})`);
  const run = env.startCoverage(build, outDir, logs, s.session.groups);
  s.session.running.add(run);
  const status = await s.session.cancellable(() => run.exited).finally(() => s.session.running.delete(run));
  const report = join(outDir, COVERAGE_JSON);
  if (status.code !== 0 || !existsSync(report)) {
    const tail = readFileSync(logs.stderr, 'utf8').trim().split('\n').slice(-10).map((l) => `  | ${l}`).join('\n');
    throw new LoupeError(`the coverage run ${status.signal !== null ? `was killed by ${status.signal}` : `exited with status ${status.code}`}${tail === '' ? '' : `\n${tail}`}`,
      replicaFailureCode(status.code), 'the database was not changed; fix the coverage build or drop --coverage');
  }
  return readFileSync(report, 'utf8');
}

export interface StoreSettings {
  commit: boolean;
  /** cmd.txt's content. */
  cmdTxt: string;
  /** What the commit message says was run. */
  commandLine: string;
  /** coverage.json of a coverage run (generate --coverage), stored in data/. */
  coverageJson?: string;
  extraLogs?: readonly ExtraLog[];
}

export interface GenerateOutcome {
  db: string;
  folder: string;
  run: string;
  replaced: boolean;
  commit?: string;
  counts: Record<'used' | SyscallClass, number>;
  disagreements: Disagreement[];
  subfeatureDisagreements: SubfeatureDisagreement[];
}

export async function storeAnalysis(db: DatabaseWriter, location: RunLocation, env: AnalysisEnvironment, analysis: Analysis, s: AnalysisSettings & StoreSettings): Promise<GenerateOutcome> {
  const { outputs, merged } = analysis;
  const files = assembleRunFiles({ env, outputs, merged, table: s.table, cmdTxt: s.cmdTxt, ...(s.extraLogs === undefined ? {} : { extraLogs: s.extraLogs }) });
  if (s.coverageJson !== undefined) files.set(`${DATA_DIR}/${COVERAGE_JSON}`, s.coverageJson);
  const message = `${location.app} ${workloadDirName(location.workload)}: ${env.kind} run ${location.run} (${counted(s.replicas, 'replica')})\n\n${s.commandLine}\n`;
  s.progress.phase('storing the run');
  const stored = await s.session.uninterruptible(() => storeRun(db, location, files, s.commit ? message : undefined));
  for (const dir of [analysis.journalDir, ...analysis.superseded]) removeJournal(dir);
  const used = merged.rows.filter((r) => r.used);
  const counts = { used: used.length } as GenerateOutcome['counts'];
  for (const c of SYSCALL_CLASSES) counts[c] = used.filter((r) => classOf(r) === c).length;
  return {
    db: db.root,
    folder: stored.folder,
    run: location.run,
    replaced: stored.replaced,
    ...(stored.commit === undefined ? {} : { commit: stored.commit }),
    counts,
    disagreements: merged.disagreements,
    subfeatureDisagreements: merged.subfeatureDisagreements,
  };
}

/** Deletes a resume journal folder (absent is fine). */
export function removeJournal(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Builds the application's image from `dockerfile` and its dockerfile_data/.
 * Throws LoupeError: missing Dockerfile, no engine, no base image, a failing build.
 */
async function buildRunImage(app: string, dockerfile: string, session: GenerateSession, progress: GenerateProgress) {
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
  const image = runImageName(app, runName);
  let built: Awaited<ReturnType<typeof buildDockerfile>>;
  try {
    built = await buildDockerfile({ app, dockerfile, dataFiles: facts.dataFiles, image, logName: `build-${runName}.log`, session, progress });
  } catch (err) {
    const minimal = err instanceof LoupeError && facts.fromLoupeBase ? await minimalBaseHint() : undefined;
    if (minimal === undefined) throw err;
    const error = err as LoupeError;
    throw new LoupeError(error.message, error.exitCode, error.hint === undefined ? minimal : `${error.hint}; ${minimal}`);
  }
  return { bytes, runName, image, built, cmdJobs: facts.cmdJobs };
}

/** `--only-build-docker`: builds the application's image (see buildRunImage) and returns its tag. */
export async function buildImageOnly(app: string, dockerfile: string, session: GenerateSession, progress: GenerateProgress): Promise<string> {
  return (await buildRunImage(app, dockerfile, session, progress)).image;
}

/**
 * Builds the application's image (see buildRunImage) and describes the environment that runs
 * the analysis in it. Throws LoupeError as buildRunImage.
 */
export async function prepareDocker(app: string, dockerfile: string, session: GenerateSession, progress: GenerateProgress): Promise<AnalysisEnvironment> {
  const { bytes, runName, image, built, cmdJobs } = await buildRunImage(app, dockerfile, session, progress);
  const baseImageId = await imageExists(BASE_IMAGE_NAME) ? await imageId(BASE_IMAGE_NAME) : undefined;
  const imageFacts = { id: await imageId(image), ancestry: await imageAncestry(image), ...(baseImageId === undefined ? {} : { baseImageId }) };
  return dockerEnvironment({
    app, dockerfileBytes: bytes, dataFiles: built.copied, contextDir: built.contextDir, image, imageFacts, runName,
    ...(cmdJobs === undefined ? {} : { cmdJobs }),
  });
}

/** The tag of the image a stored Docker run is analysed in: `loupe-run-<app>:<run>`. */
export function runImageName(app: string, runName: string): string {
  return `loupe-run-${app.toLowerCase().replace(/[^a-z0-9._-]/g, '-')}:${runName}`;
}

export interface DockerfileBuild {
  app: string;
  /** Path of the Dockerfile; the files it copies are in dockerfile_data/ beside it. */
  dockerfile: string;
  /** Files of dockerfile_data/ it copies (DockerfileFacts.dataFiles). */
  dataFiles: readonly string[];
  /** Tag of the image. */
  image: string;
  /** Name of the build log in the cache's logs folder. */
  logName: string;
  session: GenerateSession;
  progress: GenerateProgress;
}

/**
 * Builds `image` from a Dockerfile in a build context of its own (the Dockerfile as
 * Dockerfile.<app> and the dockerfile_data/ files it copies), logging to the cache's logs folder.
 * Returns the context folder and the data files copied into it. Throws LoupeError on a failing build.
 */
export async function buildDockerfile(b: DockerfileBuild): Promise<{ contextDir: string; copied: string[] }> {
  const path = resolve(b.dockerfile);
  const bytes = readFileSync(path);
  const contextDir = mkdtempSync(join(b.session.workDir, 'context-'));
  const copied = copyDockerfileData(path, [...b.dataFiles], contextDir);
  writeFileSync(join(contextDir, dockerfileName(b.app)), bytes);
  const logFile = freshLogFile(b.logName);
  b.progress.phase(`building image ${b.image} from ${b.dockerfile} (log: ${logFile})`);
  await buildImage({ contextDir, dockerfile: join(contextDir, dockerfileName(b.app)), tag: b.image, logFile, groups: b.session.groups });
  return { contextDir, copied };
}

/** The stored run in a few lines of text: where, the class counts, the replicas' disagreements, the commit. */
export function formatOutcome(o: GenerateOutcome, cwd: string): string {
  const rel = relative(cwd, o.folder);
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
  return lines.join('\n') + '\n';
}

