/**
 * data/coverage.json, stored by `loupe generate --coverage`: the workload's line, function and
 * branch coverage and its syscall call-site table (the JSON of `loupe coverage`, written by
 * src/coverage/). The whole lcov tracefile is not stored: it is large and machine-specific.
 * This module reads the fields queries use and checks their shape.
 */
import { ExitCode, LoupeError } from '../core/errors.js';
import { counted } from '../core/text.js';

export interface CoverageTotals {
  covered: number;
  total: number;
}

export interface StoredCallSite {
  file: string;
  line: number;
  via?: string;
  reached: boolean;
}

export interface StoredCoverage {
  lines: CoverageTotals;
  functions: CoverageTotals;
  branches: CoverageTotals;
  /** Per syscall with call sites in the source; empty when the run skipped the call sites. */
  syscalls: { nr: number; name: string; sites: StoredCallSite[] }[];
}

/** Parses a stored coverage.json; LoupeError (bad input) naming `path` when its shape is wrong. */
export function parseStoredCoverage(text: string, path: string): StoredCoverage {
  const fail = (what: string): never => {
    throw new LoupeError(`${path}: ${what}`, ExitCode.badInput, 'regenerate it with loupe generate --coverage, or remove it');
  };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return fail(`not JSON (${(err as Error).message})`);
  }
  const record = doc as Record<string, unknown>;
  const totals = (key: string): CoverageTotals => {
    const t = record?.[key] as Record<string, unknown> | undefined;
    if (!t || !Number.isInteger(t.covered) || !Number.isInteger(t.total)) return fail(`"${key}" must be {"covered": N, "total": N}`);
    return { covered: t.covered as number, total: t.total as number };
  };
  const syscalls = record.syscalls ?? [];
  if (!Array.isArray(syscalls)) return fail('"syscalls" must be a list');
  return {
    lines: totals('lines'),
    functions: totals('functions'),
    branches: totals('branches'),
    syscalls: syscalls.map((s: Record<string, unknown>) => {
      if (!Number.isInteger(s?.nr) || typeof s.name !== 'string' || !Array.isArray(s.sites)) return fail('a "syscalls" entry needs nr, name and sites');
      return {
        nr: s.nr as number,
        name: s.name,
        sites: (s.sites as Record<string, unknown>[]).map((site) => {
          if (typeof site?.file !== 'string' || !Number.isInteger(site.line) || typeof site.reached !== 'boolean') {
            return fail(`a call site of ${s.name as string} needs file, line and reached`);
          }
          return { file: site.file, line: site.line as number, ...(typeof site.via === 'string' ? { via: site.via } : {}), reached: site.reached };
        }),
      };
    }),
  };
}

/** The call-site counts of a coverage summary. */
export interface CallSiteCounts {
  /** Syscalls with at least one call site in the tree. */
  syscalls: number;
  /** Distinct source lines that can issue at least one of them. */
  sites: number;
  reachedSyscalls: number;
  reachedSites: number;
  /** Names of the syscalls none of whose call sites the workload executed, in the given order. */
  unreached: string[];
}

/** Counts call sites once even when a line can issue several syscalls. */
export function callSiteCounts(syscalls: readonly { name: string; sites: readonly { file: string; line: number; reached: boolean }[] }[]): CallSiteCounts {
  const sites = new Map<string, boolean>();
  for (const s of syscalls) {
    for (const site of s.sites) sites.set(`${site.file}:${site.line}`, (sites.get(`${site.file}:${site.line}`) ?? false) || site.reached);
  }
  const isReached = (s: (typeof syscalls)[number]): boolean => s.sites.some((site) => site.reached);
  return {
    syscalls: syscalls.length,
    sites: sites.size,
    reachedSyscalls: syscalls.filter(isReached).length,
    reachedSites: [...sites.values()].filter(Boolean).length,
    unreached: syscalls.filter((s) => !isReached(s)).map((s) => s.name),
  };
}

/** "static source: 85 syscalls at 412 call sites; the workload reached call sites of 61 syscalls (198 sites); 24 syscalls never reached". */
export function formatCallSiteSummary(s: CallSiteCounts): string {
  const never = s.syscalls - s.reachedSyscalls;
  return `static source: ${s.syscalls} syscalls at ${s.sites} call sites; ` +
    `the workload reached call sites of ${s.reachedSyscalls} syscalls (${counted(s.reachedSites, 'site')}); ` +
    `${counted(never, 'syscall')} never reached`;
}

/** "37.0%" with one decimal, "-" for nothing to cover. */
export function percent(t: CoverageTotals): string {
  return t.total === 0 ? '-' : `${((100 * t.covered) / t.total).toFixed(1)}%`;
}
