import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { GroupProcess, ProcessGroups } from '../sandbox/process.js';

/**
 * Which syscalls each run executed, recorded in the kernel without a tracer.
 *
 * One helper process per analysis (src/trace/syscall-counter.c, built to
 * dist/bin/loupe-syscall-counter) loads an eBPF program on the raw tracepoint `sys_enter` that
 * records each (cgroup v2 id, syscall number) pair once. Each run gets a cgroup of its own under
 * a session cgroup, in which its sandbox starts (loupe-isolate --cgroup: no process moves); the
 * launcher marks the moment it hands over to the application (a marker syscall just before it
 * installs the seccomp filter, src/sandbox/launcher.c), so the record holds the application's
 * syscalls (and the launcher's `seccomp` and `execve`), not bwrap's, and not the test script's.
 *
 * Why this and not a second run under strace: no extra run, and no ptrace in the judged run; the
 * application is never stopped, each syscall costs a few map lookups in the kernel.
 *
 * sys_enter fires after seccomp (kernel/entry/common.c, syscall_trace_enter: ptrace, then
 * seccomp, then the tracepoint), so a call the filter stubs or fakes is not recorded: the
 * record is what the OS really had to execute.
 *
 * Needs root (CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN as in generate's containers) and a
 * cgroup v2 hierarchy (mounted by ownCgroup2Dir where there is none). Where that fails,
 * `SyscallCounter.start` says why and nothing is recorded.
 */

/** Longest wait for the helper to load its program. */
const START_TIMEOUT_MS = 10_000;

export interface CountedRun {
  /** The run cgroup's folder (the sandbox starts there; with --only-consider, each launched process joins its cgroup.procs). */
  dir: string;
  /** The cgroup's id (its inode number), as bpf_get_current_cgroup_id reports it. */
  id: string;
}

export class SyscallCounter {
  private next = 0;
  private readonly runDirs = new Set<string>();
  private stdout = '';
  /** Answers still to come from the helper, in the order asked (it answers one line at a time). */
  private readonly waiting: ((lines: string | undefined) => void)[] = [];
  private ended = false;

  private constructor(
    private readonly proc: GroupProcess,
    private readonly sessionDir: string,
  ) {
    proc.child.stdout?.on('data', (chunk: Buffer) => {
      this.stdout += chunk.toString();
      for (let end = this.stdout.indexOf('end\n'); end >= 0 && this.waiting.length > 0; end = this.stdout.indexOf('end\n')) {
        const answer = this.stdout.slice(0, end);
        this.stdout = this.stdout.slice(end + 4);
        this.waiting.shift()!(answer);
      }
    });
    // A helper that died answers nothing (see exited below); its closed pipe is no error of ours.
    proc.child.stdin?.on('error', () => undefined);
    void proc.exited.then(() => {
      this.ended = true;
      for (const resolve of this.waiting.splice(0)) resolve(undefined);
    });
  }

  /** A fresh cgroup for one run. */
  newRun(): CountedRun {
    const dir = join(this.sessionDir, String(this.next++));
    mkdirSync(dir);
    this.runDirs.add(dir);
    return { dir, id: String(statSync(dir, { bigint: true }).ino) };
  }

  /**
   * Once a run has ended (every process of its sandbox reaped): the syscall numbers its
   * application executed, which the helper then forgets; and the run's cgroup is removed.
   * Empty when nothing was recorded (the run never reached its launcher's marker); undefined
   * when the helper has died.
   */
  async take(run: CountedRun): Promise<Set<number> | undefined> {
    const answer = new Promise<string | undefined>((resolve) => (this.ended ? resolve(undefined) : this.waiting.push(resolve)));
    if (!this.ended) this.proc.child.stdin?.write(`${run.id}\n`);
    const lines = await answer;
    try {
      rmdirSync(run.dir);
      this.runDirs.delete(run.dir);
    } catch {
      // Still holding a process: removed with the session, or swept by the next analysis.
    }
    return lines === undefined ? undefined : parseTaken(lines);
  }

  /** Stops recording and removes the cgroups (those still holding a process stay, and are named in `leftover`). */
  async finish(): Promise<{ leftover: string[] }> {
    this.proc.child.stdin?.end();
    await this.proc.exited;
    return { leftover: this.removeCgroups() };
  }

  /** Stops recording without reading (error paths). */
  async abandon(): Promise<void> {
    await this.proc.kill();
    this.removeCgroups();
  }

  private removeCgroups(): string[] {
    const leftover: string[] = [];
    for (const dir of [...this.runDirs, this.sessionDir]) {
      this.runDirs.delete(dir);
      try {
        rmdirSync(dir);
      } catch {
        leftover.push(dir);
      }
    }
    return leftover;
  }

  /**
   * Starts the helper `helper` (dist/bin/loupe-syscall-counter), its errors going to `logFile`.
   * Resolves to the reason when this machine cannot record (no cgroup v2, not root, a kernel
   * without BPF): the analysis then goes on without fallbacks.
   */
  static async start(groups: ProcessGroups, helper: string, logFile: string): Promise<SyscallCounter | { unavailable: string }> {
    const root = ownCgroup2Dir();
    if (typeof root !== 'string') return root;
    removeStaleSessions(root);
    const sessionDir = join(root, `loupe-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      mkdirSync(sessionDir);
    } catch (err) {
      return { unavailable: `cannot create a cgroup under ${root}: ${(err as Error).message}` };
    }
    // Run cgroups are created after the session's, so their ids are larger (kernfs ids grow).
    const sessionId = String(statSync(sessionDir, { bigint: true }).ino);
    const log = openSync(logFile, 'a');
    const proc = groups.start({ argv: [helper, sessionId], stdio: ['pipe', 'pipe', log] });
    closeSync(log);
    const counter = new SyscallCounter(proc, sessionDir);
    const ready = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), START_TIMEOUT_MS);
      const check = (): void => {
        if (counter.stdout.startsWith('ready\n')) {
          clearTimeout(timer);
          resolve(true);
        }
      };
      proc.child.stdout?.on('data', check);
      void proc.exited.then(() => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    if (ready) return counter;
    await counter.abandon();
    let why = proc.spawnError?.message ?? '';
    try {
      why ||= readFileSync(logFile, 'utf8').trim().split('\n').slice(-2).join(' / ');
    } catch {
      // No log: the helper never started.
    }
    return { unavailable: `the syscall recorder did not start (needs root and a kernel with BPF)${why ? `: ${why}` : ''}` };
  }
}

/**
 * Removes the empty cgroups an analysis killed outright (SIGKILL) left behind: session folders
 * `loupe-<pid>-<hex>` whose process is gone. Best effort: a cgroup still holding a process stays.
 */
function removeStaleSessions(root: string): void {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return;
  }
  for (const name of names) {
    const match = /^loupe-(\d+)-[0-9a-f]+$/.exec(name);
    if (!match || processExists(Number(match[1]))) continue;
    const session = join(root, name);
    try {
      for (const run of readdirSync(session, { withFileTypes: true })) if (run.isDirectory()) rmdirSync(join(session, run.name));
      rmdirSync(session);
    } catch {
      // Still in use, or removed by another analysis meanwhile.
    }
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The cgroup v2 folder of this process, under which the sessions go: `/sys/fs/cgroup/unified/`
 * on this project's hybrid hosts (loupe runs in the root cgroup there), `.../docker/<id>` in a
 * container (so that the host's analyses never sweep a container's sessions). Where no cgroup2
 * hierarchy is mounted writable (Docker on a cgroup v1 host shows none; on a cgroup v2 host, a
 * read-only one), mounts one at `<tmpdir>/loupe-cgroup2` (needs CAP_SYS_ADMIN, which generate's
 * containers have; left mounted for later analyses).
 * Returns why not when neither works.
 */
function ownCgroup2Dir(): string | { unavailable: string } {
  let mount = cgroup2Mount();
  if (mount === undefined) {
    const dir = join(tmpdir(), 'loupe-cgroup2');
    mkdirSync(dir, { recursive: true });
    const r = spawnSync('mount', ['-t', 'cgroup2', 'cgroup2', dir], { encoding: 'utf8' });
    mount = cgroup2Mount();
    if (mount === undefined) return { unavailable: `no writable cgroup v2 hierarchy is mounted, and mounting one failed: ${(r.stderr || r.error?.message || '').trim()}` };
  }
  let own: string | undefined;
  try {
    own = /^0::(\/.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1];
  } catch {
    // No /proc/self/cgroup: the hierarchy's root it is.
  }
  // The mount shows the hierarchy from its root field down; own is relative to the cgroup namespace's root.
  if (own === undefined || !(own === mount.root || own.startsWith(mount.root === '/' ? '/' : `${mount.root}/`))) return mount.point;
  const dir = join(mount.point, own.slice(mount.root === '/' ? 0 : mount.root.length));
  return existsSync(dir) ? dir : mount.point;
}

/** The first writable cgroup2 mount of this mount namespace: where it is, and which folder of the hierarchy it shows. */
function cgroup2Mount(): { point: string; root: string } | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const [before, after] = line.split(' - ');
    const fields = before!.split(' ');
    if (after?.split(' ')[0] === 'cgroup2' && fields[5]?.split(',').includes('rw')) return { point: fields[4]!, root: fields[3]! };
  }
  return undefined;
}

/** Parses the helper's answer about one run: one syscall number per line (others are ignored). Pure. */
export function parseTaken(text: string): Set<number> {
  return new Set([...text.matchAll(/^(\d+)$/gm)].map((m) => Number(m[1])));
}
