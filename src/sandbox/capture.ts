import { ProcessGroups } from './process.js';

/** The outcome of a short command whose output is wanted as text. */
export interface Captured {
  /** Exit status; 127 when the program could not be started. */
  code: number;
  stdout: string;
  stderr: string;
}

export interface CaptureOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Bytes written to the command's stdin. */
  input?: string | Uint8Array;
  timeoutMs?: number;
  /** Group set to register with, so that Ctrl-C kills the command too; a private one otherwise. */
  groups?: ProcessGroups;
}

/** Runs a short command in its own process group and collects its output. */
export async function capture(argv: readonly string[], options: CaptureOptions = {}): Promise<Captured> {
  const groups = options.groups ?? new ProcessGroups();
  const proc = groups.start({ argv, cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  proc.child.stdout?.on('data', (b: Buffer) => stdout.push(b));
  proc.child.stderr?.on('data', (b: Buffer) => stderr.push(b));
  proc.child.stdin?.on('error', () => { /* the command may exit without reading its input */ });
  proc.child.stdin?.end(options.input ?? '');
  const status = options.timeoutMs === undefined ? await proc.exited : await proc.waitWithTimeout(options.timeoutMs);
  await Promise.all([streamClosed(proc.child.stdout), streamClosed(proc.child.stderr)]);
  return {
    code: status.code ?? 128,
    stdout: Buffer.concat(stdout).toString('utf8'),
    stderr: proc.spawnError ? proc.spawnError.message : Buffer.concat(stderr).toString('utf8'),
  };
}

function streamClosed(stream: NodeJS.ReadableStream | null): Promise<void> {
  if (stream === null) return Promise.resolve();
  return new Promise((resolve) => {
    if ((stream as { closed?: boolean }).closed) resolve();
    else stream.once('close', () => resolve());
  });
}
