/**
 * Reads a Loupe database (see layout.ts): every application, workload and run, their data
 * files and cmd.txt, and the OS syscall lists kept at the root as `<OS>.syscalls`.
 *
 * Several runs of one workload: one is *chosen* for queries, deterministically:
 *   1. runs with a dyn.csv before runs without one (a run without results answers nothing);
 *   2. measured runs (md5 folder names) before `imported` ones (old data, kept for history);
 *   3. the run whose folder was touched by the most recent commit (git history order, so the
 *      answer is the same on every clone; runs never committed come after committed ones);
 *   4. lexical order of the folder name.
 * Git is consulted only when rules 1 and 2 leave a tie, so reading stays fast.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { simpleGit } from 'simple-git';
import { ExitCode, LoupeError } from '../core/errors.js';
import { X86_64, type SyscallTable } from '../syscalls/table.js';
import { parseStoredCoverage, type StoredCoverage } from './coverage-json.js';
import { CsvFormatError, meaningfulLines, parseDynCsv, parseStaticCsv, type DynRow } from './csv.js';
import { parsePerfCsv } from './perf-csv.js';
import type { PerfRow } from '../core/perf-report.js';
import { FALLBACKS_CSV, parseFallbacksCsv } from './fallbacks-csv.js';
import type { Fallbacks } from '../core/fallbacks.js';
import {
  CMD_TXT, COVERAGE_JSON, DATA_DIR, DYN_CSV, IMPORTED_RUN, PERF_CSV, STATIC_BINARY_CSV, STATIC_SOURCES_CSV, isRunDirName, parseWorkloadDirName,
  type WorkloadId,
} from './layout.js';

export const OS_LIST_SUFFIX = '.syscalls';

/** A data/ file that is none of the standard results (e.g. sub-feature verdicts). */
export interface ExtraDataFile {
  file: string;
  text: string;
}

export interface Run {
  app: string;
  /** Workload folder name, e.g. `benchmark-wrk`. */
  workload: string;
  /** Run folder name: an md5 digest or `imported`. */
  name: string;
  /** Path relative to the database root, with `/` separators. */
  path: string;
  cmd?: string;
  dyn?: DynRow[];
  staticBinary?: number[];
  staticSources?: number[];
  /** data/coverage.json, when the run was generated with --coverage. */
  coverage?: StoredCoverage;
  /** data/perf.csv (generate --perf-analysis): the baseline row first. */
  perf?: PerfRow[];
  /** data/fallbacks.csv: absent for runs measured without fallbacks (older runs, the original tool). */
  fallbacks?: Fallbacks;
  extraData: ExtraDataFile[];
}

export interface StoredWorkload {
  app: string;
  dir: string;
  id: WorkloadId;
  /** Every run, in folder-name order. */
  runs: Run[];
  /** The run queries use (see the rule at the top of this file). */
  chosen: Run;
}

export interface Application {
  name: string;
  /** Sorted by folder name. */
  workloads: StoredWorkload[];
}

export interface OsList {
  /** File name without `.syscalls`, e.g. `Unikraft`. */
  name: string;
  file: string;
  /** Supported syscall numbers, sorted. */
  supported: number[];
  /** Lines that are not syscall names of the table, in file order. */
  unknownNames: string[];
}

export interface DatabaseContents {
  root: string;
  table: SyscallTable;
  /** Sorted by name. */
  applications: Application[];
  /** The `<OS>.syscalls` files at the root, sorted by name. */
  osLists: OsList[];
  /** Data oddities that were read anyway (e.g. old rows with overlapping columns). */
  warnings: string[];
}

function subdirectories(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
}

function readIfExists(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

/** Runs a CSV parser, turning a format error into a user-facing one that names file and line. */
function parseCsvFile<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof CsvFormatError) {
      throw new LoupeError(`malformed CSV row at ${err.message}`, ExitCode.badInput, 'fix or remove that file (git diff shows what changed)');
    }
    throw err;
  }
}

const STANDARD_DATA_FILES = new Set([DYN_CSV, STATIC_BINARY_CSV, STATIC_SOURCES_CSV, PERF_CSV, FALLBACKS_CSV, COVERAGE_JSON]);

function readRun(root: string, app: string, workload: string, name: string, warnings: string[]): Run {
  const path = `${app}/${workload}/${name}`;
  const dir = join(root, path);
  const dataDir = join(dir, DATA_DIR);
  const run: Run = { app, workload, name, path, extraData: [] };
  const cmd = readIfExists(join(dir, CMD_TXT));
  if (cmd !== undefined) run.cmd = cmd.trim();
  if (!existsSync(dataDir)) return run;
  const dynText = readIfExists(join(dataDir, DYN_CSV));
  if (dynText !== undefined) {
    run.dyn = parseCsvFile(() => parseDynCsv(dynText, `${path}/${DATA_DIR}/${DYN_CSV}`, (w) => warnings.push(w)));
  }
  const binaryText = readIfExists(join(dataDir, STATIC_BINARY_CSV));
  if (binaryText !== undefined) {
    run.staticBinary = parseCsvFile(() => parseStaticCsv(binaryText, `${path}/${DATA_DIR}/${STATIC_BINARY_CSV}`));
  }
  const sourcesText = readIfExists(join(dataDir, STATIC_SOURCES_CSV));
  if (sourcesText !== undefined) {
    run.staticSources = parseCsvFile(() => parseStaticCsv(sourcesText, `${path}/${DATA_DIR}/${STATIC_SOURCES_CSV}`));
  }
  const coverageText = readIfExists(join(dataDir, COVERAGE_JSON));
  if (coverageText !== undefined) run.coverage = parseStoredCoverage(coverageText, `${path}/${DATA_DIR}/${COVERAGE_JSON}`);
  const perfText = readIfExists(join(dataDir, PERF_CSV));
  if (perfText !== undefined) run.perf = parseCsvFile(() => parsePerfCsv(perfText, `${path}/${DATA_DIR}/${PERF_CSV}`));
  const fallbacksText = readIfExists(join(dataDir, FALLBACKS_CSV));
  if (fallbacksText !== undefined) {
    run.fallbacks = parseCsvFile(() => parseFallbacksCsv(fallbacksText, `${path}/${DATA_DIR}/${FALLBACKS_CSV}`));
  }
  for (const file of readdirSync(dataDir).sort()) {
    if (STANDARD_DATA_FILES.has(file) || !statSync(join(dataDir, file)).isFile()) continue;
    run.extraData.push({ file, text: readFileSync(join(dataDir, file), 'utf8') });
  }
  return run;
}

/** Rank of a run under rules 1 and 2; lower is preferred. */
function localRank(run: Run): number {
  return (run.dyn ? 0 : 2) + (run.name === IMPORTED_RUN ? 1 : 0);
}

/**
 * For each run folder of `workloadPath`, the position (0 = newest) of the most recent commit
 * touching it; folders never committed are absent. Empty if the root is not a git repository.
 */
async function lastCommitOrder(root: string, workloadPath: string): Promise<Map<string, number>> {
  const order = new Map<string, number>();
  let log: string;
  try {
    log = await simpleGit(root).raw(['log', '--format=%x00', '--name-only', '--', workloadPath]);
  } catch {
    return order;
  }
  const commits = log.split('\0').slice(1);
  commits.forEach((files, index) => {
    for (const file of files.split('\n')) {
      const run = file.slice(workloadPath.length + 1).split('/')[0];
      if (file.startsWith(`${workloadPath}/`) && run && !order.has(run)) order.set(run, index);
    }
  });
  return order;
}

async function chooseRun(root: string, runs: Run[], inGit: boolean): Promise<Run> {
  const best = Math.min(...runs.map(localRank));
  const candidates = runs.filter((r) => localRank(r) === best);
  if (candidates.length === 1 || !inGit) return candidates[0]!;
  const order = await lastCommitOrder(root, `${candidates[0]!.app}/${candidates[0]!.workload}`);
  const position = (r: Run): number => order.get(r.name) ?? Number.POSITIVE_INFINITY;
  return [...candidates].sort((a, b) => position(a) - position(b) || (a.name < b.name ? -1 : 1))[0]!;
}

/** Parses an OS syscall list: one name per line; blank lines and `#` comments are ignored. */
export function parseOsList(text: string, file: string, table: SyscallTable = X86_64): OsList {
  const supported = new Set<number>();
  const unknownNames: string[] = [];
  for (const [, line] of meaningfulLines(text)) {
    const nr = table.number(line);
    if (nr === undefined) unknownNames.push(line);
    else supported.add(nr);
  }
  const name = basename(file).replace(/\.syscalls$/, '');
  return { name, file, supported: [...supported].sort((a, b) => a - b), unknownNames };
}

export function readOsList(path: string, table: SyscallTable = X86_64): OsList {
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new LoupeError(`OS syscall list not found: ${path}`, ExitCode.badInput, 'give a file with one syscall name per line, e.g. <database>/Unikraft.syscalls');
  }
  return parseOsList(readFileSync(path, 'utf8'), path, table);
}

/** Reads the whole database at `root`. Throws LoupeError if it is missing or holds no application. */
export async function readDatabase(root: string, table: SyscallTable = X86_64): Promise<DatabaseContents> {
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    const what = existsSync(root) ? `database ${root} is a file, not a folder` : `database not found: ${root}`;
    throw new LoupeError(what, ExitCode.badInput, 'pass the database folder with -db PATH (e.g. a clone of the loupedb repository)');
  }
  const inGit = existsSync(join(root, '.git'));
  const warnings: string[] = [];
  const applications: Application[] = [];
  for (const app of subdirectories(root)) {
    const workloads: StoredWorkload[] = [];
    for (const dir of subdirectories(join(root, app))) {
      const id = parseWorkloadDirName(dir);
      if (!id) continue;
      const runs = subdirectories(join(root, app, dir)).filter(isRunDirName).map((name) => readRun(root, app, dir, name, warnings));
      if (runs.length === 0) continue;
      workloads.push({ app, dir, id, runs, chosen: await chooseRun(root, runs, inGit) });
    }
    if (workloads.length > 0) applications.push({ name: app, workloads });
  }
  if (applications.length === 0) {
    throw new LoupeError(`no application found in database ${root}`, ExitCode.badInput, 'a database holds <app>/<workload>/<run>/data/dyn.csv folders; is this the right path?');
  }
  const osLists = readdirSync(root)
    .filter((f) => f.endsWith(OS_LIST_SUFFIX) && statSync(join(root, f)).isFile())
    .sort()
    .map((f) => parseOsList(readFileSync(join(root, f), 'utf8'), f, table));
  return { root, table, applications, osLists, warnings };
}
