import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { sleep } from './process.js';
import { descendantsOf, treeCpuMs } from './cpu-time.js';

/**
 * Resource use of one sandboxed run, over its whole process tree (every process of the run's
 * PID namespace), measured from the host:
 * - memory and CPU from a cgroup of the run's own when this machine lets us make one (cgroup v1
 *   `memory` and `cpuacct` controllers under /sys/fs/cgroup/<controller>); the run joins it
 *   before bwrap starts, so every process it forks is accounted, daemons included. Memory is
 *   the resident part of the cgroup's charge, `rss + mapped_file` of memory.stat (anonymous
 *   pages and file pages mapped by the processes, each page once however many processes share
 *   it), sampled: not `max_usage_in_bytes`, which also counts page cache, so that a server
 *   writing an access log would look as if its memory grew with every request;
 * - otherwise by sampling /proc (sum of VmRSS; the tree's CPU time by cpu-time.ts, whose
 *   cumulative times keep what reaped children used), said so in `memorySource` / `cpuSource`;
 * - open descriptors always by sampling /proc/PID/fd of the application's processes (those below
 *   the namespace's first process, bwrap), every SAMPLE_INTERVAL_MS and once more when the run
 *   ends: the peak of their sum.
 */

export type MemorySource = 'cgroup-v1' | 'sampled-rss';
export type CpuSource = 'cgroup-v1' | 'sampled';

export interface RunResources {
  /** Highest sum of open descriptors over the run's processes at any sample. */
  peakFds: number;
  /** Highest sampled resident memory of the run's cgroup (rss + mapped_file), or sum of VmRSS without cgroups. Bytes. */
  peakMemoryBytes: number;
  /** CPU time, user plus system, of the whole tree. Milliseconds. */
  cpuMs: number;
  memorySource: MemorySource;
  cpuSource: CpuSource;
  samples: number;
}

export const SAMPLE_INTERVAL_MS = 50;
const CGROUP_V1_ROOT = '/sys/fs/cgroup';

/** Why no cgroup could be made (shown once to the user); undefined when cgroups work. */
export function cgroupProblem(): string | undefined {
  for (const controller of ['memory', 'cpuacct']) {
    if (!existsSync(join(CGROUP_V1_ROOT, controller, 'cgroup.procs'))) {
      return `no cgroup v1 ${controller} controller at ${join(CGROUP_V1_ROOT, controller)}`;
    }
  }
  const probe = join(CGROUP_V1_ROOT, 'memory', `loupe-probe-${process.pid}`);
  try {
    mkdirSync(probe);
    rmdirSync(probe);
    return undefined;
  } catch (err) {
    return `cannot create a cgroup under ${join(CGROUP_V1_ROOT, 'memory')}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`;
  }
}

/**
 * Measures one run. Create it before the run, put `joinPrefix` before the sandbox's command
 * line, call `started` with the host PID of the run's first namespaced process, `stopping`
 * before the run is killed, and `finish` after the run has been reaped.
 */
export class ResourceMeter {
  private readonly cgroupDirs: string[];
  private timer: NodeJS.Timeout | undefined;
  private namespace: string | undefined;
  private peakFds = 0;
  private peakRss = 0;
  private samples = 0;
  private namespacePid: number | undefined;
  /** Highest CPU time of the tree seen (fallback without cgroups), ms. */
  private sampledCpuMs = 0;

  /** @param name unique per run; @param useCgroups false when cgroupProblem() said no. */
  constructor(name: string, readonly useCgroups: boolean) {
    this.cgroupDirs = useCgroups ? ['memory', 'cpuacct'].map((c) => join(CGROUP_V1_ROOT, c, `loupe-${process.pid}-${name}`)) : [];
    for (const dir of this.cgroupDirs) mkdirSync(dir, { recursive: true });
  }

  /** Host command prefix that moves the run into its cgroups, then executes the rest of the line. */
  get joinPrefix(): string[] {
    if (this.cgroupDirs.length === 0) return [];
    const writes = this.cgroupDirs.map((d) => `echo $$ > '${d}/cgroup.procs'`).join(' && ');
    return ['sh', '-c', `${writes} && exec "$@"`, 'loupe-cgroup-join'];
  }

  started(namespacePid: number | undefined): void {
    if (namespacePid === undefined) return;
    this.namespacePid = namespacePid;
    try {
      this.namespace = readlinkSync(`/proc/${namespacePid}/ns/pid`);
    } catch {
      return;
    }
    this.sample();
    this.timer = setInterval(() => this.sample(), SAMPLE_INTERVAL_MS);
  }

  stopping(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    if (this.namespace !== undefined) this.sample();
  }

  /** What finish() measured; undefined before. */
  resources: RunResources | undefined;
  /** Settles once finish() has removed the run's cgroups. */
  removed: Promise<void> = Promise.resolve();

  /**
   * Reads the cgroup's figures (after the run has been reaped) and starts removing the cgroups:
   * the kernel may take a few milliseconds to release them, which `removed` waits for, so the
   * next run need not. The figures are also kept in `resources`.
   */
  async finish(): Promise<RunResources> {
    this.stopping();
    let cpu: number | undefined;
    if (this.cgroupDirs.length === 2) {
      const ns = readNumber(join(this.cgroupDirs[1]!, 'cpuacct.usage'));
      cpu = ns === undefined ? undefined : ns / 1e6;
      this.removed = removeCgroups(this.cgroupDirs);
    }
    this.resources = {
      peakFds: this.peakFds,
      peakMemoryBytes: this.peakRss,
      cpuMs: cpu ?? this.sampledCpuMs,
      memorySource: this.cgroupDirs.length > 0 ? 'cgroup-v1' : 'sampled-rss',
      cpuSource: cpu === undefined ? 'sampled' : 'cgroup-v1',
      samples: this.samples,
    };
    return this.resources;
  }

  private sample(): void {
    let fds = 0;
    // The application's processes only: the namespace's init (bwrap) and the sandbox's processes
    // outside the namespace hold about 13 descriptors in every condition, which diluted the
    // ratios of small programs (sqlite's own 6 descriptors were counted as 17 to 20).
    for (const pid of this.namespacePid === undefined ? [] : descendantsOf(this.namespacePid)) {
      try {
        fds += readdirSync(`/proc/${pid}/fd`).length;
      } catch {
        // The process exited between listing and reading.
      }
    }
    const rss = this.cgroupDirs.length > 0 ? cgroupResidentBytes(this.cgroupDirs[0]!) : this.namespaceProcesses().reduce((sum, pid) => sum + vmRssBytes(pid), 0);
    if (this.cgroupDirs.length === 0 && this.namespacePid !== undefined) this.sampledCpuMs = Math.max(this.sampledCpuMs, treeCpuMs(this.namespacePid));
    this.samples++;
    this.peakFds = Math.max(this.peakFds, fds);
    this.peakRss = Math.max(this.peakRss, rss);
  }

  /** Host PIDs of every process in the run's PID namespace (memory without a cgroup). */
  private namespaceProcesses(): number[] {
    const pids: number[] = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (readlinkSync(`/proc/${entry}/ns/pid`) === this.namespace) pids.push(Number(entry));
      } catch {
        // Gone, or not ours to read.
      }
    }
    return pids;
  }
}

function readNumber(path: string): number | undefined {
  try {
    const n = Number(readFileSync(path, 'utf8').trim());
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

/** rss + mapped_file of a v1 memory cgroup's memory.stat, bytes (0 when unreadable). */
function cgroupResidentBytes(dir: string): number {
  try {
    const stat = readFileSync(join(dir, 'memory.stat'), 'utf8');
    const field = (name: string): number => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(stat)?.[1] ?? 0);
    return field('rss') + field('mapped_file');
  } catch {
    return 0;
  }
}

function vmRssBytes(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** A cgroup can be removed once its last process has been reaped; the kernel may lag a little. */
async function removeCgroups(dirs: readonly string[]): Promise<void> {
  for (const dir of dirs) {
    for (let tries = 0; ; tries++) {
      try {
        rmdirSync(dir);
        break;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || tries >= 50) break;
        await sleep(20);
      }
    }
  }
}
