import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ExitCode, LoupeError, type ExitCodeValue } from '../core/errors.js';
import { dockerfileName } from '../db/layout.js';
import { readFileWithMode, type RunFileContent } from '../db/writer.js';
import { runContainer } from '../docker/run.js';
import type { ExitStatus, ProcessGroups } from '../sandbox/process.js';
import { parseEventLine } from '../explore/events.js';
import { perfOptionArgs } from '../explore/perf/options.js';
import { nativeExploreCommand, nativeLoupeCommand, placementArgs, type ReplicaPlacement } from './explore-invocation.js';
import { NATIVE_RECORD_FILE, TEST_SCRIPT_DIR, formatRecord, recordRunName, type NativeRecord } from './native-record.js';

/**
 * Where the analysis runs: on this machine (native) or in a container built from a Dockerfile.
 * Both run the same `loupe explore` once per replica and say what the run folder must hold to
 * reproduce it.
 */
/** The image a Docker analysis runs in. */
export interface AnalysisImage {
  id: string;
  /** The IDs of the image and of the images it was built on that the engine holds, newest first (docker/engine.ts imageAncestry). */
  ancestry: string[];
  /** The ID `loupe-base:latest` had when the analysis started, if it existed. */
  baseImageId?: string;
}

export interface AnalysisEnvironment {
  kind: 'native' | 'docker';
  /** The run folder's name: md5 of the environment record (native) or of the Dockerfile (docker). */
  runName: string;
  /** Files that describe the environment, stored in the run folder (relative path -> content). */
  recordFiles: Map<string, RunFileContent>;
  /** What identifies this analysis for the resume journal. */
  identity: string[];
  /** Docker: the analysis image; told to a later analysis that cannot resume this one (journal-record.ts). */
  image?: AnalysisImage;
  /**
   * Experiments each replica runs side by side whatever its placement says: the `--jobs` of a
   * Dockerfile's CMD, which comes after (and so wins over) the one generate passes.
   */
  fixedJobs?: number;
  startReplica(index: number, placement: ReplicaPlacement, logs: ReplicaLogs, groups: ProcessGroups): ReplicaProcess;
  /**
   * One `loupe coverage` run of the same workload (generate --coverage), results in `outDir`.
   * Paths are inside the image for Docker.
   */
  startCoverage(build: CoverageBuild, outDir: string, logs: ReplicaLogs, groups: ProcessGroups): ReplicaProcess;
}

/** The instrumented build a coverage run uses. */
export interface CoverageBuild {
  /** Its build tree, with the .gcno files. */
  source: string;
  /** The instrumented copy of the analysed binary, run in its place; absent: the binary itself is instrumented. */
  instrumented?: string;
}

function coverageArgs(build: CoverageBuild): string[] {
  return ['--source', build.source, ...(build.instrumented === undefined ? [] : ['--instrumented', build.instrumented])];
}

/** Files receiving a replica's stdout and stderr. */
export interface ReplicaLogs {
  stdout: string;
  stderr: string;
}

export interface ReplicaProcess {
  exited: Promise<ExitStatus>;
  stop(): Promise<void>;
}

/** How long a stopped explore may take to stop its experiments before it is killed. */
const EXPLORE_STOP_GRACE_MS = 5_000;

/** `testScriptPath`: where the script recorded in `record.testScript` is now (its content must match). */
export function nativeEnvironment(record: NativeRecord, testScriptPath: string | undefined): AnalysisEnvironment {
  const recordText = formatRecord(record);
  const recordFiles = new Map<string, RunFileContent>([[NATIVE_RECORD_FILE, recordText]]);
  if (testScriptPath !== undefined) {
    recordFiles.set(`${TEST_SCRIPT_DIR}/${basename(testScriptPath)}`, readFileWithMode(testScriptPath));
    // Beside the script's copy, as they were beside the script: found by the same relative paths.
    for (const { file } of record.testFiles ?? []) recordFiles.set(`${TEST_SCRIPT_DIR}/${file}`, readFileWithMode(join(dirname(testScriptPath), file)));
  }
  const runName = recordRunName(recordText);
  return {
    kind: 'native',
    runName,
    recordFiles,
    identity: ['native', recordText],
    startReplica(_index, placement, logs, groups) {
      return startNative([...nativeExploreCommand(), ...placementArgs(placement)], record, testScriptPath, logs, groups);
    },
    startCoverage(build, outDir, logs, groups) {
      // explore's options that only concern experiments are accepted and ignored by coverage.
      return startNative([...nativeLoupeCommand('coverage'), ...coverageArgs(build), '--out', outDir, '-q'], record, testScriptPath, logs, groups);
    },
  };
}

/** `command` (loupe explore or coverage with their placement options) on the recorded workload. */
function startNative(command: string[], record: NativeRecord, testScriptPath: string | undefined, logs: ReplicaLogs, groups: ProcessGroups): ReplicaProcess {
  const stdout = openSync(logs.stdout, 'w');
  const stderr = openSync(logs.stderr, 'w');
  const testArgs = testScriptPath === undefined ? [] : ['-t', testScriptPath];
  const argv = [...command, '-b', record.command.binary, ...testArgs, ...record.command.explore, '--', ...record.command.args];
  const proc = groups.start({ argv, cwd: record.command.cwd, stdio: ['ignore', stdout, stderr] });
  closeSync(stdout);
  closeSync(stderr);
  return {
    exited: proc.exited,
    // explore and coverage clean up their own runs (each in a process group of its own) on
    // SIGTERM; SIGKILL only if they do not exit in time.
    async stop() {
      if (proc.pid !== undefined) {
        try {
          process.kill(-proc.pid, 'SIGTERM');
        } catch {
          // Already gone.
        }
      }
      await proc.waitWithTimeout(EXPLORE_STOP_GRACE_MS);
    },
  };
}

/** Mount points of a replica's output folder and journal folder inside the container. */
const CONTAINER_OUT = '/loupe/out';
const CONTAINER_JOURNAL_DIR = '/loupe/journal';

export interface DockerEnvironmentSpec {
  app: string;
  dockerfileBytes: Uint8Array;
  /** Files of dockerfile_data/ copied into the build context (relative to it). */
  dataFiles: string[];
  contextDir: string;
  /** Tag of the image. */
  image: string;
  imageFacts: AnalysisImage;
  runName: string;
  /** The CMD's own --jobs (DockerfileFacts.cmdJobs). */
  cmdJobs?: number;
}

export function dockerEnvironment(spec: DockerEnvironmentSpec): AnalysisEnvironment {
  const recordFiles = new Map<string, RunFileContent>([[dockerfileName(spec.app), spec.dockerfileBytes]]);
  for (const rel of spec.dataFiles) recordFiles.set(rel, readFileWithMode(join(spec.contextDir, rel)));
  const containerPrefix = `loupe-${process.pid}-${Date.now().toString(36)}`;
  return {
    kind: 'docker',
    runName: spec.runName,
    recordFiles,
    identity: ['docker', spec.runName, spec.imageFacts.id],
    image: spec.imageFacts,
    ...(spec.cmdJobs === undefined ? {} : { fixedJobs: spec.cmdJobs }),
    startReplica(index, placement, logs, groups) {
      const journalDir = join(placement.journal, '..');
      mkdirSync(placement.outDir, { recursive: true });
      // The Dockerfile may switch to another user (USER), who must be able to write the results.
      chmodSync(placement.outDir, 0o777);
      chmodSync(journalDir, 0o777);
      const container = runContainer({
        image: spec.image,
        name: `${containerPrefix}-r${index}`,
        mounts: [[placement.outDir, CONTAINER_OUT], [journalDir, CONTAINER_JOURNAL_DIR]],
        // Read by loupe-base's /root/explore.py, which adds them to the CMD's explore options.
        env: {
          LOUPE_EXPLORE_OUT: CONTAINER_OUT,
          LOUPE_EXPLORE_JOURNAL: `${CONTAINER_JOURNAL_DIR}/${basename(placement.journal)}`,
          LOUPE_EXPLORE_JOBS: String(placement.jobs),
          LOUPE_EXPLORE_EVENTS: '1',
          ...(placement.staticAnalysis ? {} : { LOUPE_EXPLORE_DISABLE_STATIC: '1' }),
          // Words without spaces (flags, numbers, a CPU list): the entry point splits them.
          ...(placement.perf ? { LOUPE_EXPLORE_PERF: perfOptionArgs(placement.perf).join(' ') } : {}),
        },
        stdoutFile: logs.stdout,
        stderrFile: logs.stderr,
        groups,
      });
      return { exited: container.exited, stop: container.stop };
    },
    startCoverage(build, outDir, logs, groups) {
      mkdirSync(outDir, { recursive: true });
      chmodSync(outDir, 0o777);
      const container = runContainer({
        image: spec.image,
        name: `${containerPrefix}-coverage`,
        mounts: [[outDir, CONTAINER_OUT]],
        // Read by loupe-base's /root/explore.py, which then runs `loupe coverage` on the CMD's command line.
        env: {
          LOUPE_COVERAGE_SOURCE: build.source,
          ...(build.instrumented === undefined ? {} : { LOUPE_COVERAGE_INSTRUMENTED: build.instrumented }),
          LOUPE_EXPLORE_OUT: CONTAINER_OUT,
        },
        stdoutFile: logs.stdout,
        stderrFile: logs.stderr,
        groups,
      });
      return { exited: container.exited, stop: container.stop };
    },
  };
}

/** The exit code generate reports when a replica's explore (or container) fails with `code`. */
export function replicaFailureCode(code: number | null): ExitCodeValue {
  switch (code) {
    case ExitCode.usage: return ExitCode.usage;
    case ExitCode.badInput: return ExitCode.badInput;
    case ExitCode.environment: return ExitCode.environment;
    case ExitCode.interrupted: return ExitCode.interrupted;
    default: return ExitCode.failed;
  }
}

export function replicaFailure(index: number, env: AnalysisEnvironment, status: ExitStatus, stderr: string): LoupeError {
  const what = env.kind === 'docker' ? 'the analysis container' : 'loupe explore';
  const how = status.signal !== null ? `was killed by ${status.signal}` : `exited with status ${status.code}`;
  // The progress events (phases, experiments) are not what went wrong.
  const messages = stderr.trim().split('\n').filter((l) => parseEventLine(l) === undefined);
  const tail = messages.slice(-15).map((l) => `  | ${l}`).join('\n');
  return new LoupeError(`replica ${index}: ${what} ${how}${tail === '' ? '' : `\n${tail}`}`, replicaFailureCode(status.code),
    'the database was not changed; fix the problem and run the same command again (finished experiments are kept)');
}
