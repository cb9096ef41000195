import { starvedDeadline } from './retry-policy.js';

/**
 * The moment a run is judged hung: its hang limit after its start, moved on by the time other
 * work has kept the run off the CPU so far (starvedDeadline), read again each time the deadline
 * is reached until the run ends or the deadline stands; never past the workload's time-out.
 * Without a measure of starvation (no run cgroup), the plain limit.
 */
export class RunDeadline {
  private readonly start = Date.now();
  private atMs: number;
  private capped = false;
  private measured = false;

  /**
   * @param limitMs the run's hang limit, ms, the one moved by starvation; Infinity for none
   * @param timeoutMs the workload's time-out, ms: never moved, the deadline stays within it
   * @param starvedMs how long other work has kept all the run's runnable tasks off the CPU so far, ms (sandbox/cpu-pressure.ts); undefined: not measured
   */
  constructor(
    private readonly limitMs: number,
    private readonly timeoutMs: number,
    private readonly starvedMs?: () => number | undefined,
  ) {
    this.atMs = Math.min(limitMs, timeoutMs);
  }

  /** Ms left until the deadline, after moving it by the starvation seen so far; 0 or less once passed. */
  remaining(): number {
    const starved = this.limitMs < this.timeoutMs ? this.starvedMs?.() : undefined;
    if (starved !== undefined) {
      this.measured = true;
      const next = starvedDeadline(this.limitMs, starved);
      // Starvation totals only grow; the deadline never moves back.
      this.atMs = Math.max(this.atMs, Math.min(next.atMs, this.timeoutMs));
      this.capped ||= next.capped || next.atMs >= this.timeoutMs;
    }
    return this.start + this.atMs - Date.now();
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

  /** How far past its limit the run was let go for its starvation, ms, and whether that reached the cap (or the time-out); undefined when starvation was not measured. */
  extension(): { ms: number; capped: boolean } | undefined {
    if (!this.measured) return undefined;
    return { ms: this.atMs - this.limitMs, capped: this.capped };
  }
}
