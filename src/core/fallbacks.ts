import type { Treatment } from './verdict.js';

/**
 * Fallbacks: what an application executes instead when a perturbation of one syscall (or of
 * one argument value or flag bit) works, measured by explore (src/explore/fallbacks.ts), stored
 * as fallbacks.csv (src/db/fallbacks-csv.ts), used by search's plans and scores.
 */

export interface FallbackSets {
  /** Syscall numbers, sorted. */
  added: number[];
  dropped: number[];
}

/** Per treatment that works: what changed. A treatment that did not work has no entry. */
export type FallbackEntry = Partial<Record<Treatment, FallbackSets>>;

/**
 * Keyed by the perturbed syscall's number as a string (`"435"`), or for a sub-feature by
 * `"<nr>/<argIndex>=<value>"` (argument value) or `"<nr>/<argIndex>&<bit>"` (one flag bit),
 * values as unsigned decimals.
 */
export type Fallbacks = Record<string, FallbackEntry>;

/** What a perturbation targets, as in the JSON keys. */
export interface FallbackTarget {
  nr: number;
  argIndex?: number;
  value?: string;
  bit?: boolean;
}

export function fallbackKey(t: FallbackTarget): string {
  if (t.argIndex === undefined || t.value === undefined) return String(t.nr);
  return `${t.nr}/${t.argIndex}${t.bit ? '&' : '='}${t.value}`;
}

/** Inverse of fallbackKey; undefined for a malformed key. */
export function parseFallbackKey(key: string): FallbackTarget | undefined {
  const m = /^(\d+)(?:\/(\d+)([=&])(\d+))?$/.exec(key);
  if (!m) return undefined;
  if (m[2] === undefined) return { nr: Number(m[1]) };
  return { nr: Number(m[1]), argIndex: Number(m[2]), value: m[4]!, ...(m[3] === '&' ? { bit: true } : {}) };
}


/** Order of keys in files and reports: whole syscalls by number, each followed by its sub-features. */
export function compareFallbackKeys(a: string, b: string): number {
  const [ta, tb] = [parseFallbackKey(a), parseFallbackKey(b)];
  return (ta?.nr ?? 0) - (tb?.nr ?? 0) || a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}
