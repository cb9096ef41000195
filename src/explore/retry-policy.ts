import type { FailureKind } from './attempt.js';

/**
 * Whether a failed run is worth running again. Retrying exists to absorb load (a working run
 * slowed past its limit, a server slow to answer), not to repeat what the program does every
 * time. Pure: the caller passes what it observed. In order:
 *
 * - A crash with a signal the program raises on itself (SIGSEGV, SIGABRT...) is deterministic.
 * - A run past its CPU-time limit spins: load does not make a run use more CPU, so no retry.
 * - The same failure twice in a row is deterministic.
 * - A group run (group testing) is never retried: its failure is followed by runs of each half,
 *   so a failure caused by load costs runs but never a wrong verdict.
 * - A hang is retried only when load could plausibly explain it: when it ran less than
 *   HANG_RETRY_MARGIN times what working runs of this analysis take under the same load (the
 *   90th percentile of their durations: one slow outlier, such as a faked futex that spins but
 *   works, does not count). With a run cgroup, it ran for its limit plus the time other work
 *   held it off the CPU (starvedDeadline), so it has had its limit's worth of CPU, or was
 *   starved to the cap: a run again under the same load would be starved the same way, and each
 *   such run costs up to STARVATION_CAP times the limit. Without one, the limit alone is
 *   compared, and a hang is also retried when the program's threads
 *   spent at least LOAD_WAIT_SHARE of the limit waiting for a CPU (the kernel's run delay): a
 *   program slowed by a perturbation but starved by other work may have worked, one asleep (a
 *   deadlock) never would. Faking `write` makes lua spin: its 1 s limit is tens of times any
 *   working run, so no retry.
 * - A failure (the program or its test exited with an error, or the test still answered "not
 *   ready" after all its tries) of a run that other work held off
 *   the CPU for no larger a share of its life than it held the working runs of this analysis
 *   (their 90th percentile, once MEASURED_RUNS are known; or under STARVED_SHARE_FLOOR) is
 *   accepted: load did not touch it more than runs that worked. Measured on nginx under wrk:
 *   23 of 31 retried experiments were such failures, each retry another second of wrk, and none
 *   worked on the second attempt. A server never ready is judged the same way: nginx with
 *   `listen` faked answered 200 for 21 tries, was retried, and took 35 s of a 48 s analysis.
 * - Without that measure (no run cgroup, or too few working runs yet), a quick failure (no
 *   later than a typical working run ends) of a perturbation expected to break the workload (it
 *   broke it in an earlier analysis of the same application, or every application of the public
 *   database but a few needs it: the chance of working is below EXPECTED_BROKEN) is accepted: a
 *   failure caused by load is far less likely than a real one. In our runs of the bundled
 *   examples, none of 141 retried failures worked on the second attempt. A slow failure, or one
 *   of the sandbox's start or of an inconclusive test, is retried whatever the prior: load makes
 *   runs slow (a client's own time-out, a start-up starved of CPU), and the prior says nothing of
 *   that.
 * - Otherwise, retried up to the attempts allowed.
 */

/** A run lasting this many times a working one is judged hung (see JudgeSettings.hangLimitMs and hangLimitNow). */
export const HANG_FACTOR = 10;
/** The least hang limit, ms: a program that starts in a few ms still gets a second. */
const HANG_FLOOR_MS = 1000;
/** Working runs needed before their durations raise the hang limit (see hangLimitNow). */
const MEASURED_RUNS = 5;
/** A hang whose threads waited for a CPU this share of its limit or more may be load's doing. */
export const LOAD_WAIT_SHARE = 0.25;
/** A hang is attributed to load only if the limit is below this multiple of a typical working run. */
export const HANG_RETRY_MARGIN = 2;
/** A perturbation whose prior chance of working is below this is expected to break the workload. */
export const EXPECTED_BROKEN = 0.1;
/** A hang's limit is stretched by the time its run was starved of CPU up to this many times the limit (see starvedDeadline). */
export const STARVATION_CAP = 5;
/** A run held off the CPU for less than this share of its life was not starved, whatever the working runs saw. */
export const STARVED_SHARE_FLOOR = 0.05;

export interface FailedAttempt {
  failure: FailureKind;
  /** The reason given for the failure (exit status, test exit code...). */
  reason: string;
  limitMs: number;
  /** How long the run took until it failed, ms (the application and its test). */
  workloadMs: number;
  /** A hang: how long the program's threads, summed, waited for a CPU while runnable, ms. */
  waitedMs?: number;
  /** With a run cgroup: the share of the run's life during which other work held all its runnable tasks off the CPU (AttemptOutcome.starved). */
  starvedShare?: number;
  /** A hang with a run cgroup: how long past its limit it was let run for that starvation, ms, and whether the starvation went on to the cap. */
  extension?: { ms: number; capped: boolean };
}

export interface RetryContext {
  /** Runs allowed in all (`--attempts`). */
  attemptsAllowed: number;
  /** What a working run of this analysis takes under the current load, ms (see WorkingRunTimes). */
  typicalWorkingMs: number;
  /** Prior chance that the workload works under this perturbation (see priors.ts); 1 when unknown. */
  priorWorks: number;
  /** A group run of group testing: its halves are tested next anyway. */
  group?: boolean;
  /** The 90th percentile of the working runs' starved shares (WorkingRunTimes.starvedShare); undefined until enough are known. */
  workingStarvedShare?: number;
}

export type RetryDecision = { retry: boolean; why: string };

/** @param history the failed attempts so far, oldest first (the last one is the one to decide on) */
export function decideRetry(history: readonly FailedAttempt[], ctx: RetryContext): RetryDecision {
  const last = history[history.length - 1];
  if (last === undefined) throw new Error('decideRetry needs at least one failed attempt');
  if (last.failure === 'crash') return { retry: false, why: `deterministic: ${last.reason}` };
  if (last.failure === 'spin') return { retry: false, why: `spinning: ${last.reason}; load slows a run, it does not make it use more CPU` };
  const previous = history[history.length - 2];
  if (previous !== undefined && previous.failure === last.failure && previous.reason === last.reason) {
    return { retry: false, why: `deterministic: the same failure twice (${last.reason})` };
  }
  if (history.length >= ctx.attemptsAllowed) return { retry: false, why: `all ${ctx.attemptsAllowed} attempts failed` };
  if (ctx.group) return { retry: false, why: 'group run: each half is tested next, so a failure caused by load cannot change a verdict' };
  if (last.failure === 'hang') {
    const typical = ctx.typicalWorkingMs;
    const ratio = typical > 0 ? `${(last.limitMs / typical).toFixed(1)}x` : 'far above';
    const what = `the ${last.limitMs} ms limit is ${ratio} what working runs take now (${Math.round(typical)} ms)`;
    const extension = last.extension;
    if (extension !== undefined) {
      // The run went on for its limit plus its starvation: compared with working runs' wall time under the same load.
      const ranMs = last.limitMs + extension.ms;
      const ranRatio = typical > 0 ? `${(ranMs / typical).toFixed(1)}x` : 'far above';
      const given = `its ${last.limitMs} ms limit plus ${Math.round(extension.ms)} ms for the time other work kept it off the CPU${extension.capped ? ` (the cap, ${STARVATION_CAP}x the limit)` : ''} is ${ranRatio} what working runs take now (${Math.round(typical)} ms)`;
      if (ranMs < HANG_RETRY_MARGIN * typical) return { retry: true, why: `hang: ${given}, load may explain it` };
      const again = extension.capped ? '; a run again under the same load would be starved the same way' : '';
      return { retry: false, why: `hang: ${given}: load cannot explain it${again}` };
    }
    const waited = last.waitedMs ?? 0;
    if (waited >= LOAD_WAIT_SHARE * last.limitMs) {
      return { retry: true, why: `hang: its threads waited ${Math.round(waited)} ms for a CPU within the ${last.limitMs} ms limit, load may explain it` };
    }
    if (last.limitMs >= HANG_RETRY_MARGIN * typical) return { retry: false, why: `hang: ${what}, and its threads waited ${Math.round(waited)} ms for a CPU: load cannot explain it` };
    return { retry: true, why: `hang: ${what}, load may explain it` };
  }
  const exited = last.failure === 'exit' || last.failure === 'test';
  // A server whose test kept answering "not ready" (200) to the end: never ready, unless starved.
  const judged = exited || last.failure === 'inconclusive';
  const starved = last.starvedShare;
  const bound = ctx.workingStarvedShare === undefined ? undefined : Math.max(STARVED_SHARE_FLOOR, ctx.workingStarvedShare);
  const percent = (share: number): string => `${(100 * share).toFixed(0)}%`;
  if (judged && starved !== undefined && bound !== undefined && starved <= bound) {
    return { retry: false, why: `not load: other work kept the run off the CPU ${percent(starved)} of its time, no more than the working runs of this analysis (${percent(ctx.workingStarvedShare!)}, 90th percentile)` };
  }
  const quick = exited && last.workloadMs <= ctx.typicalWorkingMs;
  if (ctx.priorWorks < EXPECTED_BROKEN && quick) {
    return { retry: false, why: `expected: the prior chance of working is ${(100 * ctx.priorWorks).toFixed(0)}% (an earlier analysis, or the database's workloads), a real failure is far likelier than one caused by load` };
  }
  const more = judged && starved !== undefined && bound !== undefined ? ` (other work kept it off the CPU ${percent(starved)} of its time, working runs ${percent(ctx.workingStarvedShare!)})` : '';
  return { retry: true, why: `${last.failure}: ${last.reason}; may be flaky${more}, running again` };
}

/** What a run is held to, ms (see starvedDeadline). */
export interface RunLimits {
  /** The hang limit calibrated on the unperturbed run (JudgeSettings.hangLimitMs); Infinity for none. */
  calibratedMs: number;
  /** The wall-time limit the run is held to at least: the calibrated one, or hangLimitNow's when the machine has become slower, within the time-out. */
  plainMs: number;
  /** The workload's time-out: never passed. */
  timeoutMs: number;
}

/**
 * When a run is stopped, ms after its start, once other work has held all of its runnable
 * tasks off the CPU for `starvedMs` (its cgroup's cpu.pressure "full" total, see
 * sandbox/cpu-pressure.ts): the calibrated limit counts time the run could have run, so it is
 * moved on by that starvation, up to STARVATION_CAP times it and within the time-out; never
 * earlier than the plain limit. The plain limit may already have been raised for a slower
 * machine (hangLimitNow): both say how much longer runs take under load, so the later one is
 * taken, not their product. A deadlocked program sleeps and is never starved: it is stopped at
 * the plain limit. A program that spins is stopped once it has had its limit's worth of time on
 * a CPU, or at the cap: a perturbation that makes redis's threads spin (a faked futex) and works
 * in 1-5 s when they run was judged hung at a 1-2 s limit under a load of 12-15 on 2 cores.
 * `capped`: the run was starved for longer than the deadline allows for.
 */
export function starvedDeadline(limits: RunLimits, starvedMs: number): { atMs: number; capped: boolean } {
  const wanted = limits.calibratedMs + Math.max(0, starvedMs);
  const atMs = Math.max(limits.plainMs, Math.min(wanted, STARVATION_CAP * limits.calibratedMs, limits.timeoutMs));
  return { atMs, capped: wanted > atMs };
}

/** The hang limit that a working run of `workingMs` sets, ms: HANG_FACTOR times it, at least HANG_FLOOR_MS. */
export function hangLimitFor(workingMs: number): number {
  return Math.max(HANG_FLOOR_MS, Math.round(HANG_FACTOR * workingMs));
}

/** The least readiness limit, ms: a server ready in 50 ms may still take a second or two more when a perturbation sends it down a slower path. */
const READY_FLOOR_MS = 2000;

/**
 * How long a server may answer "not ready" (its test script's 200) before it is judged never
 * ready, ms: HANG_FACTOR times what the unperturbed server took from its start to its test's
 * first answer, at least READY_FLOOR_MS. Without it, a server that never listens (nginx with
 * `listen` or `bind` faked) was asked again until the hang limit, 10 times the whole run (wrk's
 * second included): 11 to 13 s each, a quarter of nginx's run time.
 */
export function readyLimitFor(readyMs: number): number {
  return Math.max(READY_FLOOR_MS, Math.round(HANG_FACTOR * readyMs));
}

/**
 * The hang limit of the next attempt, ms: the calibrated one (hangLimitFor the unperturbed
 * run), raised to hangLimitFor what working runs take now when the machine has become
 * slower since the calibration. Without it, a perturbation that slows the application but
 * works (a faked futex makes redis's threads spin: 3x slower) failed whenever a load spike
 * made the machine 3x slower, and two analyses disagreed. Undefined stays undefined (no limit
 * but the time-out).
 */
export function hangLimitNow(calibratedMs: number | undefined, typicalWorkingMs: number): number | undefined {
  if (calibratedMs === undefined) return undefined;
  return Math.max(calibratedMs, hangLimitFor(typicalWorkingMs));
}

/**
 * Durations of the runs judged working so far in one analysis, shared by its runs. Before any
 * is seen, a stand-in (the baseline, scaled by the runs side by side) is the estimate.
 */
export class WorkingRunTimes {
  private readonly times: number[] = [];
  private readonly starvedShares: number[] = [];
  constructor(private standIn = 0) {}

  setStandIn(ms: number): void {
    this.standIn = ms;
  }

  /** @param starvedShare the run's AttemptOutcome.starved share, when it had a cgroup */
  record(ms: number, starvedShare?: number): void {
    this.times.push(ms);
    if (starvedShare !== undefined) this.starvedShares.push(starvedShare);
  }

  /** 90th percentile of the working runs' durations (nearest rank), or the stand-in before any, ms. */
  typical(): number {
    return this.times.length === 0 ? this.standIn : percentile90(this.times);
  }

  /** 90th percentile of the working runs' starved shares, once MEASURED_RUNS have one; undefined before. */
  starvedShare(): number | undefined {
    return this.starvedShares.length >= MEASURED_RUNS ? percentile90(this.starvedShares) : undefined;
  }

  /** typical() once MEASURED_RUNS working runs have been seen, 0 before: the stand-in is only a guess, too coarse to raise a limit. */
  measured(): number {
    return this.times.length >= MEASURED_RUNS ? this.typical() : 0;
  }
}

/** The 90th percentile of a non-empty list (nearest rank). */
function percentile90(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(0.9 * sorted.length) - 1)]!;
}
