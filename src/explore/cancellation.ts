import type { ProcessGroups } from '../sandbox/process.js';

/**
 * Runs `work` with a signal of its own that is aborted by the caller's `signal` (Ctrl-C) or by
 * the first error `work` throws. Either way every process of `groups` is stopped at once
 * (SIGTERM, then SIGKILL after a grace period) before the error is thrown on; tasks still
 * running in parallel see the aborted signal and record nothing.
 */
export async function withCancellation<T>(signal: AbortSignal | undefined, groups: ProcessGroups, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const cancel = new AbortController();
  const stop = (reason: unknown): Promise<void> => {
    if (!cancel.signal.aborted) cancel.abort(reason);
    return groups.stopAll();
  };
  const onAbort = (): void => void stop(signal?.reason);
  if (signal?.aborted) onAbort();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await work(cancel.signal);
  } catch (err) {
    await stop(err);
    throw signal?.aborted ? signal.reason : err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
