import { readFileSync } from 'node:fs';

/** Root of the installed package (dist/src/core/version.js -> ../../..). */
export const PACKAGE_ROOT = new URL('../../../', import.meta.url).pathname;

export const VERSION: string = (JSON.parse(readFileSync(`${PACKAGE_ROOT}package.json`, 'utf8')) as { version: string }).version;

/** The command-line entry point, for running loupe's own commands as separate processes. */
export const CLI_PATH = `${PACKAGE_ROOT}dist/src/cli/main.js`;

/** The seccomp launcher built by `npm run build` (src/sandbox/launcher.c). */
export const LAUNCHER_PATH = `${PACKAGE_ROOT}dist/bin/loupe-launch`;
/** The filesystem isolation helper built by `npm run build` (src/sandbox/isolation.ts). */
export const ISOLATE_HELPER_PATH = `${PACKAGE_ROOT}dist/bin/loupe-isolate`;
