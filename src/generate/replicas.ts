import { createHash } from 'node:crypto';
import { cacheRoot } from '../fs/cache-root.js';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { counted } from '../core/text.js';

/**
 * Running N replicas of an analysis side by side, and where their resume journals live.
 */

export interface ReplicaPlan {
  /** How many replicas run at once: at most one per core. */
  parallel: number;
  /** `--jobs` given to each replica, so that together they run `totalJobs` experiments at once. */
  jobsPerReplica: number;
}

/** `totalJobs`: what one explore alone would run side by side on this machine. */
export function planReplicas(replicas: number, cores: number, totalJobs: number): ReplicaPlan {
  const parallel = Math.max(1, Math.min(replicas, cores));
  return { parallel, jobsPerReplica: Math.max(1, Math.floor(totalJobs / parallel)) };
}

/**
 * The line generate prints before the replicas start: how many, how many at a time, and the
 * experiments each runs side by side. `fixedJobs` (AnalysisEnvironment.fixedJobs, a Dockerfile
 * CMD's --jobs) is what the replicas really run when set, whatever the plan gave them.
 */
export function describeReplicaPlan(replicas: number, plan: ReplicaPlan, fixedJobs?: number): string {
  const jobs = fixedJobs ?? plan.jobsPerReplica;
  const source = fixedJobs === undefined ? '' : ', set by the Dockerfile\'s CMD';
  return `running ${counted(replicas, 'replica')} (${plan.parallel} at a time, ${counted(jobs, 'job')} each${source})`;
}

export function journalRoot(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), 'journal');
}

/** An empty log file in the cache's logs/ folder (builds), which outlives the command for inspection. */
export function freshLogFile(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const file = join(cacheRoot(env), 'logs', name);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, '');
  return file;
}

/**
 * The journal folder of one analysis: named after everything that identifies it, so that running
 * the same command again finds the experiments already done, and anything else starts afresh.
 */
export function journalFolder(identity: readonly string[], env: NodeJS.ProcessEnv = process.env): string {
  return join(journalRoot(env), createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 32));
}

/** Experiments recorded in a journal file (one JSON line each); 0 when it does not exist. */
export function journalEntries(file: string): number {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').length : 0;
}

/** Experiments recorded in a journal folder, all replicas together. */
export function folderJournalEntries(folder: string): number {
  return existsSync(folder) ? readdirSync(folder).filter((f) => /^replica-\d+\.jsonl$/.test(f)).reduce((sum, f) => sum + journalEntries(join(folder, f)), 0) : 0;
}

export function journalFile(folder: string, replica: number): string {
  return join(folder, `replica-${replica}.jsonl`);
}
