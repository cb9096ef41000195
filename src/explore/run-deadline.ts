import { starvedDeadline, type RunLimits } from './retry-policy.js';

/**
 * The moment a run is judged hung: its plain limit after its start, or later, its calibrated
 * limit moved on by the time other work has kept the run off the CPU so far (starvedDeadline),
 * read again each time the deadline is reached until the run ends or the deadline stands.
 * Without a measure of starvation (no run cgroup), the plain limit.
 */
export class RunDeadline {
  private readonly start = Date.now();
  private atMs: number;
  private capped = false;
  private measured = false;

  /**
   * @param limits the run's limits, ms
   * @param starvedMs how long other work has kept all the run's runnable tasks off the CPU so far, ms (sandbox/cpu-pressure.ts); undefined: not measured
   */
  constructor(
    private readonly limits: RunLimits,
    private readonly starvedMs?: () => number | undefined,
  ) {
    this.atMs = limits.plainMs;
  }

  /** Ms left until the deadline, after moving it by the starvation seen so far; 0 or less once passed. */
  remaining(): number {
    const starved = this.limits.calibratedMs < this.limits.timeoutMs ? this.starvedMs?.() : undefined;
    if (starved !== undefined) {
      this.measured = true;
      const next = starvedDeadline(this.limits, starved);
      // Starvation totals only grow; the deadline never moves back.
      this.atMs = Math.max(this.atMs, next.atMs);
      this.capped = next.capped;
    }
    return this.start + this.atMs - Date.now();
  }

  /**
   * Another limit of the same run, `limitMs` after its start (a server's readiness limit), moved
   * on by the starvation seen so far the way the hang limit is (starvedDeadline), ms after the
   * start, rounded; `limitMs` itself when starvation is not measured.
   */
  stretched(limitMs: number): number {
    const starved = this.starvedMs?.();
    return starved === undefined ? limitMs : Math.round(starvedDeadline({ calibratedMs: limitMs, plainMs: limitMs, timeoutMs: this.limits.timeoutMs }, starved).atMs);
  }

  /** The deadline as a Date.now() time, ms, as it stands (not re-read). */
  at(): number {
    return this.start + this.atMs;
  }

  /** Waits for `done` until the deadline, moving it as the run is starved; undefined when the deadline came first. */
  async wait<T>(done: Promise<T>): Promise<T | undefined> {
    const ended = done.then((value) => ({ value }));
    for (let left = this.remaining(); left > 0; left = this.remaining()) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const first = await Promise.race([ended, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), left)))]);
      clearTimeout(timer);
      if (first !== undefined) return first.value;
    }
    return undefined;
  }

  /** How far past its plain limit the run was let go for its starvation, ms, and whether it was starved for longer than that (the cap, or the time-out); undefined when starvation was not measured. */
  extension(): { ms: number; capped: boolean } | undefined {
    if (!this.measured) return undefined;
    return { ms: this.atMs - this.limits.plainMs, capped: this.capped };
  }
}
