/**
 * Support plans: in which order should an OS implement, stub or fake syscalls so that it runs
 * the selected applications, as many as possible as soon as possible?
 *
 * An application runs when each syscall it uses is supported by the OS, or is not required by
 * it and has been given a treatment (stub or fake) that works for it. A treatment is decided
 * once per syscall, by the first application that needs it, and never changes afterwards: an
 * application that cannot live with an earlier decision needs that syscall implemented.
 * When the deciding application accepts either treatment, the one that works for more of the
 * applications still waiting wins (stub on a tie, since -ENOSYS is the honest answer).
 *
 * Two planners share that state and differ only in what they implement next:
 *   - `greedy`: the original Loupe's rule, made deterministic: the waiting application with the
 *     fewest syscalls to implement (ties by name);
 *   - `unlock`: the set of syscalls that unlocks the most applications per syscall implemented,
 *     found exactly (densest-unlock.ts). Ordering by that ratio is Smith's rule for getting
 *     the most applications running soonest on average.
 */
import { densestUnlock } from './densest-unlock.js';
import { canFake, canStub, sortedNumbers, type Usage } from './usage.js';

export type Treatment = 'stub' | 'fake';
export type PlannerName = 'greedy' | 'unlock';
export const PLANNERS: readonly PlannerName[] = ['greedy', 'unlock'];

export interface PlanApplication {
  name: string;
  usage: Usage;
}

export interface PlanStep {
  /** Applications that run from this step on, sorted by name. */
  apps: string[];
  implement: number[];
  stub: number[];
  fake: number[];
}

export interface CurvePoint {
  /** Syscalls implemented so far (beyond what the OS supported at the start). */
  implemented: number;
  /** Applications that run at that point. */
  apps: number;
}

export interface SupportPlan {
  planner: PlannerName;
  /** Applications that run once their non-required syscalls are stubbed or faked. */
  supportedWithoutChanges: string[];
  /** Treatments those applications need, decided before any step. */
  initialStub: number[];
  initialFake: number[];
  steps: PlanStep[];
  curve: CurvePoint[];
}

class PlanState {
  readonly supported: Set<number>;
  readonly treatment = new Map<number, Treatment>();
  /** Applications not running yet, sorted by name. */
  waiting: PlanApplication[];

  constructor(osSupported: Iterable<number>, apps: readonly PlanApplication[]) {
    this.supported = new Set(osSupported);
    this.waiting = [...apps].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Syscalls `app` needs implemented, given what is supported and decided now. */
  missing(app: PlanApplication): Set<number> {
    const out = new Set<number>();
    for (const nr of app.usage.used) {
      if (this.supported.has(nr)) continue;
      const decided = this.treatment.get(nr);
      const works = decided === undefined ? !app.usage.required.has(nr) : decided === 'stub' ? canStub(app.usage, nr) : canFake(app.usage, nr);
      if (!works) out.add(nr);
    }
    return out;
  }

  private decide(nr: number, app: PlanApplication): Treatment {
    const stub = canStub(app.usage, nr);
    const fake = canFake(app.usage, nr);
    if (stub !== fake) return stub ? 'stub' : 'fake';
    const others = this.waiting.filter((a) => a !== app && a.usage.used.has(nr) && !a.usage.required.has(nr));
    const stubVotes = others.filter((a) => canStub(a.usage, nr)).length;
    const fakeVotes = others.filter((a) => canFake(a.usage, nr)).length;
    return fakeVotes > stubVotes ? 'fake' : 'stub';
  }

  /**
   * Lets every waiting application that needs nothing implemented run, `first` (the planner's
   * targets) before the others in name order, deciding the treatments each needs.
   * Returns the applications (sorted) and the new decisions.
   */
  admitReady(first: readonly PlanApplication[] = []): { apps: string[]; stub: number[]; fake: number[] } {
    const admitted: string[] = [];
    const stub: number[] = [];
    const fake: number[] = [];
    for (const app of [...first, ...this.waiting.filter((a) => !first.includes(a))]) {
      // Re-checked for each application: a decision made for an earlier one may rule it out.
      if (this.missing(app).size > 0) continue;
      for (const nr of sortedNumbers(app.usage.used)) {
        if (this.supported.has(nr) || this.treatment.has(nr)) continue;
        const t = this.decide(nr, app);
        this.treatment.set(nr, t);
        (t === 'stub' ? stub : fake).push(nr);
      }
      this.waiting = this.waiting.filter((a) => a !== app);
      admitted.push(app.name);
    }
    return { apps: admitted.sort(), stub: stub.sort((a, b) => a - b), fake: fake.sort((a, b) => a - b) };
  }
}

/** What a planner implements next, and the applications it does that for (admitted first). */
interface Choice {
  implement: Set<number>;
  targets: PlanApplication[];
}

/** Picks the application among `candidates` with the fewest syscalls to implement (the first on a tie). */
function fewestMissing(state: PlanState, candidates: readonly PlanApplication[]): Choice {
  let best: Choice | undefined;
  for (const app of candidates) {
    const m = state.missing(app);
    if (best === undefined || m.size < best.implement.size) best = { implement: m, targets: [app] };
  }
  return best!;
}

/** A planner: given the state, what to implement next. Planners may remember earlier choices. */
type Planner = (state: PlanState) => Choice;

/** The original's rule: the waiting application with the fewest syscalls to implement. */
const greedyPlanner = (): Planner => (state) => fewestMissing(state, state.waiting);

/**
 * Sidney's decomposition with a greedy inside: take the group of applications with the best
 * ratio of applications to syscalls (densest-unlock.ts), then run that group's applications
 * one by one, fewest missing first, before looking for the next group. Ordering groups by
 * that ratio is what minimises the average time applications wait; ordering inside a group
 * greedily lets its cheap applications run before its expensive ones.
 */
const unlockPlanner = (): Planner => {
  let group: PlanApplication[] = [];
  return (state) => {
    group = group.filter((app) => state.waiting.includes(app));
    if (group.length === 0) {
      const missing = state.waiting.map((app) => state.missing(app));
      group = densestUnlock(missing).map((i) => state.waiting[i]!);
    }
    return fewestMissing(state, group);
  };
};

const PLANNER_FACTORIES: Record<PlannerName, () => Planner> = { greedy: greedyPlanner, unlock: unlockPlanner };

/** Plans support for `apps` on an OS that supports `osSupported` (syscall numbers). */
export function planSupport(planner: PlannerName, osSupported: Iterable<number>, apps: readonly PlanApplication[]): SupportPlan {
  const state = new PlanState(osSupported, apps);
  const next = PLANNER_FACTORIES[planner]();
  const initial = state.admitReady();
  const steps: PlanStep[] = [];
  const curve: CurvePoint[] = [{ implemented: 0, apps: initial.apps.length }];
  let implemented = 0;
  let running = initial.apps.length;
  while (state.waiting.length > 0) {
    const choice = next(state);
    const implement = sortedNumbers(choice.implement);
    for (const nr of implement) state.supported.add(nr);
    const admitted = state.admitReady(choice.targets);
    implemented += implement.length;
    running += admitted.apps.length;
    steps.push({ apps: admitted.apps, implement, stub: admitted.stub, fake: admitted.fake });
    curve.push({ implemented, apps: running });
  }
  return { planner, supportedWithoutChanges: initial.apps, initialStub: initial.stub, initialFake: initial.fake, steps, curve };
}

/** Applications running after `implemented` syscalls, reading the step curve (a staircase). */
export function appsAt(curve: readonly CurvePoint[], implemented: number): number {
  let apps = 0;
  for (const p of curve) if (p.implemented <= implemented) apps = Math.max(apps, p.apps);
  return apps;
}

/**
 * Mean number of applications running over k = 0..maxImplemented syscalls implemented:
 * the area under the staircase divided by its width. Higher is better; comparing two
 * planners over the same width tells which gets applications running sooner.
 */
export function meanAppsRunning(curve: readonly CurvePoint[], maxImplemented: number): number {
  let sum = 0;
  for (let k = 0; k <= maxImplemented; k++) sum += appsAt(curve, k);
  return sum / (maxImplemented + 1);
}
