import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';

/**
 * Every process loupe starts runs in a process group of its own (spawned detached), is
 * registered with a ProcessGroups set owned by the caller, and is killed as a group and
 * reaped. Nothing is ever killed by name.
 */

export interface ProcessSpec {
  argv: readonly string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  stdio?: StdioOptions;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** How long a stopped run may take to end on SIGTERM before it is killed (SIGKILL). */
export const STOP_GRACE_MS = 1000;

export class ProcessGroups {
  private readonly live = new Set<GroupProcess>();
  private stopped = false;

  /** Starts a process in a group of its own; refused once the set is stopped, so nothing outlives a stop. */
  start(spec: ProcessSpec): GroupProcess {
    if (this.stopped) throw new Error('the process set was stopped (interrupted); no new process is started');
    const proc = new GroupProcess(spec, this);
    this.live.add(proc);
    return proc;
  }

  /** @internal called when a group leader has exited and its group has been killed. */
  forget(proc: GroupProcess): void {
    this.live.delete(proc);
  }

  get size(): number {
    return this.live.size;
  }

  /** Kills every live group (Ctrl-C, fatal error) and waits until all are reaped. */
  async killAll(): Promise<void> {
    await Promise.all([...this.live].map((p) => p.kill()));
  }

  /**
   * Stops everything at once and for good (Ctrl-C, an internal error): SIGTERM to every live
   * group, SIGKILL to what is still there after `graceMs`, all reaped before it resolves; no
   * process is started afterwards.
   */
  async stopAll(graceMs = STOP_GRACE_MS): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.live].map((p) => p.stop(graceMs)));
  }
}

export class GroupProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<ExitStatus>;
  /** Set when the program could not be started at all (e.g. ENOENT). */
  spawnError?: Error;
  private hasExited = false;

  constructor(spec: ProcessSpec, private readonly groups: ProcessGroups) {
    const [file, ...args] = spec.argv;
    if (file === undefined) throw new Error('empty argv');
    this.child = spawn(file, args, { cwd: spec.cwd, env: spec.env, stdio: spec.stdio ?? 'ignore', detached: true });
    this.exited = new Promise<ExitStatus>((resolve) => {
      this.child.once('error', (err) => {
        this.spawnError = err;
        this.hasExited = true;
        this.groups.forget(this);
        resolve({ code: 127, signal: null });
      });
      this.child.once('exit', (code, signal) => {
        this.hasExited = true;
        // The leader is gone; anything it left in its group goes with it.
        this.signalGroup('SIGKILL');
        this.groups.forget(this);
        resolve({ code, signal });
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  private signalGroup(signal: NodeJS.Signals): void {
    if (this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, signal);
    } catch {
      // ESRCH: the group is already empty.
    }
  }

  /** SIGTERM to the whole group; SIGKILL if the leader is still there after `graceMs`. */
  async stop(graceMs: number): Promise<ExitStatus> {
    if (this.hasExited) return this.exited;
    this.signalGroup('SIGTERM');
    const status = await this.waitWithTimeout(graceMs);
    return { code: status.code, signal: status.signal };
  }

  /** SIGKILLs the whole group and waits for the leader to be reaped. */
  async kill(): Promise<ExitStatus> {
    if (!this.hasExited) this.signalGroup('SIGKILL');
    return this.exited;
  }

  /** Waits for exit up to `ms`; on time-out kills the group. `timedOut` tells which happened. */
  async waitWithTimeout(ms: number): Promise<ExitStatus & { timedOut: boolean }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), ms);
    });
    const outcome = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') return { ...(await this.kill()), timedOut: true };
    return { ...outcome, timedOut: false };
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
