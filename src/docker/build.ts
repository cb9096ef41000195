import { createWriteStream } from 'node:fs';
import { ExitCode, LoupeError } from '../core/errors.js';
import type { ProcessGroups } from '../sandbox/process.js';

export interface BuildSpec {
  contextDir: string;
  /** Dockerfile path, absolute or relative to the context. */
  dockerfile: string;
  tag: string;
  buildArgs?: Record<string, string>;
  /** Labels of the image (`docker build --label`). */
  labels?: Record<string, string>;
  /** Every line of the build's output goes here. */
  logFile: string;
  groups: ProcessGroups;
  /** Called with each line of output (progress display, --verbose). */
  onLine?: (line: string) => void;
}

/**
 * Builds an image with the classic builder (its `Step N/M : ...` lines tell which step failed),
 * on the host network (so that RUN apt-get works without a bridge).
 */
export async function buildImage(spec: BuildSpec): Promise<void> {
  // --force-rm: a failed step's container is removed too, not left behind.
  const args = ['docker', 'build', '--network=host', '--force-rm', '-f', spec.dockerfile, '-t', spec.tag];
  for (const [name, value] of Object.entries(spec.buildArgs ?? {})) args.push('--build-arg', `${name}=${value}`);
  for (const [name, value] of Object.entries(spec.labels ?? {})) args.push('--label', `${name}=${value}`);
  args.push(spec.contextDir);
  const log = createWriteStream(spec.logFile, { flags: 'a' });
  const proc = spec.groups.start({ argv: args, env: { ...process.env, DOCKER_BUILDKIT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let partial = '';
  const onData = (chunk: Buffer): void => {
    log.write(chunk);
    const text = partial + chunk.toString('utf8');
    const parts = text.split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      spec.onLine?.(line);
    }
  };
  proc.child.stdout?.on('data', onData);
  proc.child.stderr?.on('data', onData);
  const status = await proc.exited;
  if (partial !== '') lines.push(partial);
  await new Promise<void>((resolve) => log.end(resolve));
  if (proc.spawnError) {
    throw new LoupeError(`cannot run docker: ${proc.spawnError.message}`, ExitCode.environment, 'install the Debian package docker.io');
  }
  if (status.code !== 0) throw buildFailure(lines, spec);
}

/** The failing step and the error lines after it, from the classic builder's output. */
export function describeBuildFailure(lines: readonly string[]): { step?: string; details: string[] } {
  let stepIndex = -1;
  lines.forEach((l, i) => { if (/^Step \d+\/\d+ : /.test(l)) stepIndex = i; });
  const tail = lines.slice(stepIndex + 1)
    .filter((l) => l.trim() !== '' && !/^( ---> |Removing intermediate container|DEPRECATED:|\s+BuildKit is currently disabled|\s+environment-variable|\s+Install the buildx)/.test(l));
  return { ...(stepIndex >= 0 ? { step: lines[stepIndex]!.replace(/^Step /, '') } : {}), details: tail.slice(-12) };
}

function buildFailure(lines: readonly string[], spec: BuildSpec): LoupeError {
  const { step, details } = describeBuildFailure(lines);
  const where = step === undefined ? '' : ` at step ${step}`;
  return new LoupeError(
    `building image ${spec.tag} failed${where}\n${details.map((l) => `  | ${l}`).join('\n')}`,
    ExitCode.badInput,
    `the whole build output is in ${spec.logFile}`,
  );
}
