import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Where this project is installed: the folder holding package.json, dist/ and docker/. */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The CLI entry point, dist/src/cli/main.js. */
export const CLI_MAIN = fileURLToPath(new URL('./cli/main.js', import.meta.url));

export function loupeVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('package.json', `file://${PROJECT_ROOT}`), 'utf8')) as { version: string };
  return pkg.version;
}
