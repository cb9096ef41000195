import type { Verdict } from '../core/verdict.js';

/**
 * Progress of one `loupe explore` for another program (generate follows its replicas with it):
 * with `--events`, explore writes one JSON object per line on stderr, and nothing else there but
 * its error messages. Defined once here, for the writer and the reader alike.
 */
export type ExploreEvent =
  /** A phase starts (`discovery`, `baseline`, `negative control`, `syscalls`, `sub-features`, `final check`, `fallbacks`), with its planned experiments. */
  | { event: 'phase'; phase: string; planned: number }
  /**
   * An experiment finished, or its verdict was inferred from a group run that worked (attempts 0).
   * `group`: a group run (group testing), which settles no verdict of its own, so it does not
   * count towards the phase's planned experiments.
   */
  | { event: 'experiment'; id: string; description: string; verdict: Verdict; attempts: number; durationMs: number; group?: true };

/** One event as the line explore writes (without the newline). */
export function eventLine(event: ExploreEvent): string {
  return JSON.stringify(event);
}

/** The event a line holds, or undefined for any other line (an error message, a warning). */
export function parseEventLine(line: string): ExploreEvent | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value = JSON.parse(line) as Partial<ExploreEvent> | null;
    if (value?.event === 'phase' && typeof value.phase === 'string' && typeof value.planned === 'number') return value as ExploreEvent;
    if (value?.event === 'experiment' && typeof value.id === 'string' && (value.verdict === 'works' || value.verdict === 'broken')) return value as ExploreEvent;
  } catch {
    // not an event: a message that happens to start with a brace
  }
  return undefined;
}

/** Where an explore stands after the events of `log`: its current phase, experiments done in it (verdicts settled: group runs do not count) and planned. */
export function progressOfEvents(log: string): { phase: string; done: number; planned?: number } {
  let state: { phase: string; done: number; planned?: number } = { phase: 'starting', done: 0 };
  for (const line of log.split('\n')) {
    const event = parseEventLine(line);
    if (event?.event === 'phase') state = { phase: event.phase, done: 0, planned: event.planned };
    else if (event?.event === 'experiment' && event.group !== true) state = { ...state, done: state.done + 1 };
  }
  return state;
}
