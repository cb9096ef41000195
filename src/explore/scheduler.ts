/**
 * Runs independent tasks on at most `jobs` slots at a time, in the order given, and stops
 * handing out new ones once `signal` is aborted. Results come back in input order.
 */
export async function runPool<T, R>(
  items: readonly T[],
  jobs: number,
  run: (item: T) => Promise<R>,
  signal?: AbortSignal,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && !signal?.aborted) {
      const index = next++;
      results[index] = await run(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, items.length)) }, worker));
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
  return results;
}
