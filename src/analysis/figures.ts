/**
 * The data behind the plots, as plain rows: the plots are specifications of these rows,
 * and the same rows can be printed as JSON.
 */
import type { WorkloadKind } from '../db/layout.js';
import type { SyscallTable } from '../syscalls/table.js';
import type { SelectedApplication } from './selection.js';
import { sortedNumbers, type Usage } from './usage.js';

export const ANALYSES = ['static binary', 'static source', 'dynamic executed', 'dynamic required'] as const;
export type Analysis = (typeof ANALYSES)[number];

/** The set an analysis gives for one application, or undefined if the application lacks it. */
function setOf(usage: Usage, analysis: Analysis): Set<number> | undefined {
  switch (analysis) {
    case 'static binary':
      return usage.staticBinary;
    case 'static source':
      return usage.staticSources;
    case 'dynamic executed':
      return usage.used.size > 0 ? usage.used : undefined;
    case 'dynamic required':
      return usage.used.size > 0 ? usage.required : undefined;
  }
}

export interface SyscallShare {
  analysis: Analysis;
  nr: number;
  name: string;
  /** Applications having this analysis. */
  population: number;
  /** Share of those applications that use (or require) the syscall, 0..1. */
  share: number;
}

/** For each analysis, the share of applications using each syscall of the table. */
export function syscallShares(apps: readonly SelectedApplication[], table: SyscallTable): SyscallShare[] {
  const rows: SyscallShare[] = [];
  for (const analysis of ANALYSES) {
    const sets = apps.map((a) => setOf(a.usage, analysis)).filter((s): s is Set<number> => s !== undefined);
    if (sets.length === 0) continue;
    for (const [nr, name] of table.entries()) {
      const users = sets.filter((s) => s.has(nr)).length;
      rows.push({ analysis, nr, name, population: sets.length, share: users / sets.length });
    }
  }
  return rows;
}

export interface CumulativePoint {
  analysis: Analysis;
  /** 1 for the most widely used syscall of this analysis. */
  rank: number;
  name: string;
  share: number;
  population: number;
}

/** Per analysis, the used syscalls ranked by share of applications (ties by number). */
export function cumulativeCurve(shares: readonly SyscallShare[]): CumulativePoint[] {
  const points: CumulativePoint[] = [];
  for (const analysis of ANALYSES) {
    const used = shares.filter((s) => s.analysis === analysis && s.share > 0).sort((a, b) => b.share - a.share || a.nr - b.nr);
    used.forEach((s, i) => points.push({ analysis, rank: i + 1, name: s.name, share: s.share, population: s.population }));
  }
  return points;
}

export const HISTOGRAM_CATEGORIES = ['static source', 'static binary', 'required', 'stub-only', 'fake-only', 'both'] as const;
export type HistogramCategory = (typeof HISTOGRAM_CATEGORIES)[number];

/** The applications of the original paper's histogram that the public database holds with both workloads or static sources. */
export const PAPER_HISTOGRAM_APPS = ['redis', 'nginx', 'memcached', 'sqlite', 'haproxy', 'lighttpd', 'weborf'] as const;

export interface HistogramBar {
  app: string;
  /** `static source`, `static binary`, `suite` or `benchmark`. */
  bar: string;
  category: HistogramCategory;
  count: number;
}

/**
 * Per application: one bar per static analysis present, and one stacked bar per workload kind
 * (required, stub-only, fake-only, both). `usageByKind` gives each kind's combined usage.
 */
export function histogramBars(app: string, usageByKind: ReadonlyMap<WorkloadKind, Usage>): HistogramBar[] {
  const bars: HistogramBar[] = [];
  const all = [...usageByKind.values()];
  const sources = new Set(all.flatMap((u) => sortedNumbers(u.staticSources ?? [])));
  const binary = new Set(all.flatMap((u) => sortedNumbers(u.staticBinary ?? [])));
  if (sources.size > 0) bars.push({ app, bar: 'static source', category: 'static source', count: sources.size });
  if (binary.size > 0) bars.push({ app, bar: 'static binary', category: 'static binary', count: binary.size });
  for (const kind of ['suite', 'benchmark'] as const) {
    const u = usageByKind.get(kind);
    if (!u || u.used.size === 0) continue;
    bars.push(
      { app, bar: kind, category: 'required', count: u.required.size },
      { app, bar: kind, category: 'stub-only', count: u.stubOnly.size },
      { app, bar: kind, category: 'fake-only', count: u.fakeOnly.size },
      { app, bar: kind, category: 'both', count: u.both.size },
    );
  }
  return bars;
}
