import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXAMPLES, processesMentioning, runLoupe, tempDir } from '../helpers/cli.js';
import { parseStraceLog } from '../../src/trace/parser.js';
import type { ExploreReport } from '../../src/explore/report.js';
import { X86_64 } from '../../src/syscalls/table.js';

const classes = (report: ExploreReport): Map<string, string> => new Map(report.syscalls.map((s) => [s.name, s.class]));

test('lua5.4 (run to completion): every used syscall judged, with a final check', async () => {
  const cwd = join(EXAMPLES, 'lua');
  const r = await runLoupe(['explore', '-b', 'lua5.4', '-t', './test.sh', '--test-sequential', '--final-check', '--json', '--', 'hello.lua'], { cwd });
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as ExploreReport;
  const c = classes(report);
  assert.ok(report.used.length >= 15, `lua uses a couple of dozen syscalls, saw ${report.used.length}`);
  assert.equal(report.syscalls.length, report.used.length);
  // The script must be opened and its output written: no OS can skip those.
  for (const name of ['openat', 'read', 'write', 'mmap']) assert.equal(c.get(name), 'required', name);
  // Identity and robust-list set-up is optional for a single-threaded script.
  assert.equal(c.get('set_robust_list'), 'both');
  const fc = report.finalCheck!;
  const stubbable = report.syscalls.filter((s) => s.stub === 'works').map((s) => s.nr);
  assert.deepEqual(fc.allStubbed.syscalls, stubbable);
  if (fc.allStubbed.verdict === 'broken') {
    assert.ok(fc.largestWorkingStubSet && fc.largestWorkingStubSet.length < stubbable.length);
    assert.ok(fc.largestWorkingStubSet.every((nr) => stubbable.includes(nr)));
  }
  // The fake search runs beside the stub search: each still finds a set of its own treatment.
  const fakeable = report.syscalls.filter((s) => s.fake === 'works').map((s) => s.nr);
  assert.deepEqual(fc.allFaked.syscalls, fakeable);
  if (fc.allFaked.verdict === 'broken') {
    assert.ok(fc.largestWorkingFakeSet && fc.largestWorkingFakeSet.length < fakeable.length);
    assert.ok(fc.largestWorkingFakeSet.every((nr) => fakeable.includes(nr)));
  }
  assert.ok(report.experiments.some((e) => e.id.startsWith('final:stub:')));
  assert.ok(report.experiments.some((e) => e.id.startsWith('final:fake:')));
});

test('nginx under wrk (server): classes of the network calls, side by side on one port, nothing left behind', async () => {
  const cwd = join(EXAMPLES, 'nginx');
  const r = await runLoupe(['explore', '-b', '/usr/sbin/nginx', '-t', './test.sh', '--json', '--', '-p', '.', '-c', 'nginx.conf'], { cwd });
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as ExploreReport;
  const c = classes(report);
  for (const name of ['socket', 'bind', 'listen', 'epoll_wait']) assert.equal(c.get(name), 'required', name);
  // nginx falls back from accept4 to accept when accept4 is not implemented, but a faked
  // accept4 hands it fd 0 as a client.
  assert.equal(c.get('accept4'), 'stubOnly');
  // ... and that fallback is measured: with accept4 stubbed, nginx calls accept.
  const accept4 = report.fallbacks?.[String(X86_64.number('accept4'))];
  assert.ok(accept4?.stub?.added.includes(X86_64.number('accept')!), JSON.stringify(accept4));
  // Ground truth: nginx under strace injecting ENOSYS into accept4, in a network namespace and
  // with a /run of its own (its pid file), loaded by the same test script, calls accept.
  const dir = tempDir('nginx-inject');
  const script = [
    'mount -t tmpfs tmpfs /run && ip link set lo up || exit 9',
    `strace -f -qq -o ${dir}/trace.log -e trace=accept,accept4 -e inject=accept4:error=ENOSYS /usr/sbin/nginx -p . -c nginx.conf 2>${dir}/nginx.err &`,
    `for i in $(seq 100); do ./test.sh ${dir}/test.log >${dir}/test.out 2>&1; s=$?; [ $s = 200 ] || break; sleep 0.1; done`,
    'kill $(cat /run/nginx-loupe.pid); wait; exit $s',
  ].join('\n');
  const injected = spawnSync('unshare', ['-n', '-m', 'sh', '-c', script], { cwd, encoding: 'utf8', timeout: 60_000 });
  assert.equal(injected.status, 0, `${injected.stderr}${readFileSync(join(dir, 'test.out'), 'utf8')}`);
  const calls = parseStraceLog(readFileSync(join(dir, 'trace.log'), 'utf8'), X86_64).events.map((e) => X86_64.name(e.nr));
  assert.ok(calls.includes('accept'), `strace saw ${[...new Set(calls)].join(', ')}`);
  assert.ok(report.timing.jobs > 1, 'experiments ran side by side');
  assert.ok(report.used.every((nr) => X86_64.name(nr) !== undefined));
  assert.deepEqual(processesMentioning('nginx.conf'), []);
});
