import { cpSync, existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { ExitCode, LoupeError } from '../core/errors.js';
import { DOCKERFILE_DATA_DIR } from './dockerfile.js';

/**
 * Copies the files of dockerfile_data/ that a Dockerfile references (sources of COPY/ADD, with
 * `*` and `?` wildcards) from the Dockerfile's folder into `contextDir`. Only these are sent to
 * the build, so a build that works here also works from the copy stored in the database.
 * Returns the copied files, relative to the context (e.g. `dockerfile_data/test.sh`).
 */
export function copyDockerfileData(dockerfile: string, references: readonly string[], contextDir: string): string[] {
  const sourceRoot = join(dirname(dockerfile), DOCKERFILE_DATA_DIR);
  const copied = new Set<string>();
  for (const reference of references) {
    const matches = expand(sourceRoot, reference);
    if (matches.length === 0) {
      throw new LoupeError(`${dockerfile} copies ${DOCKERFILE_DATA_DIR}/${reference}, which does not exist`, ExitCode.badInput,
        `put it in ${sourceRoot}`);
    }
    for (const rel of matches) {
      cpSync(join(sourceRoot, rel), join(contextDir, DOCKERFILE_DATA_DIR, rel), { recursive: true });
      for (const file of filesUnder(join(sourceRoot, rel))) copied.add(posix.join(DOCKERFILE_DATA_DIR, rel, file));
    }
  }
  return [...copied].map((p) => p.replace(/\/$/, '')).sort();
}

/** Paths under `root` matching a reference whose last component may hold wildcards. */
function expand(root: string, reference: string): string[] {
  if (!/[*?]/.test(reference)) return existsSync(join(root, reference)) ? [reference] : [];
  const dir = posix.dirname(reference);
  const pattern = new RegExp(`^${posix.basename(reference).replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  const folder = join(root, dir);
  if (!existsSync(folder)) return [];
  return readdirSync(folder).filter((name) => pattern.test(name)).map((name) => posix.join(dir, name)).sort();
}

/** Files under `path` relative to it ('' when `path` is a file). */
function filesUnder(path: string): string[] {
  if (!statSync(path).isDirectory()) return [''];
  return readdirSync(path, { recursive: true, encoding: 'utf8' }).filter((rel) => !statSync(join(path, rel)).isDirectory());
}
