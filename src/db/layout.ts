/**
 * Naming rules of a Loupe database (a git repository):
 *   <app>/<workload>/<run>/{cmd.txt, explore.logs, Dockerfile.<app>, dockerfile_data/, data/*.csv}
 * where <workload> is `benchmark-<name>`, `suite` or `suite-<name>`, and <run> is the md5 hex
 * digest of the Dockerfile's bytes (of the environment record for native runs) or `imported`.
 * Files at the root (such as `<OS>.syscalls`) are not applications.
 */

export type WorkloadKind = 'benchmark' | 'suite';

export interface WorkloadId {
  kind: WorkloadKind;
  /** Empty for a plain `suite`. */
  name: string;
}

export { DOCKERFILE_DATA_DIR } from '../docker/dockerfile.js';
export const DATA_DIR = 'data';
export const DYN_CSV = 'dyn.csv';
export const STATIC_BINARY_CSV = 'static_binary.csv';
export const PERF_CSV = 'perf.csv';
export const STATIC_SOURCES_CSV = 'static_sources.csv';
/** Written by `generate --coverage` (format: coverage-json.ts). */
export const COVERAGE_JSON = 'coverage.json';
export const CMD_TXT = 'cmd.txt';
export const EXPLORE_LOGS = 'explore.logs';
export const IMPORTED_RUN = 'imported';

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;

/** Whether `name` can be used as an application or workload name without escaping its folder. */
export function isSafeName(name: string): boolean {
  return SAFE_NAME.test(name) && name !== '.' && name !== '..' && !name.includes('/');
}

export function workloadDirName(id: WorkloadId): string {
  if (id.kind === 'suite') return id.name === '' ? 'suite' : `suite-${id.name}`;
  return `benchmark-${id.name}`;
}

/** Parses a workload folder name; undefined if the folder is not a workload. */
export function parseWorkloadDirName(dir: string): WorkloadId | undefined {
  if (dir === 'suite') return { kind: 'suite', name: '' };
  if (dir.startsWith('suite-') && dir.length > 'suite-'.length) return { kind: 'suite', name: dir.slice('suite-'.length) };
  if (dir.startsWith('benchmark-') && dir.length > 'benchmark-'.length) {
    return { kind: 'benchmark', name: dir.slice('benchmark-'.length) };
  }
  return undefined;
}

/** A run folder is the md5 of what produced it, or `imported` for data that predates the layout. */
export function isRunDirName(dir: string): boolean {
  return dir === IMPORTED_RUN || /^[0-9a-f]{32}$/.test(dir);
}

export function dockerfileName(app: string): string {
  return `Dockerfile.${app}`;
}
