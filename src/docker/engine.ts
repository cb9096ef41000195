import { ExitCode, LoupeError } from '../core/errors.js';
import { capture } from '../sandbox/capture.js';

/** Fails with a clear message unless the `docker` client is installed and an engine answers. */
export async function requireDockerEngine(): Promise<void> {
  const info = await capture(['docker', 'info', '--format', '{{.ServerVersion}}'], { timeoutMs: 30_000 });
  if (info.code === 127) {
    throw new LoupeError('the docker client is not installed', ExitCode.environment,
      'install the Debian package docker.io (scripts/setup.sh does), or run without -d for a native analysis');
  }
  if (info.code !== 0) {
    throw new LoupeError(`no Docker engine answers (${lastLine(info.stderr) || `docker info exited with ${info.code}`})`, ExitCode.environment,
      'start one, e.g. as root with scripts/docker-engine.sh (it also makes the local base image), or run without -d');
  }
}

export async function imageExists(image: string): Promise<boolean> {
  return (await capture(['docker', 'image', 'inspect', '--format', '{{.Id}}', image])).code === 0;
}

export async function imageId(image: string): Promise<string> {
  const out = await capture(['docker', 'image', 'inspect', '--format', '{{.Id}}', image]);
  if (out.code !== 0) throw new LoupeError(`image ${image} does not exist`, ExitCode.environment);
  return out.stdout.trim();
}

/**
 * The IDs of `image` and of the images it was built on that this engine still holds, newest
 * first (`docker history -q --no-trunc`, without its `<missing>` entries); [] when the image is
 * missing.
 */
export async function imageAncestry(image: string): Promise<string[]> {
  const out = await capture(['docker', 'history', '-q', '--no-trunc', image]);
  return out.code !== 0 ? [] : out.stdout.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('sha256:'));
}

/** The value of label `name` of `image`; undefined when the image or the label is missing. */
export async function imageLabel(image: string, name: string): Promise<string | undefined> {
  const out = await capture(['docker', 'image', 'inspect', '--format', `{{with .Config.Labels}}{{index . ${JSON.stringify(name)}}}{{end}}`, image]);
  const value = out.stdout.trim();
  return out.code !== 0 || value === '' || value === '<no value>' ? undefined : value;
}

export function lastLine(text: string): string {
  return text.trim().split('\n').pop()?.trim() ?? '';
}
