import { existsSync, mkdirSync, statSync } from 'node:fs';
import { ExitCode, LoupeError } from '../core/errors.js';

/** Refusals of mkdir that the user can fix (a file in the way, no permission, a read-only or full file system). */
const FIXABLE = new Set(['EEXIST', 'ENOTDIR', 'EACCES', 'EPERM', 'EROFS', 'ENOSPC']);

/**
 * Creates the output folder `path` that `option` (e.g. `--out`) names, with its parents; an
 * existing folder is fine. Throws LoupeError (bad input) naming the option when a file is in the
 * way or the file system refuses, before any work is done, instead of an internal error later.
 */
export function makeOutputFolder(path: string, option: string): void {
  if (existsSync(path) && !statSync(path).isDirectory()) {
    throw new LoupeError(`${option} ${path} is a file, not a folder`, ExitCode.badInput, `give ${option} a folder (it is created if missing)`);
  }
  try {
    mkdirSync(path, { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === undefined || !FIXABLE.has(code)) throw err;
    throw new LoupeError(`${option} ${path}: cannot create the folder (${(err as Error).message})`, ExitCode.badInput,
      `give ${option} a folder you can write, whose parents are folders`);
  }
}
