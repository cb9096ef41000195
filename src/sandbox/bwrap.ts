/**
 * Builds the bubblewrap command line of one sandboxed run. Pure: a description in, argv out.
 *
 * Every run gets its own network namespace (servers on a fixed port run side by side), its own
 * PID namespace (killing bwrap kills every process of the run, daemons included) and its own
 * mount namespace (the run's copy-on-write view of the files, see isolation.ts; pseudo-files
 * replaced by empty ones; the analysed binary replaced by the launcher for --only-consider).
 *
 * Every run, discovery and baseline included, starts the application through the launcher with
 * a seccomp program (one that allows everything when nothing is perturbed): the control differs
 * from an experiment by the perturbed syscall only.
 */

/** Fixed folder the launcher reads in bound mode; equal to SANDBOX_DIR in launcher.c (a unit test checks). */
export const SANDBOX_DIR = '/run/loupe-sandbox';
/** Address of the launcher's exec path; equal to EXEC_PATH_ADDRESS in launcher.c (a unit test checks). */
export const LAUNCHER_EXEC_PATH_ADDRESS = 0x5ec0d0000n;

export interface SandboxSpec {
  program: string;
  args: readonly string[];
  cwd: string;
  /** Path of the launcher binary (dist/bin/loupe-launch). */
  launcher: string;
  /** A folder of this run's own, holding `filter.bpf` and an empty `target` and `empty` file. */
  runDir: string;
  /** The run's view of the files (isolation.ts), bound as the sandbox's root. */
  root: string;
  /** Perturb only processes executing this binary (bound mode) rather than the whole tree. */
  onlyConsider?: string;
  /** Files replaced by an empty file for this run. */
  emptyFiles?: readonly string[];
  /** Command prefix run inside the sandbox before the program (e.g. strace for discovery). */
  wrapper?: readonly string[];
  /** Environment variables set for the program (and its wrapper) inside the sandbox. */
  env?: Readonly<Record<string, string>>;
  /** [host file, path inside] pairs: the file seen at that path for this run (an instrumented copy of a binary). */
  replacedFiles?: readonly (readonly [string, string])[];
  /**
   * The run's cgroup folder, for runs whose syscalls are recorded (src/trace/syscall-counter.ts).
   * The sandbox starts in it (loupe-isolate --cgroup); with onlyConsider, it does not, and the
   * launcher joins the cgroup's cgroup.procs, bound writable at the same path over the read-only /sys.
   */
  recordIn?: string;
}

export function bwrapArgv(spec: SandboxSpec): string[] {
  const argv = [
    'bwrap',
    // The root carries a private /run: pid files and runtime sockets of side-by-side runs do
    // not collide, and the launcher's folder is mounted there without touching the host.
    '--dev-bind', spec.root, '/',
    '--unshare-net',
    '--unshare-pid',
    '--unshare-ipc',
    '--proc', '/proc',
    '--ro-bind', '/sys', '/sys',
    '--die-with-parent',
    '--info-fd', '3',
    '--ro-bind', spec.runDir, SANDBOX_DIR,
  ];
  const procs = joinedCgroupProcs(spec);
  if (procs !== undefined) argv.push('--bind', procs, procs);
  for (const file of spec.emptyFiles ?? []) argv.push('--ro-bind', `${spec.runDir}/empty`, file);
  // With --only-consider the launcher takes the binary's place and runs the replacement from its folder.
  const replaced = new Map((spec.replacedFiles ?? []).map(([file, path]) => [path, file]));
  for (const [path, file] of replaced) if (path !== spec.onlyConsider) argv.push('--ro-bind', file, path);
  for (const [name, value] of Object.entries(spec.env ?? {})) argv.push('--setenv', name, value);
  const command = [...(spec.wrapper ?? []), spec.program, ...spec.args];
  if (spec.onlyConsider !== undefined) {
    argv.push('--ro-bind', replaced.get(spec.onlyConsider) ?? spec.onlyConsider, `${SANDBOX_DIR}/target`, '--ro-bind', spec.launcher, spec.onlyConsider);
    argv.push('--chdir', spec.cwd, '--', ...command);
  } else {
    // The wrapper (strace) starts under the launcher, so the launcher's own calls are never traced.
    argv.push('--chdir', spec.cwd, '--', spec.launcher, `--loupe-filter-file=${SANDBOX_DIR}/filter.bpf`, ...command);
  }
  return argv;
}

/**
 * The cgroup.procs file the launcher joins, for a recorded run with onlyConsider: the test
 * driver around the analysed binary is not recorded, so only the launched processes enter the
 * run's cgroup. Otherwise undefined: the whole sandbox starts in the cgroup and nothing moves.
 */
export function joinedCgroupProcs(spec: Pick<SandboxSpec, 'recordIn' | 'onlyConsider'>): string | undefined {
  return spec.recordIn !== undefined && spec.onlyConsider !== undefined ? `${spec.recordIn}/cgroup.procs` : undefined;
}
