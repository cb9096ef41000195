import { copyFileSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The launcher to bind over the analysed binary (--only-consider): a copy of `launcher` in
 * `workDir` carrying `binary`'s access and modification times, made once per analysis; the same
 * file if `binary` cannot be read (preflight reports that). Throws on I/O errors in `workDir`.
 *
 * Why: the workload sees the launcher's metadata at the binary's path. A test driver that is a
 * make (`make check` of the package that built the binary) compares the binary's modification
 * time with its objects'; the launcher, built with loupe, is usually newer than them, but a
 * binary older than its objects (or a launcher copied later) makes make relink it onto the
 * read-only mount, and every run, unperturbed ones included, fails for that reason alone
 * (`rm: cannot remove 'gzip': Device or resource busy`, seen with Debian's gzip).
 */
export function boundLauncher(launcher: string, binary: string, workDir: string): string {
  let times: { atime: Date; mtime: Date };
  try {
    times = statSync(binary);
  } catch {
    return launcher;
  }
  const copy = join(workDir, 'bound-launcher');
  copyFileSync(launcher, copy);
  utimesSync(copy, times.atime, times.mtime);
  return copy;
}
