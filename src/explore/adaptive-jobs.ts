import { median } from '../core/stats.js';
import { MAX_JOBS_FACTOR } from './jobs.js';

/**
 * How many experiments run side by side when the user leaves `--jobs` to loupe. Pure: the
 * caller reports working runs; the pool reads limit() each time a slot frees up.
 *
 * A run's length is set either by the CPU (lua running a script, redis-benchmark sending 2000
 * requests: side by side, runs share the cores and each takes longer) or by a clock (nginx's
 * test script runs wrk for one second whatever the machine does; a suite that sleeps). The
 * default, two runs per core, suits the first kind. For the second, more runs side by side
 * cost nothing: measured on nginx with 1 s of wrk on 2 cores (load 3 to 7, identical dyn.csv),
 * 4 jobs took 28.5 and 30.6 s, 8 jobs 17.9 and 17.5 s, 12 jobs 16.1 and 14.7 s; redis, whose
 * runs are CPU-bound, took 26 and 22 s at 4 jobs and 56 and 41 s at 8 (its spinning
 * perturbations starve the others).
 *
 * So the limit starts at `base` and rises by `base` at a time, up to MAX_JOBS_FACTOR times `base`, as
 * long as running more side by side does not slow the runs down. The measure is the median of
 * MEASURED_RUNS working runs started at one limit (working runs ran the same code as the
 * unperturbed run; failures end at any time). It first rises when that median at `base` is no
 * more than SLOWDOWN_TOLERANCE times the unperturbed run alone (the baseline); after that,
 * when the median at the new limit is no more than SLOWDOWN_TOLERANCE times the median at the
 * previous one. A single baseline run on a busy machine can be slow enough to let a CPU-bound
 * workload through the first test; the second, made under the same load, catches it. A limit
 * at which runs were slower than that is never used again: the limit falls back one step and
 * stays there, so it does not oscillate.
 */
export class AdaptiveJobs {
  private level: number;
  private ceiling: number;
  private highest: number;
  private baselineMs = 0;
  /** The median of the working runs at the previous level, once the limit has risen, ms. */
  private previousMedian: number | undefined;
  /** Durations of the working runs started at the current level since it was last judged, ms. */
  private recent: number[] = [];

  /**
   * @param base the limit to start at (at least 1)
   * @param adaptive false: `base` throughout (the user chose --jobs)
   */
  constructor(private readonly base: number, adaptive: boolean) {
    this.level = base;
    this.highest = base;
    this.ceiling = adaptive ? MAX_JOBS_FACTOR * base : base;
  }

  /**
   * The unperturbed run's duration alone, ms (the baseline); nothing changes before it is
   * known, nor ever for a run shorter than SHORTEST_ADAPTIVE_RUN_MS.
   */
  setBaseline(ms: number): void {
    this.baselineMs = ms;
    if (ms < SHORTEST_ADAPTIVE_RUN_MS) this.ceiling = this.base;
  }

  /** Runs allowed side by side now. */
  limit(): number {
    return this.level;
  }

  /** The largest limit used so far (for the report). */
  largest(): number {
    return this.highest;
  }

  /**
   * A working run took `ms` (from the application's start to its test's end); `startedAt` is
   * limit() when it started. Runs started at another limit say nothing about this one.
   */
  recordWorking(ms: number, startedAt: number): void {
    if (this.baselineMs <= 0 || startedAt !== this.level || this.level >= this.ceiling) return;
    this.recent.push(ms);
    if (this.recent.length < MEASURED_RUNS) return;
    const now = median(this.recent);
    this.recent = [];
    if (now > SLOWDOWN_TOLERANCE * (this.previousMedian ?? this.baselineMs)) {
      this.ceiling = Math.max(this.base, this.level - this.base);
      this.level = this.ceiling;
      return;
    }
    this.previousMedian = now;
    this.level = Math.min(this.ceiling, this.level + this.base);
    this.highest = Math.max(this.highest, this.level);
  }
}

/**
 * Runs shorter than this (the unperturbed one, ms) keep the starting limit. Their length is set
 * by the CPU (the program's and the engine's own work: 20 to 40 ms per run here), and a single
 * baseline run of tens of ms on a busy machine varies by more than the tolerance: measured at
 * load 38, the tiny example (runs of about 30 ms) rose to 8 in 3 of 5 analyses and took a median
 * 1.19 times as long as at a fixed --jobs 4 (5 pairs). nginx's runs (wrk's second) and the
 * memcached suite are far above it; redis's (about 0.2 s) and lua's below.
 */
export const SHORTEST_ADAPTIVE_RUN_MS = 500;
/** Working runs at one limit before it is judged. */
export const MEASURED_RUNS = 3;
/** Working runs taking up to this multiple of the unperturbed run alone were not slowed by running side by side. */
export const SLOWDOWN_TOLERANCE = 1.25;
