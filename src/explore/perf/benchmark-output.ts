import type { BenchmarkFailure } from '../../core/perf-report.js';

/**
 * The benchmark protocol of the original Loupe: `SCRIPT LOGFILE benchmark` prints one number on
 * stdout, higher is better. Pure: the script's stdout in, the number or a named failure out.
 */

const NUMBER = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;
/** How much of the script's output a failure message shows. */
const SHOWN_CHARS = 200;

export function parseBenchmarkOutput(stdout: string): { value: number } | { failure: BenchmarkFailure } {
  const tokens = stdout.split(/\s+/).filter((t) => t !== '');
  if (tokens.length === 1 && NUMBER.test(tokens[0]!) && Number.isFinite(Number(tokens[0]))) return { value: Number(tokens[0]) };
  if (tokens.length === 0) {
    return { failure: { kind: 'no-number', message: 'the benchmark printed nothing on stdout; in benchmark mode (SCRIPT LOGFILE benchmark) the script must print one number, higher is better' } };
  }
  const shown = JSON.stringify(stdout.length > SHOWN_CHARS ? `${stdout.slice(0, SHOWN_CHARS)}...` : stdout);
  if (tokens.length > 1 && tokens.every((t) => NUMBER.test(t))) {
    return { failure: { kind: 'several-numbers', message: `the benchmark printed ${tokens.length} numbers, not one: ${shown}` } };
  }
  return { failure: { kind: 'not-a-number', message: `the benchmark printed something other than one number: ${shown}` } };
}
