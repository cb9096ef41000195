import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode, LoupeError } from '../core/errors.js';
import { ProcessGroups } from '../sandbox/process.js';
import type { ReplicaProcess } from './environments.js';

/**
 * Everything a generate starts and must clean up: process groups, running replicas (containers),
 * a scratch folder; and what Ctrl-C (SIGINT) or SIGTERM does: stop all of it, unless the run is
 * being stored, which is left to finish (the store is atomic and short).
 */
export class GenerateSession {
  readonly groups = new ProcessGroups();
  readonly running = new Set<ReplicaProcess>();
  readonly workDir = mkdtempSync(join(tmpdir(), 'loupe-generate-'));
  private interrupted = false;
  private storing = false;
  private keep = false;
  /** The stop a signal started: close() waits for it, so that no container outlives loupe. */
  private stopping: Promise<void> | undefined;
  private readonly onSignal = (): void => {
    this.interrupted = true;
    if (this.storing) return;
    // Replicas first, so that each stops its own processes; then whatever else runs (a build).
    this.stopping ??= Promise.all([...this.running].map((r) => r.stop())).then(() => this.groups.killAll());
  };

  constructor() {
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }

  /** Runs `work`; an error caused by an interruption is reported as the interruption. */
  async cancellable<T>(work: () => Promise<T>): Promise<T> {
    try {
      const result = await work();
      this.throwIfInterrupted();
      return result;
    } catch (err) {
      this.throwIfInterrupted();
      throw err;
    }
  }

  /**
   * Runs `work` with signals deferred until it is done. (A Ctrl-C at the terminal still reaches
   * the git processes of the store, which then fails and rolls back: reported as the interruption.)
   */
  async uninterruptible<T>(work: () => Promise<T>): Promise<T> {
    this.throwIfInterrupted();
    this.storing = true;
    try {
      return await work();
    } catch (err) {
      this.throwIfInterrupted();
      throw err;
    } finally {
      this.storing = false;
    }
  }

  private throwIfInterrupted(): void {
    if (this.interrupted) {
      throw new LoupeError('interrupted; the database was not changed', ExitCode.interrupted,
        'run the same command again to resume: the experiments already finished are kept');
    }
  }

  /**
   * Keeps the scratch folder after close(), which names it: a failed analysis's messages point
   * at the replicas' logs in it (explore's "logs of this analysis are kept in ...").
   */
  keepWorkDir(): void {
    this.keep = true;
  }

  async close(): Promise<void> {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
    await this.stopping;
    await Promise.all([...this.running].map((r) => r.stop()));
    await this.groups.killAll();
    if (this.keep) process.stderr.write(`loupe: the replicas' logs are kept in ${this.workDir} (delete it when done)\n`);
    else rmSync(this.workDir, { recursive: true, force: true });
  }
}
