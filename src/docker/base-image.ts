import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode, LoupeError } from '../core/errors.js';
import { PACKAGE_ROOT } from '../core/version.js';
import type { ProcessGroups } from '../sandbox/process.js';
import { buildImage } from './build.js';
import { imageExists, imageLabel } from './engine.js';

/** The project's files that make up loupe-base's build context besides the host's node binary. */
const BASE_DOCKERFILE_DIR = join(PACKAGE_ROOT, 'docker', 'loupe-base');

/** The image application Dockerfiles start from (`FROM loupe-base:latest`), as in the original. */
export const BASE_IMAGE_NAME = 'loupe-base:latest';

/** Label of loupe-base: "1" with the original base image's build tools, "0" when built with --minimal. */
export const BUILD_TOOLS_LABEL = 'org.loupe.build-tools';

/**
 * A hint for a failed application build when loupe-base:latest is the minimal one: Dockerfiles
 * written for the original may compile, `apt build-dep` or `wget`, which only the full base
 * offers. Undefined when the base has its build tools, or was built before the label existed.
 */
export async function minimalBaseHint(): Promise<string | undefined> {
  if ((await imageLabel(BASE_IMAGE_NAME, BUILD_TOOLS_LABEL)) !== '0') return undefined;
  return `${BASE_IMAGE_NAME} is the minimal base (loupe base-image --minimal: no compilers, git, wget or deb-src entries), `
    + 'which Dockerfiles written for the original may need: rebuild it with `loupe base-image`';
}

export interface BaseImageSpec {
  /** Image to start from, e.g. local/debian:bookworm (made by scripts/docker-engine.sh) or debian:bookworm. */
  from: string;
  tag: string;
  /** Without the build tools of the original's base image: smaller and quicker to build. */
  minimal: boolean;
  logFile: string;
  groups: ProcessGroups;
  onLine?: (line: string) => void;
}

/**
 * Builds loupe-base: `from` plus the analysis tools, this project (dist/src, dist/bin, its runtime
 * node_modules, package.json), the Node binary running this process and /root/explore.py.
 */
export async function buildBaseImage(spec: BaseImageSpec): Promise<void> {
  if (!(await imageExists(spec.from))) {
    throw new LoupeError(`the image to start from, ${spec.from}, does not exist`, ExitCode.environment,
      'without a registry, make local/debian:bookworm with scripts/docker-engine.sh (as root), or name another image with --from');
  }
  const built = join(PACKAGE_ROOT, 'dist', 'src', 'cli', 'main.js');
  if (!existsSync(built)) throw new LoupeError('this project is not built (dist/ is missing)', ExitCode.environment, 'run `npm run build`');
  const context = mkdtempSync(join(tmpdir(), 'loupe-base-context-'));
  try {
    cpSync(join(BASE_DOCKERFILE_DIR, 'Dockerfile'), join(context, 'Dockerfile'));
    const rootfs = join(context, 'rootfs');
    cpSync(join(BASE_DOCKERFILE_DIR, 'explore.py'), join(rootfs, 'root', 'explore.py'));
    cpSync(process.execPath, join(rootfs, 'usr', 'local', 'bin', 'node'));
    copyProject(join(rootfs, 'opt', 'loupe'));
    symlinkSync('/opt/loupe/dist/src/cli/main.js', join(rootfs, 'usr', 'local', 'bin', 'loupe'));
    // COPY gives the image's folders (/ included) the modes of the context's: keep them open.
    for (const dir of [rootfs, ...readdirSync(rootfs, { recursive: true, encoding: 'utf8' }).map((rel) => join(rootfs, rel))]) {
      if (lstatSync(dir).isDirectory()) chmodSync(dir, 0o755);
    }
    await buildImage({
      contextDir: context,
      dockerfile: join(context, 'Dockerfile'),
      tag: spec.tag,
      buildArgs: { BASE_IMAGE: spec.from, WITH_BUILD_TOOLS: spec.minimal ? '0' : '1' },
      labels: { [BUILD_TOOLS_LABEL]: spec.minimal ? '0' : '1' },
      logFile: spec.logFile,
      groups: spec.groups,
      ...(spec.onLine === undefined ? {} : { onLine: spec.onLine }),
    });
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

/** package.json, dist/src, dist/bin (the seccomp launcher) and node_modules without the development-only packages. */
function copyProject(dest: string): void {
  mkdirSync(dest, { recursive: true });
  cpSync(join(PACKAGE_ROOT, 'package.json'), join(dest, 'package.json'));
  for (const dir of ['src', 'bin']) cpSync(join(PACKAGE_ROOT, 'dist', dir), join(dest, 'dist', dir), { recursive: true });
  const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { devDependencies?: Record<string, string> };
  // node_modules may be a link (a git worktree sharing the main checkout's): copy what it points
  // to, since a link to a host folder would dangle in the image.
  const modules = realpathSync(join(PACKAGE_ROOT, 'node_modules'));
  const devOnly = new Set(Object.keys(pkg.devDependencies ?? {}).map((name) => join(modules, name)));
  // npm never makes node_modules/node_modules; a link of that name is a stray loop back to itself.
  const loop = join(modules, 'node_modules');
  cpSync(modules, join(dest, 'node_modules'), {
    recursive: true,
    filter: (source) => !devOnly.has(source) && source !== loop,
  });
}
