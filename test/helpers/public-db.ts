import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './cli.js';

/**
 * The public Loupe database (https://github.com/unikraft/loupedb, CC BY 4.0) that the database
 * tests read, never write: $LOUPE_PUBLIC_DB, else `../shared/loupedb` beside the checkout (the CI
 * layout). Throws, saying how to get it, when it is not there: a fresh clone of this project alone
 * does not have it.
 */
export function publicDb(): string {
  const path = process.env['LOUPE_PUBLIC_DB'] ?? join(REPO_ROOT, '..', 'shared', 'loupedb');
  if (!existsSync(join(path, 'Unikraft.syscalls'))) {
    throw new Error(`the public Loupe database is not at ${path}: git clone https://github.com/unikraft/loupedb ${path}, `
      + 'or set LOUPE_PUBLIC_DB to a copy of it');
  }
  return path;
}
