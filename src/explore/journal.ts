import { appendFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import { ExitCode, LoupeError } from '../core/errors.js';
import type { ExperimentResult, Workload } from './experiment.js';

/** How every line this class writes begins (JSON.stringify keeps the key order). */
const ENTRY_START = '{"fingerprint":';

/**
 * A journal of finished experiments (JSON lines), kept outside any database, so that an
 * analysis that dies resumes where it stopped: the same command skips what is recorded.
 * Entries are keyed by the workload's fingerprint, so a journal never leaks into another analysis.
 */
export class Journal {
  private readonly done = new Map<string, ExperimentResult>();

  /**
   * Reads the entries of `file` for `fingerprint`. Throws LoupeError (bad input) when `file` is
   * a folder, its folder is missing, or it holds something else than a journal (a mistyped
   * `--journal hello.lua` must not get experiments appended to the user's file).
   */
  constructor(
    private readonly file: string,
    private readonly fingerprint: string,
  ) {
    if (!existsSync(file)) {
      if (!existsSync(dirname(file))) {
        throw new LoupeError(`the folder of the journal ${file} does not exist`, ExitCode.badInput, 'create it, or give --journal a file in an existing folder');
      }
      return;
    }
    if (!statSync(file).isFile()) throw new LoupeError(`the journal ${file} is not a file`, ExitCode.badInput, 'give --journal a file name');
    const text = readFileSync(file, 'utf8');
    const first = text.split('\n').find((line) => line.trim() !== '');
    if (first !== undefined && !first.startsWith(ENTRY_START)) {
      throw new LoupeError(`${file} is not a loupe journal (its first line is not a journal entry)`, ExitCode.badInput,
        'give --journal a new file name, or one an earlier analysis wrote: loupe appends to it');
    }
    // A line cut short by a crash: what is recorded next starts on a line of its own.
    if (text !== '' && !text.endsWith('\n')) appendFileSync(file, '\n');
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        const entry = JSON.parse(line) as { fingerprint: string; result: ExperimentResult };
        if (entry.fingerprint === fingerprint) this.done.set(entry.result.id, entry.result);
      } catch {
        // A line cut short by the crash being resumed from: that experiment runs again.
      }
    }
  }

  get(id: string): ExperimentResult | undefined {
    return this.done.get(id);
  }

  get size(): number {
    return this.done.size;
  }

  record(result: ExperimentResult): void {
    this.done.set(result.id, result);
    appendFileSync(this.file, JSON.stringify({ fingerprint: this.fingerprint, result }) + '\n');
  }
}

export function workloadFingerprint(workload: Workload, extra: string): string {
  return createHash('sha256').update(JSON.stringify({ workload, extra })).digest('hex').slice(0, 16);
}
