import { mkdirSync, openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bwrapArgv, type SandboxSpec } from './bwrap.js';
import { GroupProcess, ProcessGroups } from './process.js';

/**
 * A sandboxed run of the application: bwrap in a process group of its own, the application's
 * stdout and stderr in a log file, and the PID of the namespace's first process so that the
 * test script can join the run's network namespace and readiness can be read from its /proc.
 */
export class SandboxRun {
  private constructor(
    readonly process: GroupProcess,
    /** Host PID of a process inside the run's namespaces; undefined if bwrap failed to set up. */
    readonly namespacePid: number | undefined,
    readonly logFile: string,
  ) {}

  static async start(
    groups: ProcessGroups,
    spec: Omit<SandboxSpec, 'runDir'> & { runDir: string; filter?: Buffer; logFile: string; hostPrefix?: readonly string[] },
  ): Promise<SandboxRun> {
    prepareRunDir(spec.runDir, spec.filter);
    const log = openSync(spec.logFile, 'a');
    // hostPrefix: commands run on the host that end by executing bwrap (CPU pinning, joining a cgroup).
    const proc = groups.start({ argv: [...(spec.hostPrefix ?? []), ...bwrapArgv(spec)], cwd: spec.cwd, stdio: ['ignore', log, log, 'pipe'] });
    closeSync(log);
    const namespacePid = await readChildPid(proc);
    return new SandboxRun(proc, namespacePid, spec.logFile);
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

  /** `nsenter` prefix that runs a command in this run's network namespace (and nothing else of it). */
  networkEntry(): string[] {
    if (this.namespacePid === undefined) return [];
    return ['nsenter', `--net=/proc/${this.namespacePid}/ns/net`, '--'];
  }
}

function prepareRunDir(runDir: string, filter: Buffer | undefined): void {
  mkdirSync(runDir, { recursive: true });
  writeFileSync(join(runDir, 'filter.bpf'), filter ?? Buffer.alloc(0));
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
