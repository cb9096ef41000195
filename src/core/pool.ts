/**
 * The one worker pool: runs independent tasks on at most `jobs` slots at a time, handing them
 * out in the order given, and returns their results in that order. Used for experiments,
 * replicas and clang runs alike.
 */
export interface PoolOptions {
  /**
   * Tasks running at once (at least 1), or a function read each time a slot frees up, for a
   * limit that changes while the pool runs (see explore's AdaptiveJobs): a lower limit lets the
   * running tasks finish and starts no new one until fewer run.
   */
  jobs: number | (() => number);
  /** Once aborted, no new task starts; the pool rejects with the signal's reason after the started ones settle. */
  signal?: AbortSignal;
  /**
   * True: the first failure stops new tasks from starting (the started ones settle) and is
   * rethrown. False: every task runs, and the first failure is rethrown at the end.
   */
  stopOnFirstError: boolean;
  /** Called once, at the first failure, e.g. to stop the tasks still running. */
  onFirstError?: (error: unknown) => void;
}

/**
 * Runs `run(item, index)` for every item under the limits of `options`.
 * Throws: the first task's error, or the signal's reason (an Error) when aborted.
 */
export async function runPool<T, R>(items: readonly T[], run: (item: T, index: number) => Promise<R>, options: PoolOptions): Promise<R[]> {
  const results = new Array<R>(items.length);
  const jobs = options.jobs;
  const limit = typeof jobs === 'function' ? jobs : (): number => jobs;
  let next = 0;
  let running = 0;
  let failure: { error: unknown } | undefined;
  const stopped = (): boolean => options.signal?.aborted === true || (options.stopOnFirstError && failure !== undefined);
  await new Promise<void>((resolve) => {
    const fill = (): void => {
      while (next < items.length && !stopped() && running < Math.max(1, limit())) start(next++);
      if (running === 0) resolve();
    };
    const start = (index: number): void => {
      running++;
      // A task that throws before its first await fails like one that rejects.
      new Promise<R>((settle) => settle(run(items[index]!, index))).then(
        (result) => { results[index] = result; },
        (error: unknown) => {
          if (failure !== undefined) return;
          failure = { error };
          options.onFirstError?.(error);
        },
      ).finally(() => {
        running--;
        fill();
      });
    };
    fill();
  });
  if (failure !== undefined) throw failure.error;
  if (options.signal?.aborted) {
    const reason: unknown = options.signal.reason;
    throw reason instanceof Error ? reason : new Error('aborted');
  }
  return results;
}
