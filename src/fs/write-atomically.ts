import { renameSync, rmSync, writeFileSync } from 'node:fs';

/**
 * Makes `path` whole or leaves it as it was: `write` fills a temporary file beside it, which is
 * then renamed over `path`. A failing `write` leaves no temporary file behind and rethrows.
 */
export function replaceAtomically(path: string, write: (temporaryPath: string) => void): void {
  const temp = `${path}.tmp-${process.pid}`;
  try {
    write(temp);
    renameSync(temp, path);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}

/** Writes a file whole or not at all (see replaceAtomically). */
export function writeAtomically(path: string, data: string | Buffer): void {
  replaceAtomically(path, (temp) => writeFileSync(temp, data));
}
