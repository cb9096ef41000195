import { statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { ExitCode, LoupeError } from '../core/errors.js';
import { capture } from '../sandbox/capture.js';
import type { Discovery } from '../trace/discovery.js';

/**
 * Set-user-ID, set-group-ID and file-capability executables. Every process of a run has
 * no_new_privs set (bubblewrap sets it, and installing a seccomp filter needs it), and under
 * no_new_privs execve ignores those bits and capabilities (Linux
 * Documentation/userspace-api/no_new_privs.rst). Such a program would run with other
 * credentials than it has outside the analysis, so its verdicts would describe another program.
 *
 * The bits are only reported where they would change something: a set-user-ID file owned by
 * the user running loupe, or file capabilities for root (who holds every capability already),
 * run the same with or without no_new_privs.
 */

const S_ISUID = 0o4000;
const S_ISGID = 0o2000;

export interface ExecutableCredentials {
  path: string;
  mode: number;
  uid: number;
  gid: number;
  /** `getcap`'s text of the file's capabilities (`cap_net_raw=ep`); absent when it has none or was not asked. */
  capabilities?: string;
}

/** A set-user-ID, set-group-ID or file-capability executable whose bit no_new_privs makes ineffective. */
export class PrivilegedExecutableError extends LoupeError {
  constructor(message: string, hint: string) {
    super(message, ExitCode.badInput, hint);
    this.name = 'PrivilegedExecutableError';
  }
}

/**
 * What the file's bits would give a process run by (euid, egid) that no_new_privs withholds,
 * in words (`is set-user-ID: it would run as uid 65534, not 0`), or [] when they would change
 * nothing. Pure.
 */
export function ineffectivePrivileges(file: ExecutableCredentials, euid: number, egid: number): string[] {
  const lost: string[] = [];
  if ((file.mode & S_ISUID) !== 0 && file.uid !== euid) lost.push(`is set-user-ID: it would run as uid ${file.uid}, not ${euid}`);
  if ((file.mode & S_ISGID) !== 0 && file.gid !== egid) lost.push(`is set-group-ID: it would run as gid ${file.gid}, not ${egid}`);
  if (file.capabilities !== undefined && euid !== 0) lost.push(`has file capabilities ${file.capabilities}: the process would get them`);
  return lost;
}

/** The error for `file` (pure): why the analysis would be wrong, and the ways out. */
export function privilegedExecutableError(file: ExecutableCredentials, lost: readonly string[], where: string): PrivilegedExecutableError {
  const setuid = (file.mode & S_ISUID) !== 0;
  const setpriv = [setuid ? `--euid=${file.uid}` : '', (file.mode & S_ISGID) !== 0 ? `--egid=${file.gid}` : ''].filter(Boolean).join(' ');
  return new PrivilegedExecutableError(
    `${file.path} (${where}) ${lost.join('; and ')}. ` +
      'Every run of the analysis sets no_new_privs (seccomp filters need it), which makes execve ignore these bits, ' +
      'so the program would run with other credentials than it really has, and its verdicts would describe another program',
    setpriv
      ? `analyse a copy without the bits (install -m 0755 ${file.path} COPY), started with the credentials they would give: ` +
          `-b setpriv --only-consider COPY -- ${setpriv} COPY ARGS...; or -b COPY if the program does not rely on them`
      : `run loupe as root, whose processes hold every capability already; or analyse a copy without them (install -m 0755 ${file.path} COPY) if the program does not rely on them`,
  );
}

async function credentialsOf(path: string, euid: number): Promise<ExecutableCredentials | undefined> {
  let st;
  try {
    st = statSync(path);
  } catch {
    return undefined; // gone (a temporary file the workload ran) or inside the sandbox only: nothing to judge
  }
  if (!st.isFile()) return undefined;
  const file: ExecutableCredentials = { path, mode: st.mode, uid: st.uid, gid: st.gid };
  // Capabilities matter only to a process that lacks them; root holds them all.
  if (euid !== 0) {
    const got = await capture(['getcap', path]);
    if (got.code === 127) {
      throw new LoupeError('getcap is missing: cannot tell whether the workload runs file-capability executables', ExitCode.environment, 'apt-get install libcap2-bin');
    }
    const caps = got.stdout.trim().slice(path.length).trim();
    if (caps !== '') file.capabilities = caps;
  }
  return file;
}

/**
 * Throws PrivilegedExecutableError for the first of `paths` whose set-user-ID, set-group-ID
 * bit or file capabilities no_new_privs would make ineffective; `where` says how it came to be
 * checked (`the analysed binary`, `executed by the workload`). Relative paths are taken from `cwd`.
 */
export async function checkNoPrivilegeLoss(paths: readonly string[], cwd: string, where: string): Promise<void> {
  const euid = process.geteuid?.() ?? 0;
  const egid = process.getegid?.() ?? 0;
  for (const path of new Set(paths.map((p) => (isAbsolute(p) ? p : resolve(cwd, p))))) {
    const file = await credentialsOf(path, euid);
    if (!file) continue;
    const lost = ineffectivePrivileges(file, euid, egid);
    if (lost.length > 0) throw privilegedExecutableError(file, lost, where);
  }
}

/** Every program the traced run executed (paths as passed to execve), in order of first execution. */
export function executablesSeen(trace: Discovery): string[] {
  return [...new Set(trace.processes.flatMap((p) => p.executables))];
}
