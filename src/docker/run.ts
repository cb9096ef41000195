import { closeSync, openSync } from 'node:fs';
import { capture } from '../sandbox/capture.js';
import { sleep, type ExitStatus, type ProcessGroups } from '../sandbox/process.js';

export interface ContainerSpec {
  image: string;
  /** Unique container name: what `stop()` kills. */
  name: string;
  /** [host path, container path] bind mounts. */
  mounts: readonly (readonly [string, string])[];
  env: Record<string, string>;
  /** Runs this instead of the image's CMD. */
  command?: readonly string[];
  stdoutFile: string;
  stderrFile: string;
  groups: ProcessGroups;
}

export interface RunningContainer {
  exited: Promise<ExitStatus>;
  /** Kills the container (not only the docker client), waits for the client to exit and for the engine to have removed the container. */
  stop(): Promise<void>;
}

/**
 * What the analysis inside needs: bubblewrap makes mount and network namespaces and mounts /proc
 * (SYS_ADMIN, NET_ADMIN, and no masked /proc paths), strace traces (SYS_PTRACE), and the seccomp
 * filters of the experiments must not meet Docker's own profile. Not `--privileged`: it asks for
 * every capability, which fails where the engine itself runs with a reduced bounding set.
 */
const ANALYSIS_PRIVILEGES = [
  '--cap-add', 'SYS_ADMIN', '--cap-add', 'NET_ADMIN', '--cap-add', 'SYS_PTRACE',
  '--security-opt', 'seccomp=unconfined', '--security-opt', 'apparmor=unconfined', '--security-opt', 'systempaths=unconfined',
];

/**
 * Runs an analysis container with its image's CMD (or `command`), on the host network like the builds. `--rm`
 * removes it when it ends; `stop()` covers Ctrl-C, since killing the docker client alone would
 * leave the container running.
 */
export function runContainer(spec: ContainerSpec): RunningContainer {
  const argv = ['docker', 'run', '--rm', '--name', spec.name, ...ANALYSIS_PRIVILEGES, '--network=host'];
  for (const [host, inside] of spec.mounts) argv.push('-v', `${host}:${inside}`);
  for (const [name, value] of Object.entries(spec.env)) argv.push('-e', `${name}=${value}`);
  argv.push(spec.image, ...(spec.command ?? []));
  const stdout = openSync(spec.stdoutFile, 'w');
  const stderr = openSync(spec.stderrFile, 'w');
  const proc = spec.groups.start({ argv, stdio: ['ignore', stdout, stderr] });
  closeSync(stdout);
  closeSync(stderr);
  return {
    exited: proc.exited,
    async stop() {
      await capture(['docker', 'kill', spec.name], { timeoutMs: 30_000 });
      await proc.kill();
      await removed(spec.name);
    },
  };
}

/** Longest wait for the engine to remove a killed `--rm` container (vfs deletes a whole copy of the image's files). */
const REMOVAL_TIMEOUT_MS = 300_000;

/** Resolves once the engine no longer knows container `name` (`--rm` removes it after it stops), or after REMOVAL_TIMEOUT_MS. */
async function removed(name: string): Promise<void> {
  const until = Date.now() + REMOVAL_TIMEOUT_MS;
  while (Date.now() < until) {
    const inspected = await capture(['docker', 'container', 'inspect', '--format', '{{.State.Status}}', name], { timeoutMs: 30_000 });
    if (inspected.code !== 0) return;
    await sleep(250);
  }
}
