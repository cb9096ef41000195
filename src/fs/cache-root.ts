import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The folder of loupe's own files outside any database (resume journals, build logs, the static
 * analysis's decoded code): $LOUPE_CACHE_DIR, else $XDG_CACHE_HOME/loupe (XDG Base Directory
 * Specification), else ~/.cache/loupe. LOUPE_CACHE_DIR=off only turns the static analysis's disk
 * cache off (see cacheDisabled); journals and logs then use the XDG location.
 */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.LOUPE_CACHE_DIR;
  if (configured !== undefined && configured !== '' && configured !== 'off') return configured;
  const xdg = env.XDG_CACHE_HOME;
  return join(xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.cache'), 'loupe');
}

/** LOUPE_CACHE_DIR=off: caches that only save time are not written or read. */
export function cacheDisabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.LOUPE_CACHE_DIR === 'off';
}
