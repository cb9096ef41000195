import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { CLI, EXAMPLES, processesMentioning, runLoupe, tempDir, writeScript } from '../helpers/cli.js';
import { buildProgram, loadCorpus } from '../helpers/corpus.js';
import type { ExploreReport } from '../../src/explore/report.js';

// The test script of the public Loupe database's run lua/benchmark-lua-test/5b48cb66be56e21425e0d1b0328c9cfc
// (unikraft/loupedb, CC BY 4.0, dockerfile_data/lua-test.sh): it compares the log file's *name*
// with "hello", so it exits 0 whatever lua did.
const PUBLIC_LUA_TEST = `res=$1

if [[ $res != "hello" ]]; then
    exit 0
fi

exit 1`;

function luaFolder(): string {
  const dir = tempDir('lua-control');
  copyFileSync(join(EXAMPLES, 'lua', 'hello.lua'), join(dir, 'hello.lua'));
  writeScript(dir, 'lua-test.sh', PUBLIC_LUA_TEST, '/bin/bash');
  return dir;
}

test('negative control: the public lua run whose script compares the log file name with "hello" is flagged', async () => {
  const dir = luaFolder();
  const args = ['explore', '-b', 'lua5.4', '-t', './lua-test.sh', '--test-sequential', '--disable-static', '--timeout', '10'];
  const json = await runLoupe([...args, '--json', '--', 'hello.lua'], { cwd: dir });
  assert.equal(json.code, 0, json.stderr);
  const report = JSON.parse(json.stdout) as ExploreReport;
  assert.equal(report.negativeControl?.verdict, 'works');
  assert.match(report.negativeControl?.warning ?? '', /exit status alone/);
  const summary = await runLoupe([...args, '--', 'hello.lua'], { cwd: dir });
  assert.match(summary.stdout, /Warnings: 1\n  - negative control: the test script answered "works"/);

  const strict = await runLoupe([...args, '--strict', '--', 'hello.lua'], { cwd: dir });
  assert.equal(strict.code, 3);
  assert.match(strict.stderr, /negative control failed/);
  assert.match(strict.stderr, /hint: make .*lua-test\.sh check what the application produced/);
  assert.deepEqual(processesMentioning(dir), []);
});

test('negative control: the bundled lua script, which checks the output, passes it', async () => {
  const dir = luaFolder();
  const r = await runLoupe(['explore', '-b', 'lua5.4', '-t', join(EXAMPLES, 'lua', 'test.sh'), '--test-sequential', '--disable-static', '--strict', '--json', '--', 'hello.lua'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as ExploreReport;
  assert.equal(report.negativeControl?.verdict, 'broken');
  assert.equal(report.negativeControl?.warning, undefined);
  assert.equal(report.discovery.tracedRun.verdict, 'works');
  assert.deepEqual(report.discovery.unknownSyscallNames, []);
  assert.equal(report.discovery.unparsedLines.count, 0);
});

test('negative control of a server workload: a script that always says "works" leaves the verdicts resting on nothing', async () => {
  const dir = tempDir('server-control');
  const script = writeScript(dir, 'test.sh', 'exit 0');
  const r = await runLoupe(['explore', '-b', 'sleep', '-t', script, '--disable-static', '--json', '--timeout', '10', '--', '30'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as ExploreReport;
  assert.equal(report.negativeControl?.verdict, 'works');
  assert.match(report.negativeControl?.standIn ?? '', /\/sleep 10$/);
  assert.match(report.negativeControl?.warning ?? '', /rest on nothing/);
  assert.deepEqual(processesMentioning(dir), []);
});

test('a file that is neither ELF nor a script, and a foreign ELF binary, are refused before any run', async () => {
  const dir = tempDir('format');
  const text = join(dir, 'notes');
  writeFileSync(text, 'just text\n', { mode: 0o755 });
  const r = await runLoupe(['explore', '-b', text], { cwd: dir });
  assert.equal(r.code, 3);
  assert.match(r.stderr, /is not a program loupe can analyse \(not an ELF file/);
  // An AArch64 executable's header: refused by its architecture, with nothing run.
  const arm = Buffer.alloc(64);
  arm.writeUInt32BE(0x7f454c46, 0);
  arm[4] = 2;
  arm[5] = 1;
  arm[6] = 1;
  arm.writeUInt16LE(2, 0x10);
  arm.writeUInt16LE(183, 0x12);
  writeFileSync(join(dir, 'arm-app'), arm, { mode: 0o755 });
  const foreign = await runLoupe(['explore', '-b', './arm-app'], { cwd: dir });
  assert.equal(foreign.code, 3);
  assert.match(foreign.stderr, /arm-app is a program for AArch64 \(arm64\), 64-bit little-endian, not x86-64/);
  assert.deepEqual(readdirSync(dir).sort(), ['arm-app', 'notes'], 'nothing written');
});

test('a script is judged by the interpreter its #! line names', async () => {
  const dir = tempDir('shebang');
  const broken = writeScript(dir, 'app.sh', 'exit 0', '/nonexistent/interpreter');
  const r = await runLoupe(['explore', '-b', broken], { cwd: dir });
  assert.equal(r.code, 3);
  assert.match(r.stderr, /is a script whose interpreter cannot be run: "#!\/nonexistent\/interpreter"/);
  const works = writeScript(dir, 'ok.sh', 'exit 0');
  const ok = await runLoupe(['explore', '-b', works, '--disable-static', '--json'], { cwd: dir });
  assert.equal(ok.code, 0, ok.stderr);
  assert.ok(!existsSync(join(dir, 'work')));
});

test('a file-capability executable is refused for a user who lacks the capability (real setcap and getcap)', async () => {
  const dir = tempDir('caps');
  chmodSync(dir, 0o755);
  const program = join(dir, 'captrue');
  copyFileSync('/bin/true', program);
  const setcap = spawnSync('setcap', ['cap_net_raw=ep', program], { encoding: 'utf8' });
  assert.equal(setcap.status, 0, `setcap (apt-get install libcap2-bin): ${setcap.stderr ?? setcap.error}`);
  // As nobody: the capability would be granted at execve without no_new_privs.
  const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI, 'explore', '-b', program], { cwd: dir, encoding: 'utf8' });
  assert.equal(r.status, 3, r.stderr);
  assert.match(r.stderr, /captrue \(the analysed binary\) has file capabilities cap_net_raw=ep.*no_new_privs/);
  assert.match(r.stderr, /hint: run loupe as root/);
  assert.deepEqual(readdirSync(dir), ['captrue'], 'nothing written');
  // Root holds the capability anyway: the same program is analysed.
  const asRoot = await runLoupe(['explore', '-b', program, '--disable-static', '--json'], { cwd: dir });
  assert.equal(asRoot.code, 0, asRoot.stderr);
});

test('the way out of the set-user-ID error works: a copy without the bit, started by setpriv with the owner\'s euid', async () => {
  const built = await buildProgram(loadCorpus().find((p) => p.name === 'setuid')!, tempDir('setuid-way-out'));
  const refused = await runLoupe(['explore', '-b', built.binary, '-t', built.testScript, '--test-sequential'], { cwd: built.dir });
  assert.equal(refused.code, 3);
  const copy = join(built.dir, 'copy');
  copyFileSync(built.binary, copy);
  chmodSync(copy, 0o755); // as install -m 0755 would: owned by root, without the bit
  const hint = /-b setpriv --only-consider COPY -- (--euid=\d+) COPY/.exec(refused.stderr);
  assert.ok(hint, refused.stderr);
  const r = await runLoupe(['explore', '-b', 'setpriv', '-t', built.testScript, '--test-sequential', '--disable-static', '--json', '--only-consider', copy, '--', hint[1]!, copy], { cwd: built.dir });
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as ExploreReport;
  // The program checks that it runs as its owner (65534): a faked or stubbed geteuid breaks it.
  assert.equal(report.syscalls.find((s) => s.name === 'geteuid')?.class, 'required');
});
