import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CsvFormatError, formatDynCsv, type DynRow } from '../db/csv.js';
import { FALLBACKS_CSV, formatFallbacksCsv, parseFallbacksCsv } from '../db/fallbacks-csv.js';
import type { Fallbacks } from '../core/fallbacks.js';
import { CMD_TXT, DATA_DIR, DYN_CSV, EXPLORE_LOGS, PERF_CSV, STATIC_BINARY_CSV } from '../db/layout.js';
import type { RunFileContent } from '../db/writer.js';
import type { ProcessGroups } from '../sandbox/process.js';
import type { SyscallTable } from '../syscalls/table.js';
import { replicaFailure, type AnalysisEnvironment, type ReplicaProcess } from './environments.js';
import {
  checkPlausible, describeDisagreements, describeSubfeatureDisagreements, mergeFallbacks, mergeReplicas, mergeSubfeatureCsv,
  type Disagreement, type SubfeatureDisagreement,
} from './merge.js';
import type { GenerateProgress } from './progress.js';
import type { PerfOptions } from '../explore/perf/options.js';
import { readReplicaOutput, type ReplicaOutput } from './replica-output.js';
import { describeReplicaPlan, journalEntries, journalFile, planReplicas } from './replicas.js';
import { runPool } from '../core/pool.js';
import { ExitCode, LoupeError } from '../core/errors.js';

/**
 * The environment-independent part of generate: run the replicas, read and merge their results,
 * check them, and assemble the run folder's files.
 */

export interface ReplicaRunOptions {
  replicas: number;
  cores: number;
  /** Experiments run side by side by all replicas together. */
  totalJobs: number;
  /** Resume journals live here (outside the database). */
  journalDir: string;
  /** Scratch folder for the replicas' output folders and logs. */
  workDir: string;
  groups: ProcessGroups;
  progress: GenerateProgress;
  table: SyscallTable;
  /** Registered so that Ctrl-C can stop running replicas (containers included). */
  running: Set<ReplicaProcess>;
  /** --perf-analysis: the first replica measures; replicas then run one at a time, so nothing runs beside its measurements. */
  perf?: PerfOptions;
}

export async function runReplicas(env: AnalysisEnvironment, o: ReplicaRunOptions): Promise<ReplicaOutput[]> {
  const plan = planReplicas(o.replicas, o.perf ? 1 : o.cores, o.totalJobs);
  mkdirSync(o.journalDir, { recursive: true });
  const outputs: ReplicaOutput[] = [];
  const journals = Array.from({ length: o.replicas }, (_, i) => journalFile(o.journalDir, i + 1));
  const logs = Array.from({ length: o.replicas }, (_, i) => ({
    stdout: join(o.workDir, `replica-${i + 1}.stdout`),
    stderr: join(o.workDir, `replica-${i + 1}.stderr`),
  }));
  const recorded = journals.reduce((sum, file) => sum + journalEntries(file), 0);
  if (recorded > 0) o.progress.phase(`resuming: ${recorded} experiments were finished by an earlier attempt (journals in ${o.journalDir})`);
  o.progress.phase(describeReplicaPlan(o.replicas, plan, env.fixedJobs));
  o.progress.followReplicas(logs.map((l) => l.stderr));
  const stopAll = (): void => { for (const r of o.running) void r.stop(); };
  try {
    const indexes = Array.from({ length: o.replicas }, (_, i) => i + 1);
    await runPool(indexes, async (index) => {
      const outDir = join(o.workDir, `replica-${index}`, 'out');
      mkdirSync(outDir, { recursive: true });
      const started = Date.now();
      const replicaLogs = logs[index - 1]!;
      const placement = { outDir, journal: journals[index - 1]!, jobs: plan.jobsPerReplica, staticAnalysis: index === 1, ...(index === 1 && o.perf ? { perf: o.perf } : {}) };
      const replica = env.startReplica(index, placement, replicaLogs, o.groups);
      o.running.add(replica);
      const status = await replica.exited.finally(() => o.running.delete(replica));
      if (status.code !== 0) throw replicaFailure(index, env, status, readFileSync(replicaLogs.stderr, 'utf8'));
      outputs[index - 1] = readReplicaOutput(index, outDir, readFileSync(replicaLogs.stdout, 'utf8'), o.table);
      o.progress.phase(`replica ${index} finished in ${Math.round((Date.now() - started) / 1000)} s`);
    }, { jobs: plan.parallel, stopOnFirstError: true, onFirstError: stopAll });
  } finally {
    o.progress.stopReplicas();
  }
  return outputs;
}

export interface MergedRun {
  rows: DynRow[];
  /** Merged fallbacks.csv text; absent when no replica measured fallbacks. */
  fallbacks?: string;
  disagreements: Disagreement[];
  /** Merged sub-feature CSVs (file name -> text) and where the replicas disagreed on them. */
  subfeatures: Map<string, string>;
  subfeatureDisagreements: SubfeatureDisagreement[];
}

/** Merges the replicas and refuses an implausible result (LoupeError, exit 1). */
export function mergeAndCheck(outputs: readonly ReplicaOutput[], table: SyscallTable): MergedRun {
  const { rows, disagreements } = mergeReplicas(outputs.map((o) => o.dyn), table);
  const problem = checkPlausible(rows);
  if (problem !== undefined) {
    throw new LoupeError(`the analysis result is not plausible: ${problem.message}`, ExitCode.failed,
      `${problem.hint}; the database was not changed`);
  }
  const subfeatures = new Map<string, string>();
  const subfeatureDisagreements: SubfeatureDisagreement[] = [];
  for (const name of [...new Set(outputs.flatMap((o) => [...o.subfeatures.keys()]))].sort()) {
    const merged = mergeSubfeatureCsv(name, outputs.map((o) => o.subfeatures.get(name)));
    subfeatures.set(name, merged.text);
    subfeatureDisagreements.push(...merged.disagreements);
  }
  const fallbacks = mergeFallbacks(outputs.map((o, i) => (o.fallbacks === undefined ? undefined : readFallbacks(o.fallbacks, i + 1))));
  return { rows, disagreements, subfeatures, subfeatureDisagreements, ...(fallbacks ? { fallbacks: formatFallbacksCsv(fallbacks) } : {}) };
}

function readFallbacks(text: string, replica: number): Fallbacks {
  try {
    return parseFallbacksCsv(text, `replica ${replica} ${FALLBACKS_CSV}`);
  } catch (err) {
    if (err instanceof CsvFormatError) {
      throw new LoupeError(`the analysis output of replica ${replica} is invalid: ${err.message}`, ExitCode.failed, 'see the replica\'s log above; the database was not changed');
    }
    throw err;
  }
}

export interface RunContents {
  env: AnalysisEnvironment;
  outputs: readonly ReplicaOutput[];
  merged: MergedRun;
  table: SyscallTable;
  /** cmd.txt: the command that produced the run. */
  cmdTxt: string;
  /** Logs of what prepared the run (e.g. a package build), appended to explore.logs. */
  extraLogs?: readonly ExtraLog[];
}

/** A titled log appended to explore.logs after the replicas' logs. */
export interface ExtraLog {
  title: string;
  text: string;
}

/** Every file of the run folder: the environment record, cmd.txt, explore.logs and data/. */
export function assembleRunFiles(c: RunContents): Map<string, RunFileContent> {
  const files = new Map<string, RunFileContent>(c.env.recordFiles);
  files.set(CMD_TXT, c.cmdTxt);
  files.set(EXPLORE_LOGS, exploreLogs(c));
  files.set(`${DATA_DIR}/${DYN_CSV}`, formatDynCsv(c.merged.rows, c.table.maxNumber));
  // Only the first replica runs the static analysis: it does not depend on the run.
  const staticBinary = c.outputs[0]!.staticBinary;
  if (staticBinary !== undefined) files.set(`${DATA_DIR}/${STATIC_BINARY_CSV}`, staticBinary);
  for (const [name, text] of c.merged.subfeatures) files.set(`${DATA_DIR}/${name}`, text);
  if (c.merged.fallbacks !== undefined) files.set(`${DATA_DIR}/${FALLBACKS_CSV}`, c.merged.fallbacks);
  // Likewise the perf analysis: measured by the first replica alone.
  const perf = c.outputs[0]!.perf;
  if (perf !== undefined) files.set(`${DATA_DIR}/${PERF_CSV}`, perf);
  return files;
}

function exploreLogs(c: RunContents): string {
  const parts: string[] = [];
  parts.push(`**** Replicas: ${c.outputs.length}; merge rule: agreement keeps the verdict, disagreement counts as required ****`);
  if (c.merged.disagreements.length === 0) parts.push('The replicas agreed on every syscall.');
  else parts.push(`The replicas disagreed on ${c.merged.disagreements.length} syscall(s), stored as required:`, ...describeDisagreements(c.merged.disagreements));
  const measured = c.outputs.filter((o) => o.fallbacks !== undefined).length;
  if (measured > 0) parts.push(`Fallbacks measured by ${measured} of ${c.outputs.length} replicas; merged: added syscalls united, dropped ones intersected.`);
  if (c.merged.subfeatureDisagreements.length > 0) {
    parts.push(`The replicas disagreed on ${c.merged.subfeatureDisagreements.length} sub-feature(s), stored as N,N:`, ...describeSubfeatureDisagreements(c.merged.subfeatureDisagreements));
  }
  c.outputs.forEach((o, i) => {
    parts.push('', `**** Logs of replica #${i + 1} ****`, o.log.trimEnd());
  });
  for (const extra of c.extraLogs ?? []) parts.push('', `**** ${extra.title} ****`, extra.text.trimEnd());
  return parts.join('\n') + '\n';
}
