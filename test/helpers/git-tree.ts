import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, lstatSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { tempDir } from './temp-dirs.js';

/** Helpers for tests on temporary git repositories. */

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@localhost', ...args], { cwd, encoding: 'utf8' });
}

/** A new repository with one committed file, so that it has a HEAD. */
export function tempRepo(prefix = 'db'): string {
  const dir = tempDir(prefix);
  git(dir, 'init', '--quiet');
  writeFileSync(join(dir, 'README.md'), 'test database\n');
  git(dir, 'add', 'README.md');
  git(dir, 'commit', '--quiet', '-m', 'initial');
  return dir;
}

export function writeFiles(root: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), content);
  }
}

/**
 * Everything that tells whether a database changed: HEAD, index, `git status`, and a hash of
 * every file and folder of the work tree (outside .git).
 */
export function snapshot(root: string): string {
  const hash = createHash('sha256');
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir).sort()) {
      if (dir === root && entry === '.git') continue;
      const path = join(dir, entry);
      const st = lstatSync(path);
      hash.update(`${relative(root, path)}\0${st.mode}\0`);
      if (st.isDirectory()) walk(path);
      else hash.update(readFileSync(path));
    }
  };
  walk(root);
  const head = (() => { try { return git(root, 'rev-parse', 'HEAD'); } catch { return 'no HEAD'; } })();
  const index = (() => { try { return readFileSync(join(root, '.git', 'index')).toString('hex'); } catch { return 'no index'; } })();
  return [head, git(root, 'status', '--porcelain', '--untracked-files=all'), createHash('sha256').update(index).digest('hex'), hash.digest('hex')].join('\n');
}
