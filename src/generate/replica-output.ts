import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode, LoupeError } from '../core/errors.js';
import { CsvFormatError, parseDynCsv, parseStaticCsv, type DynRow } from '../db/csv.js';
import { DYN_CSV, PERF_CSV, STATIC_BINARY_CSV } from '../db/layout.js';
import { parsePerfCsv } from '../db/perf-csv.js';
import { FALLBACKS_CSV } from '../db/fallbacks-csv.js';
import type { SyscallTable } from '../syscalls/table.js';

/** What one replica of `loupe explore` produced, read back and checked. */
export interface ReplicaOutput {
  dyn: DynRow[];
  /** static_binary.csv text, when static analysis ran. */
  staticBinary?: string;
  /** subfeature-*.csv files (with --partial-support): name -> text. */
  subfeatures: Map<string, string>;
  /** explore.log: the human log of every experiment. */
  log: string;
  /** perf.csv text, when this replica ran the perf analysis. */
  perf?: string;
  /** fallbacks.csv text, when the replica measured fallbacks. */
  fallbacks?: string;
}

/** Number of dyn.csv rows written by the original tool (syscalls 0..334). */
const ORIGINAL_ROW_COUNT = 335;

/**
 * Reads a replica's output folder. Containers whose entry point is not this project's (the
 * original protocol) print dyn.csv, a blank line and static_binary.csv on stdout instead: that
 * text is used when the folder holds no dyn.csv.
 */
export function readReplicaOutput(replica: number, outDir: string, stdout: string, table: SyscallTable): ReplicaOutput {
  const file = (name: string): string | undefined => (existsSync(join(outDir, name)) ? readFileSync(join(outDir, name), 'utf8') : undefined);
  const [stdoutDyn, stdoutStatic] = stdout.trim() === '' ? [] : stdout.split(/\r?\n\r?\n/);
  const dynText = file(DYN_CSV) ?? stdoutDyn;
  if (dynText === undefined) {
    throw invalid(replica, 'no dyn.csv was produced');
  }
  const dyn = checkedDyn(replica, dynText, table);
  const staticBinary = file(STATIC_BINARY_CSV) ?? (file(DYN_CSV) === undefined ? stdoutStatic : undefined);
  if (staticBinary !== undefined) {
    try {
      parseStaticCsv(staticBinary, `replica ${replica} ${STATIC_BINARY_CSV}`);
    } catch (err) {
      throw invalid(replica, (err as Error).message);
    }
  }
  const subfeatures = new Map<string, string>();
  if (existsSync(outDir)) {
    for (const name of readdirSync(outDir).filter((n) => /^subfeature-[A-Za-z0-9._-]+\.csv$/.test(n)).sort()) {
      subfeatures.set(name, readFileSync(join(outDir, name), 'utf8'));
    }
  }
  const fallbacks = file(FALLBACKS_CSV);
  const perf = file(PERF_CSV);
  if (perf !== undefined) {
    try {
      parsePerfCsv(perf, `replica ${replica} ${PERF_CSV}`);
    } catch (err) {
      throw invalid(replica, (err as Error).message);
    }
  }
  return { dyn, ...(staticBinary === undefined ? {} : { staticBinary }), subfeatures, log: file('explore.log') ?? '', ...(perf === undefined ? {} : { perf }), ...(fallbacks === undefined ? {} : { fallbacks }) };
}

function checkedDyn(replica: number, text: string, table: SyscallTable): DynRow[] {
  let rows: DynRow[];
  try {
    rows = parseDynCsv(text, `replica ${replica} ${DYN_CSV}`);
  } catch (err) {
    if (err instanceof CsvFormatError) throw invalid(replica, err.message);
    throw err;
  }
  const expected = table.maxNumber + 1;
  if (rows.length !== expected && rows.length !== ORIGINAL_ROW_COUNT) {
    throw invalid(replica, `dyn.csv has ${rows.length} rows, expected ${expected} (or ${ORIGINAL_ROW_COUNT} from the original tool)`);
  }
  const misplaced = rows.findIndex((r, i) => r.nr !== i);
  if (misplaced >= 0) throw invalid(replica, `dyn.csv row ${misplaced + 1} is for syscall ${rows[misplaced]!.nr}, expected ${misplaced}`);
  return rows;
}

function invalid(replica: number, why: string): LoupeError {
  return new LoupeError(`the analysis output of replica ${replica} is invalid: ${why}`, ExitCode.failed,
    'see the replica\'s log above; the database was not changed');
}
