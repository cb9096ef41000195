/**
 * Filesystem isolation of one run: every mount the application can write to is seen through a
 * copy-on-write layer of the run's own, so nothing a run writes reaches the host or another run,
 * and every run starts from the same files.
 *
 * The plan is made here, purely, from the machine's mount table (/proc/self/mountinfo), and
 * carried out by the small helper `src/sandbox/isolate.c` in a private mount namespace:
 * - the root filesystem and every other writable data filesystem (ext4, tmpfs, devtmpfs, a
 *   Docker volume, ...) get an overlayfs of their own, assembled at `root` in the mount tree
 *   they had on the host; the writable layers live on a tmpfs of the run, or in the run's folder
 *   with `keepWrites`;
 * - a writable mount that is a file (Docker's /etc/hosts) is copied and the copy bound instead;
 * - pseudo filesystems (proc, sysfs, cgroup, devpts, ...) and read-only mounts are bound as they
 *   are; the sandbox mounts a fresh /proc and a read-only /sys for the application;
 * - /run is a fresh tmpfs shared by the application and its test script;
 * - paths opted out (`writable`, and the engine's own work folder) are bound through.
 * overlayfs needs root (or CAP_SYS_ADMIN); the kernel documents it in
 * Documentation/filesystems/overlayfs.rst.
 */

/** What a workload asks of the filesystem: serialisable, part of the Workload value. */
export interface FilesystemIsolation {
  /** Paths whose writes reach the host (opted out of the copy-on-write layer). `/` turns isolation off. */
  writable: string[];
  /** Keep each run's writable layers in its folder and list the files it changed. */
  keepWrites: boolean;
}

export const DEFAULT_ISOLATION: FilesystemIsolation = { writable: [], keepWrites: false };

/** One line of /proc/self/mountinfo, the fields the plan needs. */
export interface MountEntry {
  mountPoint: string;
  fsType: string;
  readOnly: boolean;
}

/** One step of the helper, in order (see isolate.c for each). */
export type IsolateOperation =
  | { op: 'tmpfs'; dir: string }
  | { op: 'mkdir'; dir: string }
  | { op: 'overlay'; lower: string; upper: string; work: string; target: string }
  | { op: 'rbind'; source: string; target: string }
  | { op: 'bind'; source: string; target: string }
  | { op: 'copy'; source: string; copy: string; target: string };

/** A writable layer: which mount it covers and where its changed files are kept. */
export interface WritableLayer {
  mountPoint: string;
  upper: string;
}

export interface IsolationPlan {
  operations: IsolateOperation[];
  /** Folder (in the helper's namespace) that holds the run's whole view of the files. */
  root: string;
  layers: WritableLayer[];
}

export interface PlanInput {
  mounts: readonly MountEntry[];
  /** An empty folder of the run's own, where the helper mounts its tmpfs. */
  stageDir: string;
  /** Where the writable layers go when they are kept (`isolation.keepWrites`). */
  keptLayersDir: string;
  isolation: FilesystemIsolation;
  /** Folders bound through without their sub-mounts (the engine's logs and traces). */
  passThrough: readonly string[];
  /**
   * What a mount point is: a folder (it gets an overlay), a file (a file mount cannot carry one:
   * it gets a copy), or gone (it was unmounted since mountinfo was read, as Docker does with a
   * container's file system, or this user cannot reach it: the run cannot either, so it is left out).
   */
  mountKind: (path: string) => 'directory' | 'file' | 'gone';
}

/** Filesystems whose "files" are kernel objects: bound as they are, never layered. */
const PSEUDO_FILESYSTEMS = new Set([
  'proc', 'sysfs', 'devpts', 'mqueue', 'cgroup', 'cgroup2', 'securityfs', 'debugfs', 'tracefs', 'bpf',
  'configfs', 'fusectl', 'pstore', 'binfmt_misc', 'autofs', 'hugetlbfs', 'nsfs', 'efivarfs', 'selinuxfs', 'rpc_pipefs',
]);
/** Trees bound whole: the sandbox replaces /proc and makes /sys read-only for the application. */
const BOUND_WHOLE = ['/proc', '/sys'];
/** A fresh tmpfs in every run, as before isolation (pid files and runtime sockets). */
const PRIVATE_RUN = '/run';

/** mountinfo escapes space, tab, newline and backslash as octal (\040 ...). */
const unescape = (field: string): string => field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));

/**
 * Parses /proc/self/mountinfo (proc(5)): `ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS`.
 * A mount is read-only when its own options or its superblock's say `ro`.
 */
export function parseMountInfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(' ');
    const separator = fields.indexOf('-');
    if (fields.length < 10 || separator < 6) continue;
    const options = fields[5]!.split(',');
    const superOptions = (fields[separator + 3] ?? '').split(',');
    entries.push({ mountPoint: unescape(fields[4]!), fsType: fields[separator + 1]!, readOnly: options.includes('ro') || superOptions.includes('ro') });
  }
  return entries;
}

const isUnder = (path: string, folder: string): boolean => folder === '/' || path === folder || path.startsWith(`${folder}/`);
const inside = (root: string, path: string): string => (path === '/' ? root : `${root}${path}`);

/** The helper's steps for one run. Pure. */
export function planIsolation(input: PlanInput): IsolationPlan {
  const stage = input.stageDir;
  const root = `${stage}/root`;
  const layerBase = input.isolation.keepWrites ? input.keptLayersDir : `${stage}/layers`;
  const writable = [...new Set(input.isolation.writable)].sort();
  const operations: IsolateOperation[] = [{ op: 'tmpfs', dir: stage }, { op: 'mkdir', dir: root }, { op: 'mkdir', dir: layerBase }];
  const layers: WritableLayer[] = [];
  const layer = (mountPoint: string): void => {
    const dir = `${layerBase}/${layers.length}`;
    const upper = `${dir}/upper`;
    operations.push({ op: 'mkdir', dir }, { op: 'overlay', lower: mountPoint, upper, work: `${dir}/work`, target: inside(root, mountPoint) });
    layers.push({ mountPoint, upper });
  };

  // The topmost mount at each point is the one the application sees.
  const visible = new Map<string, MountEntry>();
  for (const m of input.mounts) visible.set(m.mountPoint, m);
  const handledWhole: string[] = [...writable, PRIVATE_RUN];
  if (writable.includes('/')) operations.push({ op: 'rbind', source: '/', target: root });
  else layer('/');
  for (const m of [...visible.values()].sort((a, b) => compare(a.mountPoint, b.mountPoint))) {
    const path = m.mountPoint;
    if (path === '/' || handledWhole.some((h) => isUnder(path, h)) || isUnder(path, stage)) continue;
    const whole = BOUND_WHOLE.find((b) => isUnder(path, b));
    if (whole !== undefined) {
      operations.push({ op: 'rbind', source: whole, target: inside(root, whole) });
      handledWhole.push(whole);
    } else if (PSEUDO_FILESYSTEMS.has(m.fsType) || m.readOnly) {
      operations.push({ op: 'rbind', source: path, target: inside(root, path) });
      handledWhole.push(path);
    } else {
      const kind = input.mountKind(path);
      if (kind === 'file') operations.push({ op: 'copy', source: path, copy: `${stage}/file-${operations.length}`, target: inside(root, path) });
      else if (kind === 'directory') layer(path);
    }
  }
  for (const w of writable) if (w !== '/') operations.push({ op: 'rbind', source: w, target: inside(root, w) });
  operations.push({ op: 'tmpfs', dir: inside(root, PRIVATE_RUN) });
  for (const p of input.passThrough) operations.push({ op: 'bind', source: p, target: inside(root, p) });
  return { operations, root, layers };
}

/** The helper's command line for a plan, followed by the command it starts; `cgroup`: the cgroup v2 folder the command starts in (isolate.c --cgroup). */
export function isolateArgv(helper: string, plan: IsolationPlan, command: readonly string[], cgroup?: string): string[] {
  const argv = [helper, ...(cgroup !== undefined ? ['--cgroup', cgroup] : [])];
  for (const o of plan.operations) {
    switch (o.op) {
      case 'tmpfs':
      case 'mkdir':
        argv.push(`--${o.op}`, o.dir);
        break;
      case 'overlay':
        argv.push('--overlay', o.lower, o.upper, o.work, o.target);
        break;
      case 'rbind':
      case 'bind':
        argv.push(`--${o.op}`, o.source, o.target);
        break;
      case 'copy':
        argv.push('--copy', o.source, o.copy, o.target);
        break;
    }
  }
  return [...argv, '--', ...command];
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
