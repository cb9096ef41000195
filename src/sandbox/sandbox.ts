import { closeSync, existsSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants as osConstants } from 'node:os';
import { bwrapArgv, joinedCgroupProcs, type SandboxSpec } from './bwrap.js';
import { isolateArgv, parseMountInfo, planIsolation, type FilesystemIsolation, type IsolationPlan, type PlanInput, type WritableLayer } from './isolation.js';
import { GroupProcess, ProcessGroups, sleep, type ExitStatus } from './process.js';
import { childrenOf } from './cpu-time.js';

export interface SandboxRunSpec extends Omit<SandboxSpec, 'root'> {
  /** Path of the isolation helper binary (dist/bin/loupe-isolate). */
  isolateHelper: string;
  isolation: FilesystemIsolation;
  /** Folders whose writes must reach the host (the engine's own logs and traces). */
  passThrough: readonly string[];
  /** Encoded seccomp program (one that allows everything for a control run). */
  filter: Buffer;
  logFile: string;
  /** Where the writable layers and `writes.log` go with `isolation.keepWrites`. */
  keptLayersDir: string;
  /** Host command prefix that ends by executing the rest of the line (e.g. `taskset -c LIST`, joining a cgroup). */
  hostPrefix?: readonly string[];
  /** How long the sandbox may take to start its first process, ms; past it the run is stopped and `startTimedOut` set. Unbounded when absent. */
  startLimitMs?: number;
}

/**
 * A sandboxed run of the application: the isolation helper (its copy-on-write view of the
 * files, see isolation.ts) starts bwrap; all of it in a process group of its own, the
 * application's stdout and stderr in a log file. Keeps the PID of the namespace's first process
 * so that the test script can join the run's network namespace and readiness can be read from
 * its /proc, and the helper's, whose mount namespace holds the run's files until the run is
 * stopped.
 */
export class SandboxRun {
  private constructor(
    readonly process: GroupProcess,
    /** Host PID of a process inside the run's namespaces; undefined if bwrap failed to set up. */
    readonly namespacePid: number | undefined,
    /** Resolves when the application (bwrap) has ended, while the run's files are still held. */
    readonly appExited: Promise<ExitStatus>,
    readonly logFile: string,
    private readonly plan: IsolationPlan,
    private readonly spec: SandboxRunSpec,
    /** Whether the sandbox was stopped for not starting within `startLimitMs`. */
    readonly startTimedOut: boolean,
  ) {}

  static async start(groups: ProcessGroups, spec: SandboxRunSpec): Promise<SandboxRun> {
    prepareRunDir(spec.runDir, spec.filter, spec.recordIn === undefined ? '' : joinedCgroupProcs(spec) ?? '-');
    const stageDir = join(spec.runDir, 'stage');
    mkdirSync(stageDir, { recursive: true });
    if (spec.isolation.keepWrites) mkdirSync(spec.keptLayersDir, { recursive: true });
    const plan = planIsolationHere({ stageDir, keptLayersDir: spec.keptLayersDir, isolation: spec.isolation, passThrough: spec.passThrough });
    const startIn = spec.recordIn !== undefined && joinedCgroupProcs(spec) === undefined ? spec.recordIn : undefined;
    const argv = isolateArgv(spec.isolateHelper, plan, bwrapArgv({ ...spec, root: plan.root }), startIn);
    const log = openSync(spec.logFile, 'a');
    // hostPrefix: commands run on the host that end by executing the rest (CPU pinning, joining a cgroup).
    const proc = groups.start({ argv: [...(spec.hostPrefix ?? []), ...argv], cwd: spec.cwd, stdio: ['ignore', log, log, 'pipe', 'pipe'] });
    closeSync(log);
    // Both pipes are read from the start: once the helper has exited, Node flushes a pipe nobody
    // reads and its 'end' is gone, so a reader attached later would wait forever.
    const appStatus = readAppStatus(proc);
    let startTimedOut = false;
    const startTimer = spec.startLimitMs === undefined ? undefined : setTimeout(() => {
      startTimedOut = true;
      void proc.kill();
    }, spec.startLimitMs);
    const namespacePid = await readChildPid(proc);
    clearTimeout(startTimer);
    const run = new SandboxRun(proc, namespacePid, appStatus, spec.logFile, plan, spec, startTimedOut && namespacePid === undefined);
    void run.appExited.then((status) => (run.appStatus = status));
    return run;
  }

  /** How the application ended, once it has (its namespaces are then gone). */
  appStatus: ExitStatus | undefined;

  /** Waits for the application to end, up to `ms`; on time-out stops the whole run. */
  async waitForApp(ms: number): Promise<ExitStatus & { timedOut: boolean }> {
    return this.process.killUnlessDone(this.appExited, ms);
  }

  /**
   * Ends the run gracefully: SIGTERM to the processes the sandbox's init started (the
   * application; its own children are its business), a wait of up to `graceMs` for it to end,
   * then stop(). Programs that write data at exit (gcov's .gcda files) need this instead of
   * stop(). Tells how the application ended: it had already exited, it exited after SIGTERM,
   * or it had to be killed.
   */
  async terminate(graceMs: number): Promise<'exited' | 'terminated' | 'killed'> {
    let ended: 'exited' | 'terminated' | 'killed' = 'killed';
    if (this.namespacePid !== undefined) {
      const already = await Promise.race([this.appExited.then(() => true), sleep(0).then(() => false)]);
      if (already) ended = 'exited';
      else {
        for (const pid of childrenOf(this.namespacePid)) {
          try {
            process.kill(pid, 'SIGTERM');
          } catch {
            // Exited meanwhile.
          }
        }
        ended = (await this.waitForApp(graceMs)).timedOut ? 'killed' : 'terminated';
      }
    }
    await this.stop();
    return ended;
  }

  /** Listening TCP/TCP6 sockets and listening unix sockets in the run's network namespace. */
  listeningSockets(): number {
    if (this.namespacePid === undefined) return 0;
    let count = 0;
    for (const table of ['tcp', 'tcp6']) {
      count += readProcLines(this.namespacePid, table).filter((fields) => fields[3] === '0A').length;
    }
    // unix: "Num RefCount Protocol Flags Type St Inode Path"; flag __SO_ACCEPTCON marks listeners.
    count += readProcLines(this.namespacePid, 'unix').filter((fields) => fields[3] === '00010000').length;
    return count;
  }

  /**
   * Prefix that runs a command (the test script) in this run's view of the files, in `cwd` there,
   * and (while the application runs) in its network namespace; never under its seccomp filter
   * nor in its PID namespace (`loupe-isolate --enter`, see isolate.c). Empty if the sandbox did
   * not start.
   */
  testEntry(cwd: string, network: boolean): string[] {
    const helper = this.process.pid;
    if (this.namespacePid === undefined || helper === undefined) return [];
    const root = `/proc/${helper}/root${this.plan.root}`;
    return [
      this.spec.isolateHelper,
      '--enter',
      `/proc/${helper}/ns/mnt`,
      network ? `/proc/${this.namespacePid}/ns/net` : '-',
      root,
      `${root}${cwd === '/' ? '' : cwd}`,
      '--',
    ];
  }

  /**
   * Stops every process of the run and releases its files: the kill is sent at once, the reaping
   * is left to the process set (it is awaited by ProcessGroups.stopAll, and before loupe exits),
   * so the next run need not wait for the kernel to tear the namespaces down. With `keepWrites`,
   * waits, then lists what the run changed in `writes.log` beside the kept layers: `A` added,
   * `M` modified, `D` deleted.
   */
  async stop(): Promise<void> {
    const killed = this.process.kill();
    if (!this.spec.isolation.keepWrites) return;
    await killed;
    const lines = this.plan.layers.flatMap((layer) => changedFiles(layer));
    writeFileSync(join(this.spec.keptLayersDir, 'writes.log'), lines.map((l) => `${l}\n`).join(''));
    writeFileSync(join(this.spec.keptLayersDir, KEPT_LAYERS_FILE), `${JSON.stringify(this.plan.layers)}\n`);
  }
}

/** With `keepWrites`, the kept layers' list (WritableLayer[]) beside writes.log: which mount each upper folder covers. */
export const KEPT_LAYERS_FILE = 'layers.json';

/**
 * The writable layers a stopped run with `keepWrites` kept in `keptLayersDir`: a file the run
 * wrote at PATH on a mount M is `upper/relative(M, PATH)` of M's layer. Empty when none were kept.
 */
export function readKeptLayers(keptLayersDir: string): WritableLayer[] {
  const path = join(keptLayersDir, KEPT_LAYERS_FILE);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as WritableLayer[]) : [];
}

/** The isolation plan for this machine's mounts as they are now (see planIsolation). */
export function planIsolationHere(input: Omit<PlanInput, 'mounts' | 'mountKind'>): IsolationPlan {
  return planIsolation({
    ...input,
    mounts: parseMountInfo(readFileSync('/proc/self/mountinfo', 'utf8')),
    mountKind: (path) => {
      try {
        return statSync(path).isDirectory() ? 'directory' : 'file';
      } catch {
        return 'gone';
      }
    },
  });
}

/** Changes recorded in one writable layer; overlayfs marks a deleted file with a 0/0 character device. */
function changedFiles(layer: WritableLayer): string[] {
  const lines: string[] = [];
  const walk = (relative: string): void => {
    let names: string[];
    try {
      names = readdirSync(join(layer.upper, relative)).sort();
    } catch {
      return;
    }
    for (const name of names) {
      const rel = join(relative, name);
      const hostPath = join(layer.mountPoint, rel);
      const st = lstatSync(join(layer.upper, rel));
      if (st.isCharacterDevice() && st.rdev === 0) lines.push(`D ${hostPath}`);
      else if (st.isDirectory()) {
        if (!existsSync(hostPath)) lines.push(`A ${hostPath}/`);
        walk(rel);
      } else lines.push(`${existsSync(hostPath) ? 'M' : 'A'} ${hostPath}`);
    }
  };
  walk('');
  return lines;
}

/** The helper writes `exit N` or `signal N` on fd 4 when the application ends. */
function readAppStatus(proc: GroupProcess): Promise<ExitStatus> {
  const stream = proc.child.stdio[4];
  return new Promise((resolve) => {
    let text = '';
    const finish = (): void => {
      const match = /^(exit|signal) (\d+)/.exec(text);
      if (match) resolve(match[1] === 'exit' ? { code: Number(match[2]), signal: null } : { code: null, signal: signalName(Number(match[2])) });
      else void proc.exited.then(resolve);
    };
    if (!stream) return finish();
    stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
    stream.once('end', finish);
    stream.once('error', finish);
  });
}

function signalName(n: number): NodeJS.Signals {
  const entry = Object.entries(osConstants.signals).find(([, v]) => v === n);
  return (entry?.[0] ?? 'SIGKILL') as NodeJS.Signals;
}

/** `recording`: '' (not recorded), '-' (the sandbox runs in the run's cgroup) or the cgroup.procs file the launcher joins. */
function prepareRunDir(runDir: string, filter: Buffer, recording: string): void {
  mkdirSync(runDir, { recursive: true });
  writeFileSync(join(runDir, 'filter.bpf'), filter);
  // Read by the launcher (src/sandbox/launcher.c) before it makes its marker syscall.
  writeFileSync(join(runDir, 'cgroup'), recording);
  // Mount points for the bound binary and the source of empty pseudo-files.
  writeFileSync(join(runDir, 'target'), '');
  writeFileSync(join(runDir, 'empty'), '');
}

/** bwrap writes `{"child-pid": N, ...}` on its info fd once the namespaces exist. */
function readChildPid(proc: GroupProcess): Promise<number | undefined> {
  const stream = proc.child.stdio[3];
  if (!stream) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    let text = '';
    const finish = (): void => {
      const match = /"child-pid"\s*:\s*(\d+)/.exec(text);
      resolve(match ? Number(match[1]) : undefined);
    };
    stream.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (/"child-pid"\s*:\s*\d+[,\s}]/.test(text)) {
        stream.removeAllListeners('data');
        stream.removeAllListeners('end');
        finish();
      }
    });
    stream.once('end', finish);
    stream.once('error', finish);
  });
}

function readProcLines(pid: number, table: string): string[][] {
  try {
    return readFileSync(`/proc/${pid}/net/${table}`, 'utf8')
      .split('\n')
      .slice(1)
      .filter((l) => l.trim() !== '')
      .map((l) => l.trim().split(/\s+/));
  } catch {
    return [];
  }
}
