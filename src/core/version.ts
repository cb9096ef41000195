import { readFileSync } from 'node:fs';

/** Root of the installed package (dist/src/core/version.js -> ../../..). */
export const PACKAGE_ROOT = new URL('../../../', import.meta.url).pathname;

export const VERSION: string = (JSON.parse(readFileSync(`${PACKAGE_ROOT}package.json`, 'utf8')) as { version: string }).version;

/** The command-line entry point, for running loupe's own commands as separate processes. */
export const CLI_PATH = `${PACKAGE_ROOT}dist/src/cli/main.js`;
