import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Canonical form of an executable path for attribution: relative paths are resolved against
 * `cwd` (the directory the traced program was started in; a program that changes directory
 * before exec'ing a relative path is not followed), then symlinks are resolved so that
 * /bin/true and /usr/bin/true (merged /usr) are one executable. A path that no longer exists
 * is kept as resolved against `cwd`.
 */
export function canonicalExecutablePath(cwd: string): (path: string) => string {
  return (path) => {
    const absolute = resolve(cwd, path);
    try {
      return realpathSync(absolute);
    } catch {
      return absolute;
    }
  };
}
