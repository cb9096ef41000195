/**
 * Syscall call-site coverage: the static source analysis says which lines of the tree can issue
 * which syscall (src/static: calls of libc functions, mapped through the installed libc, and
 * syscall(N)); gcov says which lines the workload executed. Joined, they tell for every syscall
 * the source could issue whether the workload reached any place that issues it: before trusting
 * "not used" from a dynamic analysis, see whether the workload ever went near it. Pure.
 */
import { resolve } from 'node:path';
import { callSiteCounts, type CallSiteCounts } from '../db/coverage-json.js';
import type { SourceCallSite } from '../static/index.js';
import { displayName, type SyscallTable } from '../syscalls/table.js';
import type { FileCoverage } from './tracefile.js';

export interface SiteCoverage {
  /** Relative to the source tree. */
  readonly file: string;
  readonly line: number;
  /** What the line calls: `read()`, `syscall(39)`. */
  readonly via: string;
  /** The workload executed this line at least once. */
  readonly reached: boolean;
  /**
   * gcov counts this line (its file is compiled into the program and the line holds code of
   * its own). A site that is not instrumented is never reached: its file is not part of the
   * program, or the compiler attributed the call's code to another line.
   */
  readonly instrumented: boolean;
}

export interface SyscallSites {
  readonly nr: number;
  readonly name: string;
  readonly sites: readonly SiteCoverage[];
}

export interface CallSiteSummary extends CallSiteCounts {
  /** Call sites whose line gcov does not count (see SiteCoverage.instrumented). */
  readonly uninstrumentedSites: number;
}

/**
 * Joins call sites (files relative to `root`) with line coverage (absolute paths, as in the
 * tracefile). Syscalls in number order, sites as given.
 */
export function joinCallSites(
  callSites: Readonly<Record<number, readonly SourceCallSite[]>>,
  root: string,
  coverage: ReadonlyMap<string, FileCoverage>,
  table: SyscallTable,
): SyscallSites[] {
  return Object.entries(callSites)
    .map(([key, sites]) => {
      const nr = Number(key);
      return {
        nr,
        name: displayName(table, nr),
        sites: sites.map((site) => {
          const count = coverage.get(resolve(root, site.file))?.lines.get(site.line);
          return { file: site.file, line: site.line, via: site.via, reached: (count ?? 0) > 0, instrumented: count !== undefined };
        }),
      };
    })
    .sort((a, b) => a.nr - b.nr);
}

/** The counts of the summary line; sites are counted once even when they issue several syscalls. */
export function summariseCallSites(syscalls: readonly SyscallSites[]): CallSiteSummary {
  const uninstrumented = new Set(syscalls.flatMap((s) => s.sites.filter((site) => !site.instrumented).map((site) => `${site.file}:${site.line}`)));
  return { ...callSiteCounts(syscalls), uninstrumentedSites: uninstrumented.size };
}
