import { availableParallelism } from 'node:os';

/**
 * Experiments run side by side by default: two per core, because a run spends much of its time
 * waiting (sandbox start-up, the test script, a server's readiness) rather than computing.
 */
export function defaultJobs(): number {
  return 2 * availableParallelism();
}

/**
 * Without --jobs, the limit of runs side by side may rise to this multiple of defaultJobs()
 * while runs are not slowed by it (adaptive-jobs.ts).
 */
export const MAX_JOBS_FACTOR = 3;
