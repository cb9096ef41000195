import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isolateArgv, parseMountInfo, planIsolation, type IsolateOperation } from '../../src/sandbox/isolation.js';
import { bwrapArgv, joinedCgroupProcs } from '../../src/sandbox/bwrap.js';

// /proc/self/mountinfo of a Docker container (vfs storage driver) run with -v /data:/data.
const CONTAINER = `
500 400 254:0 /var/lib/docker/vfs/dir/abc / rw,relatime - ext4 /dev/vda rw
501 500 0:60 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw
502 501 0:61 / /proc/sys/fs/binfmt_misc rw,relatime - binfmt_misc binfmt_misc rw
503 500 0:62 / /dev rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755
504 503 0:63 / /dev/pts rw,nosuid,noexec,relatime - devpts devpts rw,gid=5,mode=620
505 503 0:64 / /dev/shm rw,nosuid,nodev,noexec,relatime - tmpfs shm rw,size=65536k
506 500 0:65 / /sys ro,nosuid,nodev,noexec,relatime - sysfs sysfs ro
507 506 0:66 / /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime - cgroup2 cgroup rw
508 500 254:0 /var/lib/docker/containers/abc/hosts /etc/hosts rw,relatime - ext4 /dev/vda rw
509 500 254:0 /srv/data /data rw,relatime - ext4 /dev/vda rw
510 500 0:67 / /opt/read\\040only ro,relatime - squashfs /dev/loop0 ro
511 500 0:68 / /run rw - tmpfs tmpfs rw
512 511 0:69 / /run/lock rw - tmpfs tmpfs rw
513 503 0:70 / /dev/shm rw,relatime - tmpfs shm2 rw
`;

const FILES = new Set(['/etc/hosts']);
const plan = (writable: string[] = [], keepWrites = false, gone: ReadonlySet<string> = new Set()) =>
  planIsolation({
    mounts: parseMountInfo(CONTAINER),
    stageDir: '/w/run/stage',
    keptLayersDir: '/w/run/writes',
    isolation: { writable, keepWrites },
    passThrough: ['/w'],
    mountKind: (path) => (gone.has(path) ? 'gone' : FILES.has(path) ? 'file' : 'directory'),
  });

// Seen on a Docker host: a container's overlay2 `merged` folder is unmounted while runs start
// (the helper then failed with ENOENT), and a user without access to /var/lib/docker cannot stat it.
test('a mount that is gone, or that this user cannot reach, is left out of the plan', () => {
  const { operations, layers } = plan([], false, new Set(['/data', '/etc/hosts']));
  assert.deepEqual(layers.map((l) => l.mountPoint), ['/', '/dev', '/dev/shm']);
  const mentioned = operations.flatMap((o) => Object.values(o) as string[]);
  assert.ok(!mentioned.some((v) => v === '/data' || v === '/etc/hosts' || v.endsWith('/root/data')), JSON.stringify(operations));
});

test('mountinfo: mount points unescaped, read-only from the mount or its superblock', () => {
  const mounts = parseMountInfo(CONTAINER);
  assert.equal(mounts.length, 14);
  assert.deepEqual(mounts.find((m) => m.mountPoint === '/opt/read only'), { mountPoint: '/opt/read only', fsType: 'squashfs', readOnly: true });
  assert.equal(mounts.find((m) => m.mountPoint === '/data')?.readOnly, false);
  assert.equal(mounts.find((m) => m.mountPoint === '/sys/fs/cgroup')?.readOnly, true);
});

test('every writable data filesystem gets a layer of its own; kernel filesystems and read-only mounts are bound', () => {
  const { operations, root, layers } = plan();
  assert.equal(root, '/w/run/stage/root');
  assert.deepEqual(layers.map((l) => l.mountPoint), ['/', '/data', '/dev', '/dev/shm']);
  const S = root;
  const expected: IsolateOperation[] = [
    { op: 'tmpfs', dir: '/w/run/stage' },
    { op: 'mkdir', dir: S },
    { op: 'mkdir', dir: '/w/run/stage/layers' },
    { op: 'mkdir', dir: '/w/run/stage/layers/0' },
    { op: 'overlay', lower: '/', upper: '/w/run/stage/layers/0/upper', work: '/w/run/stage/layers/0/work', target: S },
    { op: 'mkdir', dir: '/w/run/stage/layers/1' },
    { op: 'overlay', lower: '/data', upper: '/w/run/stage/layers/1/upper', work: '/w/run/stage/layers/1/work', target: `${S}/data` },
    { op: 'mkdir', dir: '/w/run/stage/layers/2' },
    { op: 'overlay', lower: '/dev', upper: '/w/run/stage/layers/2/upper', work: '/w/run/stage/layers/2/work', target: `${S}/dev` },
    { op: 'rbind', source: '/dev/pts', target: `${S}/dev/pts` },
    // The topmost of the two /dev/shm mounts is the one layered.
    { op: 'mkdir', dir: '/w/run/stage/layers/3' },
    { op: 'overlay', lower: '/dev/shm', upper: '/w/run/stage/layers/3/upper', work: '/w/run/stage/layers/3/work', target: `${S}/dev/shm` },
    { op: 'copy', source: '/etc/hosts', copy: '/w/run/stage/file-12', target: `${S}/etc/hosts` },
    { op: 'rbind', source: '/opt/read only', target: `${S}/opt/read only` },
    { op: 'rbind', source: '/proc', target: `${S}/proc` },
    { op: 'rbind', source: '/sys', target: `${S}/sys` },
    { op: 'tmpfs', dir: `${S}/run` },
    { op: 'bind', source: '/w', target: `${S}/w` },
  ];
  assert.deepEqual(operations, expected);
});

test('--writable paths are bound through, and what lies under them is not layered; / turns isolation off', () => {
  const some = plan(['/data', '/dev']);
  assert.deepEqual(some.layers.map((l) => l.mountPoint), ['/']);
  assert.deepEqual(some.operations.filter((o) => o.op === 'rbind').map((o) => (o as { source: string }).source), ['/opt/read only', '/proc', '/sys', '/data', '/dev']);
  const none = plan(['/']);
  assert.deepEqual(none.layers, []);
  assert.deepEqual(none.operations.filter((o) => o.op !== 'mkdir'), [
    { op: 'tmpfs', dir: '/w/run/stage' },
    { op: 'rbind', source: '/', target: '/w/run/stage/root' },
    { op: 'tmpfs', dir: '/w/run/stage/root/run' },
    { op: 'bind', source: '/w', target: '/w/run/stage/root/w' },
  ]);
});

test('--keep-writes puts the layers in the run folder; the helper argv keeps the order', () => {
  const kept = plan([], true);
  assert.deepEqual(kept.layers[0], { mountPoint: '/', upper: '/w/run/writes/0/upper' });
  const argv = isolateArgv('/bin/loupe-isolate', kept, ['bwrap', '--', 'true']);
  assert.deepEqual(argv.slice(0, 5), ['/bin/loupe-isolate', '--tmpfs', '/w/run/stage', '--mkdir', '/w/run/stage/root']);
  assert.deepEqual(argv.slice(-4), ['--', 'bwrap', '--', 'true']);
  assert.ok(argv.includes('--copy'));
});

test('a recorded run: its sandbox starts in the run cgroup; with --only-consider the launcher joins it instead', () => {
  const kept = plan([], false);
  const argv = isolateArgv('/bin/loupe-isolate', kept, ['bwrap', '--', 'true'], '/sys/fs/cgroup/unified/loupe-1-ab/0');
  assert.deepEqual(argv.slice(0, 3), ['/bin/loupe-isolate', '--cgroup', '/sys/fs/cgroup/unified/loupe-1-ab/0']);
  const spec = { program: '/bin/true', args: [], cwd: '/', launcher: '/l', runDir: '/r', root: '/', recordIn: '/cg/0' };
  assert.equal(joinedCgroupProcs(spec), undefined);
  assert.ok(!bwrapArgv(spec).includes('/cg/0/cgroup.procs'), 'nothing to join: the sandbox is already there');
  const bound = { ...spec, onlyConsider: '/usr/bin/cp' };
  assert.equal(joinedCgroupProcs(bound), '/cg/0/cgroup.procs');
  const bwrap = bwrapArgv(bound);
  const at = bwrap.indexOf('/cg/0/cgroup.procs');
  assert.deepEqual(bwrap.slice(at - 1, at + 2), ['--bind', '/cg/0/cgroup.procs', '/cg/0/cgroup.procs']);
});
