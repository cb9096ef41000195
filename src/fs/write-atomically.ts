import { renameSync, writeFileSync } from 'node:fs';

/** Writes a file whole or not at all: a temporary file beside it, then a rename over it. */
export function writeAtomically(path: string, data: string | Buffer): void {
  const temp = `${path}.tmp-${process.pid}`;
  writeFileSync(temp, data);
  renameSync(temp, path);
}
