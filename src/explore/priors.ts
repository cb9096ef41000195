import type { Treatment } from '../core/verdict.js';
import type { RuleSpec } from './experiment.js';
import { LOUPEDB_PRIORS } from './loupedb-priors.js';
import { X86_64 } from '../syscalls/table.js';
import type { DynRow } from '../db/csv.js';

/**
 * What an analysis expects before running anything: how likely a perturbation is to work,
 * and to leave the program running until the hang limit. Used to order experiments (longest
 * first) and to group syscalls (likely-working ones together). Pure.
 */

/** Verdicts of an earlier analysis of the same application (`--priors`): syscall number -> works stubbed, works faked. */
export type EarlierVerdicts = ReadonlyMap<number, { stub: boolean; fake: boolean }>;

/** The used rows of an earlier analysis' dyn.csv as verdicts. */
export function earlierVerdicts(rows: readonly DynRow[]): EarlierVerdicts {
  return new Map(rows.filter((r) => r.used).map((r) => [r.nr, { stub: r.stubOnly || r.both, fake: r.fakeOnly || r.both }]));
}

/** Chance given to a perturbation that worked, or failed, in an earlier analysis of the same application. */
const EARLIER_WORKS = 0.95;
const EARLIER_BROKEN = 0.05;

/**
 * Probability that the workload works with syscall `nr` perturbed by `treatment`: from an
 * earlier analysis of the same application when it has the syscall, else from the public Loupe
 * database (fraction of the workloads using it where it worked), with Laplace's rule of
 * succession, (k + 1) / (n + 2), so an unseen syscall gets 1/2.
 */
export function priorWorks(nr: number, treatment: Treatment, earlier?: EarlierVerdicts): number {
  const before = earlier?.get(nr);
  if (before) return before[treatment] ? EARLIER_WORKS : EARLIER_BROKEN;
  const [used, stubWorks, fakeWorks] = LOUPEDB_PRIORS[nr] ?? [0, 0, 0];
  return ((treatment === 'stub' ? stubWorks : fakeWorks) + 1) / (used + 2);
}

/**
 * Perturbations seen to leave the program alive but stuck until the hang limit, in our runs of
 * the bundled examples (lua, redis, nginx): a faked write-like call returns 0 bytes written,
 * which glibc's stdio and servers retry forever; a faked futex wait returns at once and the
 * waiter spins; an event loop whose wait, accept or socket set-up is perturbed stays up but
 * never serves, so the client waits.
 */
const HANG_PRONE: Record<Treatment, readonly string[]> = {
  fake: [
    'write', 'writev', 'pwrite64', 'pwritev', 'pwritev2', 'sendto', 'sendmsg', 'sendmmsg', 'sendfile',
    'futex', 'epoll_wait', 'epoll_pwait', 'epoll_pwait2', 'epoll_ctl', 'poll', 'ppoll', 'select', 'pselect6',
    'accept', 'accept4', 'listen', 'bind', 'fcntl', 'clone', 'clone3', 'mprotect',
  ],
  stub: ['accept', 'accept4', 'epoll_wait', 'epoll_pwait', 'epoll_pwait2', 'poll', 'ppoll', 'select', 'pselect6', 'fcntl'],
};
const HANG_PRONE_NRS: Record<Treatment, ReadonlySet<number>> = {
  fake: new Set(HANG_PRONE.fake.map((n) => X86_64.number(n)).filter((n): n is number => n !== undefined)),
  stub: new Set(HANG_PRONE.stub.map((n) => X86_64.number(n)).filter((n): n is number => n !== undefined)),
};

/** Probability that a hang-prone perturbation hangs; the others hang when they break a server (its client waits) with a smaller chance. */
const HANG_IF_PRONE = 0.8;
const HANG_IF_BROKEN_SERVER = 0.3;
const HANG_IF_BROKEN_SEQUENTIAL = 0.02;

export function isHangProne(nr: number, treatment: Treatment): boolean {
  return HANG_PRONE_NRS[treatment].has(nr);
}

/** Probability that perturbing `nr` alone makes the run last until the hang limit. */
export function priorHangs(nr: number, treatment: Treatment, sequential: boolean, earlier?: EarlierVerdicts): number {
  if (isHangProne(nr, treatment)) return HANG_IF_PRONE;
  return (1 - priorWorks(nr, treatment, earlier)) * (sequential ? HANG_IF_BROKEN_SEQUENTIAL : HANG_IF_BROKEN_SERVER);
}

export interface CostContext {
  sequential: boolean;
  /** Workload time of the unperturbed run, ms. */
  baselineMs: number;
  /** The limit a run is held to, ms. */
  limitMs: number;
  earlier?: EarlierVerdicts;
}

/**
 * Expected duration (ms) of one run perturbing all `rules` (whole syscalls or parts of them):
 * the limit when it hangs, the baseline's time otherwise. Rules act independently in this model.
 */
export function expectedRunMs(rules: readonly RuleSpec[], ctx: CostContext): number {
  const noHang = rules.reduce((p, r) => p * (1 - priorHangs(r.nr, r.action, ctx.sequential, ctx.earlier)), 1);
  return (1 - noHang) * ctx.limitMs + noHang * ctx.baselineMs;
}

/** Probability that a run perturbing all `rules` works (independent members). */
export function expectedWorks(rules: readonly RuleSpec[], earlier?: EarlierVerdicts): number {
  return rules.reduce((p, r) => p * priorWorks(r.nr, r.action, earlier), 1);
}

/**
 * The items sorted by decreasing expected cost, ties kept in their order: started first, the
 * longest runs (likely hangs) overlap the many short ones instead of ending the analysis alone
 * on one core (longest-processing-time-first list scheduling, Graham 1969).
 */
export function longestFirst<T>(items: readonly T[], cost: (item: T) => number): T[] {
  return items
    .map((item, index) => ({ item, index, cost: cost(item) }))
    .sort((a, b) => b.cost - a.cost || a.index - b.index)
    .map((x) => x.item);
}
