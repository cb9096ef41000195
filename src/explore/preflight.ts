import { accessSync, constants, existsSync, mkdtempSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { findOnPath } from '../fs/executables.js';
import { DEFAULT_ISOLATION, isolateArgv } from '../sandbox/isolation.js';
import { planIsolationHere } from '../sandbox/sandbox.js';
import { ExitCode, LoupeError } from '../core/errors.js';
import { tableFor, type SyscallTable } from '../syscalls/table.js';
import { capture } from '../sandbox/capture.js';

/**
 * Checks made before any experiment, so that bad input fails at once with a message that
 * names the problem and the fix, and leaves nothing behind.
 */

/** Resolves `-b`: a path, or a name found on PATH like a shell would. */
export function resolveBinary(binary: string, cwd: string): string {
  const found = binary.includes('/') ? [resolve(cwd, binary)].find((p) => existsSync(p)) : findOnPath(binary);
  if (!found) {
    throw new LoupeError(
      binary.includes('/') ? `binary not found: ${binary}` : `binary "${binary}" not found on PATH`,
      ExitCode.badInput,
      'give the path of the application to analyse with -b (e.g. -b /usr/sbin/nginx)',
    );
  }
  checkExecutableFile(found, 'binary', `chmod +x ${found}`);
  return found;
}

export function resolveTestScript(script: string, cwd: string): string {
  const path = isAbsolute(script) ? script : resolve(cwd, script);
  if (!existsSync(path)) throw new LoupeError(`test script not found: ${script}`, ExitCode.badInput, 'give the path of the test script with -t');
  checkExecutableFile(path, 'test script', `chmod +x ${path} (and give it a #! line)`);
  return path;
}

function checkExecutableFile(path: string, what: string, fix: string): void {
  if (!statSync(path).isFile()) throw new LoupeError(`${what} is not a file: ${path}`, ExitCode.badInput);
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new LoupeError(`${what} is not executable: ${path}`, ExitCode.badInput, fix);
  }
}

/** The real path of the binary that --only-consider names, as the kernel reports it after execve. */
export function resolveOnlyConsider(path: string, cwd: string): string {
  const abs = resolve(cwd, path);
  if (!existsSync(abs)) throw new LoupeError(`--only-consider binary not found: ${path}`, ExitCode.badInput);
  return realpathSync(abs);
}

const REQUIRED_TOOLS: readonly [string, string][] = [
  ['strace', 'strace'],
  ['bwrap', 'bubblewrap'],
];

export function checkTools(launcher: string, isolateHelper: string): void {
  const missing = REQUIRED_TOOLS.filter(([tool]) => !findOnPath(tool));
  if (missing.length > 0) {
    throw new LoupeError(
      `missing tool${missing.length > 1 ? 's' : ''}: ${missing.map(([t]) => t).join(', ')}`,
      ExitCode.environment,
      `install them: apt-get install ${missing.map(([, pkg]) => pkg).join(' ')} (or run: npm run demo, which sets everything up)`,
    );
  }
  for (const [binary, what] of [[launcher, 'seccomp launcher'], [isolateHelper, 'filesystem isolation helper']] as const) {
    if (!existsSync(binary)) throw new LoupeError(`the ${what} is not built: ${binary}`, ExitCode.environment, 'run npm run build (it needs gcc and libc6-dev)');
  }
}

export function checkArchitecture(): SyscallTable {
  const table = tableFor(process.arch);
  if (!table) {
    throw new LoupeError(`unsupported architecture: ${process.arch}`, ExitCode.environment, 'loupe explore supports x86_64 (x64) hosts only for now');
  }
  return table;
}

const PROBE_TIMEOUT_MS = 10_000;

/** --writable paths, absolute; each must exist (it is bound into every run). */
export function resolveWritable(paths: readonly string[], cwd: string): string[] {
  return paths.map((path) => {
    const abs = resolve(cwd, path);
    if (!existsSync(abs)) throw new LoupeError(`--writable path not found: ${path}`, ExitCode.badInput, 'create it first, or drop --writable');
    return realpathSync(abs);
  });
}

/**
 * Namespaces, overlayfs and seccomp need privileges: try a minimal sandbox and the run's
 * copy-on-write view of the files once, and explain a refusal.
 */
export async function checkPrivileges(isolateHelper: string): Promise<void> {
  const probe = await capture(['bwrap', '--bind', '/', '/', '--dev-bind', '/dev', '/dev', '--unshare-net', '--unshare-pid', '--proc', '/proc', '--tmpfs', '/run', '--', 'true'], { timeoutMs: PROBE_TIMEOUT_MS });
  if (probe.code !== 0) {
    throw new LoupeError(
      `cannot create namespaces with bubblewrap: ${probe.stderr.trim() || 'unknown error'}`,
      ExitCode.environment,
      'run loupe as root (or in a container started with --privileged), or enable unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1)',
    );
  }
  const stage = mkdtempSync(join(tmpdir(), 'loupe-isolation-probe-'));
  try {
    const plan = planIsolationHere({ stageDir: stage, keptLayersDir: stage, isolation: DEFAULT_ISOLATION, passThrough: [] });
    const isolated = await capture(isolateArgv(isolateHelper, plan, ['true']), { timeoutMs: PROBE_TIMEOUT_MS });
    if (isolated.code !== 0) {
      throw new LoupeError(
        `cannot give runs mount namespaces with a copy-on-write view of the files: ${isolated.stderr.trim() || `exit ${isolated.code}`}`,
        ExitCode.environment,
        'run loupe as root (in Docker: --cap-add SYS_ADMIN --security-opt apparmor=unconfined); a filesystem that overlayfs cannot layer can be opted out with --writable PATH',
      );
    }
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}
