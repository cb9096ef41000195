/**
 * Validation on Debian's own binaries: every syscall that strace sees a program use
 * under a small workload must be in the static set (recall 100%). Each traced run
 * is its own process group and is reaped before the test ends.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { analyseBinary } from '../../src/static/index.js';
import { X86_64 } from '../../src/syscalls/table.js';
import { tempDir } from '../helpers/temp-dirs.js';

const work = tempDir('static-recall');
process.env['LOUPE_CACHE_DIR'] = join(work, 'cache'); // not the user's cache
const hasStrace = spawnSync('strace', ['-V']).status === 0;

/**
 * Syscall numbers in an `strace -f -o` log that processes running `binary` issued:
 * not the execve strace itself issues to start it, and nothing a process does after
 * it has executed another program (tar running gzip), nor what the children of such
 * a process do.
 */
function syscallsInTrace(log: string, binary: string): Set<number> {
  const used = new Set<number>();
  const target = realpathSync(binary);
  const runsOtherProgram = new Set<string>();
  const pendingExec = new Map<string, string>();
  let first = true;
  for (const line of log.split('\n')) {
    const match = /^(\d+)\s+(?:<\.\.\. ([a-z0-9_]+) resumed>|([a-z0-9_]+)\()/.exec(line);
    if (!match) continue;
    const pid = match[1]!;
    const name = match[2] ?? match[3]!;
    const result = / = (-?\d+)(?: |$)/.exec(line)?.[1];
    if (runsOtherProgram.has(pid)) {
      if (/^(clone|clone3|fork|vfork)$/.test(name) && result !== undefined && Number(result) > 0) runsOtherProgram.add(result);
      continue;
    }
    if (name === 'execve') {
      const path = match[3] ? /^\d+\s+execve\("([^"]*)"/.exec(line)?.[1] : pendingExec.get(pid);
      if (path !== undefined) pendingExec.set(pid, path);
      if (result === '0' && path !== undefined && realpathOrSelf(path) !== target) runsOtherProgram.add(pid);
      if (first) { first = false; continue; }
    }
    first = false;
    if (match[2]) continue; // counted at its "unfinished" start
    const nr = X86_64.number(name);
    if (nr !== undefined) used.add(nr);
  }
  return used;
}

function realpathOrSelf(path: string): string {
  try { return realpathSync(path); } catch { return path; }
}

interface Workload {
  readonly command: string;
  readonly args: readonly string[];
  /** For servers: runs while the program is up, then the program is sent SIGTERM. */
  readonly whileRunning?: () => Promise<void>;
}

async function traceWorkload(name: string, workload: Workload): Promise<Set<number>> {
  const log = join(work, `${name}.strace`);
  const child = spawn('strace', ['-f', '-qq', '-o', log, '--', workload.command, ...workload.args], {
    detached: true, // its own process group, so that everything it started can be killed at once
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const killGroup = (signal: NodeJS.Signals) => { try { process.kill(-child.pid!, signal); } catch { /* already gone */ } };
  try {
    if (workload.whileRunning) {
      await workload.whileRunning();
      // Stop the program, not strace, so the trace includes its shutdown.
      for (const pid of childrenOf(child.pid!)) process.kill(pid, 'SIGTERM');
    }
    const timer = setTimeout(() => killGroup('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  } finally {
    killGroup('SIGKILL');
    await exited;
  }
  assert.ok(existsSync(log), `strace wrote no log: ${stderr}`);
  return syscallsInTrace(readFileSync(log, 'utf8'), workload.command);
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Sends `request` once the port accepts connections and waits for `expected` in the reply. */
async function converse(port: number, request: string, expected: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await new Promise<void>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => socket.write(request));
        let reply = '';
        socket.on('data', (d) => {
          reply += d.toString();
          if (reply.includes(expected)) { socket.end(); resolve(); }
        });
        socket.on('error', reject);
        socket.setTimeout(3000, () => { socket.destroy(); reject(new Error(`no reply containing ${expected}`)); });
      });
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function checkRecall(t: TestContext, binary: string, workload: Workload): Promise<void> {
  if (!hasStrace) return t.skip('strace is not installed');
  if (!existsSync(binary)) return t.skip(`${binary} is not installed (scripts/setup.sh installs it)`);
  const started = Date.now();
  const report = await analyseBinary(binary);
  const seconds = ((Date.now() - started) / 1000).toFixed(2);
  const dynamic = await traceWorkload(binary.split('/').pop()!, workload);
  const staticSet = new Set(report.syscalls);
  const missed = [...dynamic].filter((nr) => !staticSet.has(nr)).map((nr) => X86_64.name(nr));
  t.diagnostic(`${binary}: static ${staticSet.size}, dynamic ${dynamic.size}, missed ${missed.length}, ` +
    `unresolved sites ${report.unresolvedSites}, ${report.objects.length} objects, ${seconds} s`);
  assert.deepEqual(missed, [], `syscalls used at run time but not found statically: ${missed.join(', ')}`);
  assert.ok(dynamic.size > 5, 'the trace is implausibly small');
}

test('ls: recall 100%', (t) => checkRecall(t, '/bin/ls', { command: '/bin/ls', args: ['-la', '/'] }));

test('cat: recall 100%', (t) => checkRecall(t, '/bin/cat', { command: '/bin/cat', args: ['/etc/hostname'] }));

test('sort with threads: recall 100%', (t) => {
  const input = join(work, 'numbers.txt');
  writeFileSync(input, Array.from({ length: 200_000 }, (_, i) => String((i * 7919) % 200_003)).join('\n'));
  return checkRecall(t, '/usr/bin/sort', { command: '/usr/bin/sort', args: ['--parallel=2', '-S', '1M', '-o', join(work, 'sorted.txt'), input] });
});

test('tar running gzip: recall 100% for tar itself', (t) =>
  checkRecall(t, '/usr/bin/tar', { command: '/usr/bin/tar', args: ['czf', join(work, 'etc.tgz'), '-C', '/etc', 'hostname', 'passwd'] }));

test('lua5.4: recall 100%', (t) =>
  checkRecall(t, '/usr/bin/lua5.4', { command: '/usr/bin/lua5.4', args: ['-e', 'print(io.open("/etc/hostname"):read("a"), os.time())'] }));

test('sqlite3: recall 100%', (t) =>
  checkRecall(t, '/usr/bin/sqlite3', {
    command: '/usr/bin/sqlite3',
    args: [join(work, 'test.db'), 'create table t(x); insert into t values (1); select * from t;'],
  }));

test('nginx: recall 100%', async (t) => {
  const port = await freePort();
  const prefix = mkdtempSync(join(work, 'nginx-'));
  writeFileSync(join(prefix, 'nginx.conf'), `
daemon off;
worker_processes 1;
error_log stderr notice;
pid ${prefix}/nginx.pid;
events { worker_connections 64; }
http {
  access_log ${prefix}/access.log;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  server {
    listen 127.0.0.1:${port};
    location / { return 200 "hello\\n"; }
  }
}
`);
  await checkRecall(t, '/usr/sbin/nginx', {
    command: '/usr/sbin/nginx',
    args: ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-e', 'stderr'],
    whileRunning: () => converse(port, 'GET / HTTP/1.0\r\n\r\n', 'hello'),
  });
});

test('redis-server: recall 100%', async (t) => {
  const port = await freePort();
  const dir = mkdtempSync(join(work, 'redis-'));
  await checkRecall(t, '/usr/bin/redis-server', {
    command: '/usr/bin/redis-server',
    args: ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no'],
    whileRunning: () => converse(port, 'SET k v\r\nGET k\r\nPING\r\n', 'PONG'),
  });
});
