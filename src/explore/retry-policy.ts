import type { FailureKind } from './attempt.js';

/**
 * Whether a failed run is worth running again. Retrying exists to absorb load (a working run
 * slowed past its limit, a server slow to listen), not to repeat what the program does every
 * time. Pure: the caller passes what it observed.
 *
 * - A crash with a signal the program raises on itself (SIGSEGV, SIGABRT...) is deterministic:
 *   no retry.
 * - A hang is retried only when load could plausibly explain it: when the limit is less than
 *   HANG_RETRY_MARGIN times the longest a working run of this analysis has taken so far (the
 *   baseline's duration scaled by the runs side by side stands in until one is seen). Faking
 *   `write` makes lua spin: its 1 s limit is tens of times any working run, so no retry.
 * - Any other failure is retried up to the attempts allowed, but the same failure twice in a
 *   row is deterministic: no further retry.
 */

/** A hang is attributed to load only if the limit is below this multiple of the slowest working run seen. */
export const HANG_RETRY_MARGIN = 2;

export interface FailedAttempt {
  failure: FailureKind;
  /** The reason given for the failure (exit status, test exit code...). */
  reason: string;
  limitMs: number;
}

export type RetryDecision = { retry: true; why: string } | { retry: false; why: string };

/**
 * @param history the failed attempts so far, oldest first (the last one is the one to decide on)
 * @param attemptsAllowed runs allowed in all (`--attempts`)
 * @param slowestWorkingMs longest workload time of a run judged working so far in this analysis, ms
 */
export function decideRetry(history: readonly FailedAttempt[], attemptsAllowed: number, slowestWorkingMs: number): RetryDecision {
  const last = history[history.length - 1];
  if (last === undefined) throw new Error('decideRetry needs at least one failed attempt');
  if (last.failure === 'crash') return { retry: false, why: `deterministic: ${last.reason}` };
  const previous = history[history.length - 2];
  if (previous !== undefined && previous.failure === last.failure && previous.reason === last.reason) {
    return { retry: false, why: `deterministic: the same failure twice (${last.reason})` };
  }
  if (history.length >= attemptsAllowed) return { retry: false, why: `all ${attemptsAllowed} attempts failed` };
  if (last.failure === 'hang') {
    const plausible = HANG_RETRY_MARGIN * slowestWorkingMs;
    const ratio = slowestWorkingMs > 0 ? `${(last.limitMs / slowestWorkingMs).toFixed(1)}x` : 'far above';
    if (last.limitMs >= plausible) {
      return { retry: false, why: `hang: the ${last.limitMs} ms limit is ${ratio} the slowest working run so far (${Math.round(slowestWorkingMs)} ms), load cannot explain it` };
    }
    return { retry: true, why: `hang: the ${last.limitMs} ms limit is only ${ratio} the slowest working run so far (${Math.round(slowestWorkingMs)} ms), load may explain it` };
  }
  return { retry: true, why: `${last.failure}: ${last.reason}; may be flaky, running again` };
}
