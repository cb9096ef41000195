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
 * Fallbacks (fallbacks.csv): a treatment works for an application only when the OS supports
 * what the application executes instead (glibc calls clone when clone3 is stubbed). An
 * application whose treatment needs a fallback the OS lacks waits until a step implements it
 * (or the syscall itself, or another treatment works); each step lists the treatments it relies
 * on that have fallbacks, so the plan says why a fallback is implemented.
 *
 * Two planners share that state and differ only in what they implement next:
 *   - `greedy`: the original Loupe's rule, made deterministic: the waiting application with the
 *     fewest syscalls to implement (ties by name);
 *   - `unlock`: the set of syscalls that unlocks the most applications per syscall implemented,
 *     found exactly (densest-unlock.ts). Ordering by that ratio is Smith's rule for getting
 *     the most applications running soonest on average.
 */
import { densestUnlock } from './densest-unlock.js';
import { canFake, canStub, fallbacksOf, missingSyscalls, sortedNumbers, treatmentWorks, type Usage } from './usage.js';
import { TREATMENTS, type Treatment } from '../core/verdict.js';

export type { Treatment };
export type PlannerName = 'greedy' | 'unlock';
export const PLANNERS: readonly PlannerName[] = ['greedy', 'unlock'];

export interface PlanApplication {
  name: string;
  usage: Usage;
}

/** A treatment an admitted application relies on, and the fallbacks it needs supported. */
export interface FallbackReliance {
  nr: number;
  treatment: Treatment;
  /** Syscalls the applications execute instead, all supported from this step on. */
  fallbacks: number[];
  /** The applications admitted at this step that rely on it, sorted. */
  apps: string[];
}

export interface PlanStep {
  /** Applications that run from this step on, sorted by name. */
  apps: string[];
  implement: number[];
  stub: number[];
  fake: number[];
  /** Present only when some treatment this step relies on has fallbacks (why they are implemented). */
  fallbacks?: FallbackReliance[];
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
  /** Treatments with fallbacks those applications rely on (present only when there are some). */
  initialFallbacks?: FallbackReliance[];
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

  /** Syscalls `app` needs implemented, given what is supported and decided now (fallbacks included). */
  missing(app: PlanApplication): Set<number> {
    return missingSyscalls(app.usage, this.supported, this.treatment);
  }

  /** Whether treatment `t` of `nr` works for `app` with its fallbacks supported. */
  private viable(app: PlanApplication, nr: number, t: Treatment): boolean {
    return treatmentWorks(app.usage, nr, t) && [...fallbacksOf(app.usage, nr, t)].every((f) => this.supported.has(f));
  }

  private decide(nr: number, app: PlanApplication): Treatment {
    const stub = this.viable(app, nr, 'stub');
    const fake = this.viable(app, nr, 'fake');
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
  admitReady(first: readonly PlanApplication[] = []): { apps: string[]; stub: number[]; fake: number[]; fallbacks: FallbackReliance[] } {
    const admitted: string[] = [];
    const stub: number[] = [];
    const fake: number[] = [];
    const reliances = new Map<string, FallbackReliance>();
    for (const app of [...first, ...this.waiting.filter((a) => !first.includes(a))]) {
      // Re-checked for each application: a decision made for an earlier one may rule it out.
      if (this.missing(app).size > 0) continue;
      for (const nr of sortedNumbers(app.usage.used)) {
        if (this.supported.has(nr) || this.treatment.has(nr)) continue;
        const t = this.decide(nr, app);
        this.treatment.set(nr, t);
        (t === 'stub' ? stub : fake).push(nr);
      }
      for (const nr of sortedNumbers(app.usage.used)) {
        const t = this.supported.has(nr) ? undefined : this.treatment.get(nr);
        const fallbacks = t === undefined ? [] : sortedNumbers(fallbacksOf(app.usage, nr, t));
        if (t === undefined || fallbacks.length === 0) continue;
        const key = `${t}:${nr}`;
        const r = reliances.get(key) ?? { nr, treatment: t, fallbacks: [], apps: [] };
        r.fallbacks = sortedNumbers(new Set([...r.fallbacks, ...fallbacks]));
        r.apps.push(app.name);
        reliances.set(key, r);
      }
      this.waiting = this.waiting.filter((a) => a !== app);
      admitted.push(app.name);
    }
    const fallbacks = [...reliances.values()].sort((a, b) => a.nr - b.nr || TREATMENTS.indexOf(a.treatment) - TREATMENTS.indexOf(b.treatment));
    for (const r of fallbacks) r.apps.sort();
    return { apps: admitted.sort(), stub: stub.sort((a, b) => a - b), fake: fake.sort((a, b) => a - b), fallbacks };
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
    steps.push({ apps: admitted.apps, implement, stub: admitted.stub, fake: admitted.fake, ...(admitted.fallbacks.length > 0 ? { fallbacks: admitted.fallbacks } : {}) });
    curve.push({ implemented, apps: running });
  }
  return {
    planner,
    supportedWithoutChanges: initial.apps,
    initialStub: initial.stub,
    initialFake: initial.fake,
    ...(initial.fallbacks.length > 0 ? { initialFallbacks: initial.fallbacks } : {}),
    steps,
    curve,
  };
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
