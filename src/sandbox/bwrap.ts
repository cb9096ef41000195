/**
 * Builds the bubblewrap command line of one sandboxed run. Pure: a description in, argv out.
 *
 * Every run gets its own network namespace (servers on a fixed port run side by side), its own
 * PID namespace (killing bwrap kills every process of the run, daemons included) and its own
 * mount namespace (a private /run; pseudo-files replaced by empty ones; the analysed binary
 * replaced by the launcher for --only-consider).
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
  /** Encoded seccomp program in runDir/filter.bpf; undefined runs the program unperturbed. */
  perturbed: boolean;
  /** Perturb only processes executing this binary (bound mode) rather than the whole tree. */
  onlyConsider?: string;
  /** Files replaced by an empty file for this run. */
  emptyFiles?: readonly string[];
  /** Command prefix run inside the sandbox before the program (e.g. strace for discovery). */
  wrapper?: readonly string[];
}

export function bwrapArgv(spec: SandboxSpec): string[] {
  const argv = [
    'bwrap',
    '--bind', '/', '/',
    '--dev-bind', '/dev', '/dev',
    '--unshare-net',
    '--unshare-pid',
    '--unshare-ipc',
    '--proc', '/proc',
    // A private /run: pid files and runtime sockets of side-by-side runs do not collide, and
    // the launcher's folder is mounted there without touching the host.
    '--tmpfs', '/run',
    '--die-with-parent',
    '--info-fd', '3',
    '--ro-bind', spec.runDir, SANDBOX_DIR,
  ];
  for (const file of spec.emptyFiles ?? []) argv.push('--ro-bind', `${spec.runDir}/empty`, file);
  let command: string[] = [spec.program, ...spec.args];
  if (spec.perturbed && spec.onlyConsider !== undefined) {
    argv.push('--ro-bind', spec.onlyConsider, `${SANDBOX_DIR}/target`, '--ro-bind', spec.launcher, spec.onlyConsider);
  } else if (spec.perturbed) {
    command = [spec.launcher, `--loupe-filter-file=${SANDBOX_DIR}/filter.bpf`, ...command];
  }
  argv.push('--chdir', spec.cwd, '--', ...(spec.wrapper ?? []), ...command);
  return argv;
}
