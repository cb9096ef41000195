import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ExitCode, LoupeError } from '../core/errors.js';
import { parseDynCsv } from '../db/csv.js';
import { CMD_TXT, DATA_DIR, DYN_CSV, dockerfileName, isRunDirName, parseWorkloadDirName } from '../db/layout.js';
import { openDatabase, type RunLocation } from '../db/writer.js';
import { compareRuns, formatChanges, type ClassChange } from '../generate/compare.js';
import { nativeEnvironment, type AnalysisEnvironment } from '../generate/environments.js';
import { NATIVE_RECORD_FILE, TEST_SCRIPT_DIR, describeNativeEnvironment, parseRecord } from '../generate/native-record.js';
import { GenerateProgress } from '../generate/progress.js';
import { GenerateSession } from '../generate/session.js';
import { checkArchitecture } from '../explore/preflight.js';
import { VERSION } from '../core/version.js';
import { analyse, formatOutcome, prepareDocker, removeJournal, storeAnalysis, type GenerateOutcome } from '../generate/steps.js';

export interface ReproduceRequest {
  runFolder: string;
  replicas: number;
  /** Only compare: leave the database as it is. */
  store: boolean;
  commit: boolean;
  allowDirty: boolean;
  json: boolean;
  quiet: boolean;
  commandLine: string;
}

/**
 * Re-runs a stored run from its own record (environment.json for a native run, the Dockerfile and
 * dockerfile_data/ for a Docker run), stores the new result in place of the old one (unless
 * --no-store), and prints the syscalls whose class moved.
 */
export async function reproduceCommand(req: ReproduceRequest): Promise<void> {
  const folder = resolve(req.runFolder);
  const location = locate(folder);
  const table = checkArchitecture();
  const db = await openDatabase(dirname(dirname(dirname(folder))), { init: false, allowDirty: req.allowDirty || !req.store });
  const storedDyn = join(folder, DATA_DIR, DYN_CSV);
  const before = existsSync(storedDyn) ? parseDynCsv(readFileSync(storedDyn, 'utf8'), storedDyn) : [];
  const progress = new GenerateProgress(process.stderr, req.quiet || req.json, 'reproduce');
  const session = new GenerateSession();
  try {
    const env = await session.cancellable(() => environmentOf(folder, location, session, progress));
    if (env.runName !== location.run) {
      progress.phase(`the environment changed since the run was made: the reproduction is run ${env.runName}`);
    }
    const target: RunLocation = { ...location, run: env.runName };
    const settings = { replicas: req.replicas, table, session, progress };
    const analysis = await analyse(db, target, env, settings);
    const changes = compareRuns(before, analysis.merged.rows, table);
    let outcome: GenerateOutcome | undefined;
    if (req.store) {
      const cmdTxt = existsSync(join(folder, CMD_TXT)) ? readFileSync(join(folder, CMD_TXT), 'utf8') : `${req.commandLine}\n`;
      outcome = await storeAnalysis(db, target, env, analysis, { ...settings, commit: req.commit, cmdTxt, commandLine: req.commandLine });
    } else {
      removeJournal(analysis.journalDir);
    }
    report(location.run, env.runName, changes, outcome, req.json);
  } finally {
    await session.close();
  }
}

function locate(folder: string): RunLocation {
  if (!existsSync(folder) || !statSync(folder).isDirectory()) {
    throw new LoupeError(`run folder ${folder} ${existsSync(folder) ? 'is a file, not a folder' : 'does not exist'}`, ExitCode.badInput,
      'give a folder DB/APP/benchmark-NAME/RUN or DB/APP/suite[-NAME]/RUN');
  }
  const run = basename(folder);
  const workload = parseWorkloadDirName(basename(dirname(folder)));
  if (!isRunDirName(run) || workload === undefined) {
    throw new LoupeError(`${folder} is not a run folder`, ExitCode.badInput,
      'give a folder DB/APP/benchmark-NAME/RUN or DB/APP/suite[-NAME]/RUN');
  }
  return { app: basename(dirname(dirname(folder))), workload, run };
}

async function environmentOf(folder: string, location: RunLocation, session: GenerateSession, progress: GenerateProgress): Promise<AnalysisEnvironment> {
  const recordFile = join(folder, NATIVE_RECORD_FILE);
  if (existsSync(recordFile)) {
    const record = parseRecord(readFileSync(recordFile, 'utf8'), recordFile);
    const testScript = record.testScript === undefined ? undefined : join(folder, TEST_SCRIPT_DIR, record.testScript.file);
    const now = await describeNativeEnvironment({
      binary: record.command.binary, args: record.command.args, cwd: record.command.cwd, exploreArgs: record.command.explore,
      ...(testScript === undefined ? {} : { testScript }),
    }, VERSION);
    return nativeEnvironment(now, testScript);
  }
  const dockerfile = join(folder, dockerfileName(location.app));
  if (existsSync(dockerfile)) {
    return prepareDocker(location.app, dockerfile, session, progress);
  }
  throw new LoupeError(`${folder} holds neither ${NATIVE_RECORD_FILE} nor ${dockerfileName(location.app)}: nothing to reproduce it from`,
    ExitCode.badInput, 'runs imported from older data (`imported`) cannot be reproduced');
}

function report(oldRun: string, newRun: string, changes: ClassChange[], outcome: GenerateOutcome | undefined, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify({ run: oldRun, reproducedAs: newRun, changes, stored: outcome ?? null }, null, 2)}\n`);
    return;
  }
  process.stdout.write(formatChanges(changes));
  if (outcome !== undefined) process.stdout.write(formatOutcome(outcome, process.cwd()));
}
