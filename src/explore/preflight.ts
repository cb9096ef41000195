import { accessSync, closeSync, constants, existsSync, mkdtempSync, openSync, readSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { findOnPath } from '../fs/executables.js';
import { DEFAULT_ISOLATION, isolateArgv } from '../sandbox/isolation.js';
import { planIsolationHere } from '../sandbox/sandbox.js';
import { ExitCode, LoupeError } from '../core/errors.js';
import { tableFor, type SyscallTable } from '../syscalls/table.js';
import { capture } from '../sandbox/capture.js';
import { ELF_IDENTITY_BYTES, ElfFormatError, readElfIdentity } from '../static/elf.js';
import type { Workload } from './experiment.js';
import { checkNoPrivilegeLoss } from './privileges.js';

/**
 * Checks made before any experiment, so that bad input fails at once with a message that
 * names the problem and the fix, and leaves nothing behind.
 */

/** Resolves `-b`: a path, or a name found on PATH like a shell would. */
export function resolveBinary(binary: string, cwd: string): string {
  const found = binary.includes('/') ? [resolve(cwd, binary)].find((p) => existsSync(p)) : findOnPath(binary);
  if (!found) {
    // A shell looks a name without a slash up on PATH only; so does -b, which surprises when the file is right here.
    const here = !binary.includes('/') && existsSync(resolve(cwd, binary));
    throw new LoupeError(
      binary.includes('/') ? `binary not found: ${binary}` : `binary "${binary}" not found on PATH`,
      ExitCode.badInput,
      here
        ? `${binary} is in this folder: give it as -b ./${binary} (a name without a slash is looked up on PATH, as a shell does)`
        : 'give the path of the application to analyse with -b (e.g. -b /usr/sbin/nginx)',
    );
  }
  // A newcomer's usual slip is `-b hello.lua`: the program to analyse is then the interpreter.
  checkExecutableFile(found, 'binary', `chmod +x ${found} if it is a program; for a script, analyse its interpreter: -b INTERPRETER -- ${binary} ARGS (e.g. -b lua5.4 -- hello.lua)`);
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

/** Longest `#!` line the kernel reads (BINPRM_BUF_SIZE), and how many interpreters it follows. */
const SHEBANG_BYTES = 256;
const MAX_INTERPRETERS = 4;

function firstBytes(path: string, length: number): Buffer {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new LoupeError(`cannot read ${path} to check what kind of program it is: ${(err as Error).message}`, ExitCode.badInput, `make it readable (chmod +r ${path}), or run loupe as a user who can read it`);
  }
  try {
    const buf = Buffer.alloc(length);
    return buf.subarray(0, readSync(fd, buf, 0, length, 0));
  } finally {
    closeSync(fd);
  }
}

/**
 * The file the kernel really runs for `path`: itself if it is an ELF file, its interpreter (as the
 * kernel follows `#!`, up to 4 deep) if it is a script. Throws LoupeError (bad input) for
 * anything that is not an x86-64 ELF program in the end, naming the architecture found: the
 * filter lets calls of any other architecture through unperturbed, so every syscall would come
 * out "can be stubbed or faked".
 */
export function checkExecutableFormat(path: string, depth = 0): string {
  const head = firstBytes(path, SHEBANG_BYTES);
  if (head.subarray(0, 2).toString('latin1') === '#!') {
    const line = head.subarray(2).toString('latin1').split('\n')[0]!.trim();
    const interpreter = line.split(/[ \t]/)[0] ?? '';
    if (interpreter === '' || depth >= MAX_INTERPRETERS || !existsSync(resolve(dirname(path), interpreter))) {
      throw new LoupeError(`${path} is a script whose interpreter cannot be run: "#!${line}"`, ExitCode.badInput, 'fix its #! line, or give the interpreter with -b and the script as its argument');
    }
    return checkExecutableFormat(resolve(dirname(path), interpreter), depth + 1);
  }
  let identity;
  try {
    identity = readElfIdentity(head.subarray(0, ELF_IDENTITY_BYTES));
  } catch (err) {
    if (!(err instanceof ElfFormatError)) throw err;
    throw new LoupeError(`${path} is not a program loupe can analyse (${err.message}, and no #! line)`, ExitCode.badInput, 'give with -b an x86-64 ELF executable, or a script that starts with #!');
  }
  if (!identity.x86_64) {
    throw new LoupeError(
      `${path} is a program for ${identity.architecture}, not x86-64: its system calls would pass the seccomp filter unperturbed, so no verdict would mean anything`,
      ExitCode.badInput,
      'analyse the x86-64 (amd64) build of the program (Debian: apt-get install PACKAGE:amd64, or rebuild it without -m32)',
    );
  }
  return path;
}

/**
 * Checks on the analysed binary (`--only-consider`, else `-b`) before any run: an x86-64
 * program (checkExecutableFormat), and no set-user-ID, set-group-ID or file-capability bit that
 * no_new_privs would make ineffective (privileges.ts). Throws LoupeError.
 */
export async function checkAnalysedBinary(workload: Workload): Promise<void> {
  const analysed = workload.onlyConsider ?? workload.program;
  const runs = checkExecutableFormat(analysed);
  await checkNoPrivilegeLoss(runs === analysed ? [analysed] : [analysed, runs], workload.cwd, 'the analysed binary');
}

/** What the command line says of a workload (the analysis options that shape it, with the program). */
export interface WorkloadFlags {
  binary: string;
  args: string[];
  testScript?: string;
  testSequential: boolean;
  timeoutSec: number;
  onlyConsider?: string;
  writable?: string[];
  keepWrites?: boolean;
}

/**
 * The workload of `explore` and `coverage`: paths resolved against `cwd` and checked (binary,
 * test script, --only-consider, --writable). A workload without a test script is sequential.
 * Throws LoupeError for a missing or non-executable file.
 */
export function resolveWorkload(o: WorkloadFlags, cwd: string): Workload {
  return {
    program: resolveBinary(o.binary, cwd),
    args: o.args,
    cwd,
    ...(o.testScript !== undefined ? { testScript: resolveTestScript(o.testScript, cwd) } : {}),
    sequential: o.testSequential || o.testScript === undefined,
    timeoutMs: Math.round(o.timeoutSec * 1000),
    ...(o.onlyConsider !== undefined ? { onlyConsider: resolveOnlyConsider(o.onlyConsider, cwd) } : {}),
    ...(o.writable !== undefined || o.keepWrites ? { filesystem: { writable: resolveWritable(o.writable ?? [], cwd), keepWrites: o.keepWrites === true } } : {}),
  };
}
