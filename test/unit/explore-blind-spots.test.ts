import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ineffectivePrivileges, privilegedExecutableError, PrivilegedExecutableError } from '../../src/explore/privileges.js';
import { negativeControlExperiment, negativeControlWarning } from '../../src/explore/negative-control.js';
import { ExitCode } from '../../src/core/errors.js';
import { analysisWarnings } from '../../src/explore/warnings.js';
import type { ExploreReport } from '../../src/explore/report.js';
import type { JudgeSettings, Workload } from '../../src/explore/experiment.js';

const file = (mode: number, uid: number, gid: number, capabilities?: string) => ({ path: '/usr/bin/x', mode: 0o100000 | mode, uid, gid, ...(capabilities ? { capabilities } : {}) });

test('set-user-ID, set-group-ID and capabilities count only where no_new_privs changes the credentials', () => {
  assert.deepEqual(ineffectivePrivileges(file(0o755, 0, 0), 0, 0), []);
  assert.deepEqual(ineffectivePrivileges(file(0o4755, 0, 0), 0, 0), [], 'set-user-ID root run by root: the same process');
  assert.deepEqual(ineffectivePrivileges(file(0o4755, 65534, 0), 0, 0), ['is set-user-ID: it would run as uid 65534, not 0']);
  assert.deepEqual(ineffectivePrivileges(file(0o2755, 0, 42), 0, 0), ['is set-group-ID: it would run as gid 42, not 0']);
  assert.deepEqual(ineffectivePrivileges(file(0o755, 0, 0, 'cap_net_raw=ep'), 0, 0), [], 'root holds every capability');
  assert.deepEqual(ineffectivePrivileges(file(0o755, 0, 0, 'cap_net_raw=ep'), 1000, 1000), ['has file capabilities cap_net_raw=ep: the process would get them']);
  assert.equal(ineffectivePrivileges(file(0o6755, 0, 0), 1000, 1000).length, 2);
});

test('the error says why (no_new_privs) and what to do', () => {
  const f = file(0o4755, 65534, 0);
  const err = privilegedExecutableError(f, ineffectivePrivileges(f, 0, 0), 'the analysed binary');
  assert.ok(err instanceof PrivilegedExecutableError);
  assert.equal(err.name, 'PrivilegedExecutableError');
  assert.equal(err.exitCode, ExitCode.badInput);
  assert.match(err.message, /\/usr\/bin\/x \(the analysed binary\) is set-user-ID.*no_new_privs/);
  assert.match(err.hint!, /install -m 0755 \/usr\/bin\/x COPY\), started with the credentials they would give: -b setpriv --only-consider COPY -- --euid=65534 COPY ARGS/);
});

const judge: JudgeSettings = { attempts: 2, inconclusiveRetries: 20, readyListeners: 2, readyWaitMs: 3000, hangLimitMs: 1500 };
const workload = (sequential: boolean): Workload => ({
  program: '/srv/app', args: ['-c', 'conf'], cwd: '/srv', testScript: '/srv/test.sh', sequential, timeoutMs: 9500, onlyConsider: '/srv/real',
});
const path = (name: string): string => `/usr/bin/${name}`;

test('negative control: a do-nothing stand-in replaces the whole workload, judged once by the same script', () => {
  const seq = negativeControlExperiment(workload(true), judge, path);
  assert.equal(seq.workload.program, '/usr/bin/true', 'exits 0, so the script is asked');
  assert.deepEqual(seq.workload.args, []);
  assert.equal(seq.workload.onlyConsider, undefined, 'the driver is replaced too');
  assert.equal(seq.workload.testScript, '/srv/test.sh');
  assert.deepEqual(seq.perturbation, { rules: [] });
  assert.equal(seq.judge.attempts, 1);
  assert.equal(seq.judge.readyListeners, 0, 'the stand-in never listens: no wait for it');
  const server = negativeControlExperiment(workload(false), judge, path);
  assert.deepEqual([server.workload.program, ...server.workload.args], ['/usr/bin/sleep', '10'], 'alive for the whole time limit, keeping its network namespace');
  assert.match(negativeControlWarning(workload(true), '/usr/bin/true'), /exit status alone/);
  assert.match(negativeControlWarning(workload(false), '/usr/bin/sleep 10'), /rest on nothing/);
});

test('warnings: every blind spot of discovery and the negative control, in words; none when there is none', () => {
  const clean: ExploreReport['discovery'] = { tracedRun: { verdict: 'works' }, unknownSyscallNames: [], unparsedLines: { count: 0, examples: [] }, unparsedArguments: 0, notAnalysed: [] };
  const report = (discovery: ExploreReport['discovery'], negativeControl?: ExploreReport['negativeControl']): ExploreReport =>
    ({ discovery, ...(negativeControl ? { negativeControl } : {}) }) as ExploreReport;
  assert.deepEqual(analysisWarnings(report(clean, { standIn: '/usr/bin/true', verdict: 'broken' })), []);
  const warnings = analysisWarnings(report(
    {
      tracedRun: { verdict: 'broken', reason: 'test script exited with 1' },
      unknownSyscallNames: ['syscall_0xffffffffffffffff'],
      unparsedLines: { count: 3, examples: ['garbage'] },
      unparsedArguments: 2,
      notAnalysed: [{ abi: 'i386', nr: 20, name: 'getpid', count: 4 }],
    },
    { standIn: '/usr/bin/true', verdict: 'works', warning: 'the test script answered "works"' },
  ));
  assert.equal(warnings.length, 6);
  assert.match(warnings[0]!, /^negative control: the test script answered "works"/);
  assert.match(warnings[1]!, /^not analysed: .*getpid \(i386 20, 4x\)/);
  assert.match(warnings[2]!, /traced run failed its test \(test script exited with 1\)/);
  assert.match(warnings[3]!, /syscall_0xffffffffffffffff/);
  assert.match(warnings[4]!, /3 line\(s\) of the strace log not understood, e\.g\. "garbage"/);
  assert.match(warnings[5]!, /2 sub-feature argument\(s\)/);
});

test('warnings: a baseline run taking a third of the time-out or more is named, with the time-out that would leave room', () => {
  const clean: ExploreReport['discovery'] = { tracedRun: { verdict: 'works' }, unknownSyscallNames: [], unparsedLines: { count: 0, examples: [] }, unparsedArguments: 0, notAnalysed: [] };
  const report = (baselineMs: number | undefined, timeoutSec: number): ExploreReport =>
    ({ discovery: clean, workload: { timeoutSec }, timing: { wallMs: 1, discoveryMs: 1, experimentsMs: 1, jobs: 4, ...(baselineMs !== undefined ? { baselineMs } : {}) } }) as ExploreReport;
  // xz -T2 -6 on 2.5 MB at load 20 to 25: the baseline took 13.6 s, xz with futex faked 25 s in one analysis and past 30 s in another.
  const [warning, ...more] = analysisWarnings(report(13_610, 30));
  assert.deepEqual(more, []);
  assert.match(warning!, /^time-out: the unperturbed run took 13\.6 s, 45% of --timeout 30 s/);
  assert.match(warning!, /judged broken/);
  assert.match(warning!, /--timeout 41\b/, 'three times the baseline, rounded up');
  assert.deepEqual(analysisWarnings(report(9_000, 30)), [], 'less than a third');
  assert.deepEqual(analysisWarnings(report(undefined, 30)), [], 'no baseline measured');
});
