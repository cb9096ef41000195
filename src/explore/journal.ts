import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import type { ExperimentResult, Workload } from './experiment.js';

/**
 * A journal of finished experiments (JSON lines), kept outside any database, so that an
 * analysis that dies resumes where it stopped: the same command skips what is recorded.
 * Entries are keyed by the workload's fingerprint, so a journal never leaks into another analysis.
 */
export class Journal {
  private readonly done = new Map<string, ExperimentResult>();

  constructor(
    private readonly file: string,
    private readonly fingerprint: string,
  ) {
    if (!existsSync(file)) return;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
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
