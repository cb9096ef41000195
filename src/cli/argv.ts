/**
 * The original tool spelled some long options with one dash (`-db`).
 * Commander only knows single-letter short options, so rewrite those
 * spellings before parsing. Everything after `--` is the application's and is left alone.
 */
const SINGLE_DASH_LONG_OPTIONS = new Set(['-db']);

export function normaliseArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  let passthrough = false;
  for (const arg of argv) {
    if (passthrough) {
      out.push(arg);
      continue;
    }
    if (arg === '--') passthrough = true;
    const [flag, value] = splitOnce(arg, '=');
    out.push(SINGLE_DASH_LONG_OPTIONS.has(flag) ? `-${flag}${value === undefined ? '' : `=${value}`}` : arg);
  }
  return out;
}

function splitOnce(s: string, sep: string): [string, string | undefined] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)];
}
