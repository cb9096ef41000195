import { realpathSync } from 'node:fs';

/**
 * Canonical form of an absolute executable path for attribution: symlinks resolved, so that
 * /bin/true and /usr/bin/true (merged /usr) are one executable. A path that no longer exists is
 * kept as it is. Relative exec paths are made absolute before, by following each process's
 * working folder through the trace (exec-paths.ts).
 */
export function canonicalExecutablePath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
