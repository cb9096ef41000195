/**
 * scripts/docker-engine.sh where dockerd cannot use overlay2: its data-root on an overlay mount,
 * as when loupe runs inside a container. The script must fall back to vfs and say why, or, with
 * LOUPE_DOCKER_STORAGE=overlay2, stop with dockerd's reason and the way out.
 *
 * Each case runs in a mount and PID namespace of its own (`unshare --kill-child -m -p -f`): a
 * tmpfs over /run (so no engine answers on the default socket, and the second dockerd's sockets,
 * pid file and containerd stay apart from the machine's engine) and an overlay mount over
 * /var/lib/docker. When the namespace's first process ends, the kernel kills the dockerd and
 * containerd it started; nothing outlives the test, and the machine's engine is not touched.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/cli.js';

function engineOnOverlay(storage: string): { code: number | null; out: string } {
  const script = [
    'set -eu',
    'mount -t tmpfs tmpfs /run',
    'mkdir -p /run/t/lower /run/t/upper /run/t/work',
    'mount -t overlay overlay -o lowerdir=/run/t/lower,upperdir=/run/t/upper,workdir=/run/t/work /var/lib/docker',
    `LOUPE_DOCKER_STORAGE=${storage} LOUPE_DOCKER_ENGINE_ONLY=1 LOUPE_DOCKERD_LOG=/run/dockerd.log bash ${join(REPO_ROOT, 'scripts/docker-engine.sh')}`,
    'echo "driver: $(docker info --format "{{.Driver}}")"',
  ].join('\n');
  const r = spawnSync('unshare', ['--kill-child', '-m', '-p', '-f', '--propagation', 'private', 'bash', '-c', script], {
    encoding: 'utf8', timeout: 120_000, killSignal: 'SIGKILL', env: { ...process.env, DOCKER_HOST: '' },
  });
  assert.equal(r.error, undefined, `unshare could not run: ${r.error?.message} (apt-get install util-linux; root needed)`);
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

test('dockerd refuses overlay2 on an overlay data-root: the script says why and starts it with vfs', () => {
  const { code, out } = engineOnOverlay('auto');
  assert.equal(code, 0, out);
  assert.match(out, /dockerd refused overlay2: .*driver not supported/, out);
  assert.match(out, /dockerd is up \(storage driver vfs\)/, out);
  assert.match(out, /^driver: vfs$/m, out);
});

test('with LOUPE_DOCKER_STORAGE=overlay2 there, the script stops with dockerd\'s reason and the way out', () => {
  const { code, out } = engineOnOverlay('overlay2');
  assert.equal(code, 4, out);
  assert.match(out, /dockerd refused overlay2: .*driver not supported/, out);
  assert.match(out, /LOUPE_DOCKER_STORAGE=auto falls back to vfs/, out);
  assert.doesNotMatch(out, /^driver:/m, out);
});
