import { readFileSync } from 'node:fs';

/** The last lines of a log file, for error messages; a note when there is none. */
export function tailOf(file: string, lines = 15): string {
  try {
    const text = readFileSync(file, 'utf8').trimEnd();
    if (text === '') return '(empty)';
    return text.split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
