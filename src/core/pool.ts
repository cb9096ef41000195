/**
 * The one worker pool: runs independent tasks on at most `jobs` slots at a time, handing them
 * out in the order given, and returns their results in that order. Used for experiments,
 * replicas and clang runs alike.
 */
export interface PoolOptions {
  /** Tasks running at once (at least 1). */
  jobs: number;
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
  let next = 0;
  let failure: { error: unknown } | undefined;
  const stopped = (): boolean => options.signal?.aborted === true || (options.stopOnFirstError && failure !== undefined);
  const worker = async (): Promise<void> => {
    while (next < items.length && !stopped()) {
      const index = next++;
      try {
        results[index] = await run(items[index]!, index);
      } catch (error) {
        if (failure === undefined) {
          failure = { error };
          options.onFirstError?.(error);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.jobs, items.length)) }, worker));
  if (failure !== undefined) throw failure.error;
  if (options.signal?.aborted) {
    const reason: unknown = options.signal.reason;
    throw reason instanceof Error ? reason : new Error('aborted');
  }
  return results;
}
