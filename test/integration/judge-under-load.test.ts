import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileC, REPO_ROOT, tempDir } from '../helpers/cli.js';
import { ProcessGroups, sleep, type GroupProcess } from '../../src/sandbox/process.js';
import { readCpuPressure } from '../../src/sandbox/cpu-pressure.js';
import { SyscallCounter } from '../../src/trace/syscall-counter.js';
import { runExperiment, type RunnerEnvironment } from '../../src/explore/run-experiment.js';
import { X86_64 } from '../../src/syscalls/table.js';
import type { Experiment } from '../../src/explore/experiment.js';

// Busy loops of our own, pinned to CPU 0: the load, made here, reaped with the test's groups.
// Each is a group (a session) of its own: with autogroup scheduling (sched_autogroup_enabled),
// the CPU is shared between sessions first, so three loops in one session would take only half.
function spinOnCpu0(groups: ProcessGroups, loops: number): GroupProcess[] {
  return Array.from({ length: loops }, () => groups.start({ argv: ['taskset', '-c', '0', 'sh', '-c', 'while :; do :; done'] }));
}

async function startCounter(groups: ProcessGroups, dir: string): Promise<SyscallCounter> {
  const counter = await SyscallCounter.start(groups, join(REPO_ROOT, 'dist/bin/loupe-syscall-counter'), join(dir, 'counter.log'));
  assert.ok(counter instanceof SyscallCounter, `each run needs a cgroup of its own (root and cgroup v2): ${JSON.stringify(counter)}`);
  return counter;
}

// Real processes in a run's cgroup: one that competes with other work for its CPU is kept off it
// ("full" grows), one asleep is not; the totals stay readable after the processes have exited.
test('cpu.pressure of a run\'s cgroup: a spinner sharing its CPU with other work is starved, a sleeper is not', async () => {
  const dir = tempDir('pressure');
  const groups = new ProcessGroups();
  const counter = await startCounter(groups, dir);
  try {
    const [contended, asleep] = [counter.newRun(), counter.newRun()];
    const load = spinOnCpu0(groups, 3);
    const spinner = groups.start({ argv: ['taskset', '-c', '0', 'sh', '-c', 'while :; do :; done'] });
    const sleeper = groups.start({ argv: ['sh', '-c', 'sleep 30'] });
    writeFileSync(join(contended.dir, 'cgroup.procs'), String(spinner.pid));
    writeFileSync(join(asleep.dir, 'cgroup.procs'), String(sleeper.pid));
    await sleep(1000);
    await spinner.kill();
    await sleeper.kill();
    for (const loop of load) await loop.kill();
    const starved = readCpuPressure(contended.dir);
    const idle = readCpuPressure(asleep.dir);
    assert.ok(starved && idle, 'this kernel reports cpu.pressure with a full line for each cgroup (Linux >= 5.13, PSI on)');
    // One of four busy loops on one CPU, each in a session of its own: kept off it about three quarters of the second.
    assert.ok(starved.fullMs >= 250, `a spinner sharing its CPU with three others was starved ${starved.fullMs} ms in 1 s`);
    assert.ok(idle.fullMs < 50, `a sleeper was starved ${idle.fullMs} ms`);
    await counter.take(contended);
    await counter.take(asleep);
  } finally {
    await counter.finish();
    await groups.stopAll();
  }
});

test('a hang is judged in the time the run could have run: a spinner starved past its limit works, a sleeper is stopped and not retried', async () => {
  const dir = tempDir('starved');
  const prog = compileC('spin-cpu.c', dir);
  const groups = new ProcessGroups();
  const counter = await startCounter(groups, dir);
  const env: RunnerEnvironment = { groups, launcher: join(REPO_ROOT, 'dist/bin/loupe-launch'), isolateHelper: join(REPO_ROOT, 'dist/bin/loupe-isolate'), table: X86_64, workDir: join(dir, 'work'), counter };
  let limitMs = 0;
  const experiment = (id: string, arg: string, attempts: number): Experiment => ({
    id,
    description: id,
    workload: { program: prog, args: [arg], cwd: dir, sequential: true, timeoutMs: 60_000 },
    perturbation: { rules: [] },
    judge: { attempts, inconclusiveRetries: 0, readyListeners: 0, readyWaitMs: 0, hangLimitMs: limitMs, cpuLimitMs: 20_000 },
  });
  const load = spinOnCpu0(groups, 3);
  try {
    // 600 ms of CPU time with three busy loops on the same CPU take about 2.4 s of wall time on
    // an idle machine, and more on one loaded by others: measured here, under the same load, so
    // that the limit (half of it) sits below the wall time and its cap (5x) well above it.
    const started = Date.now();
    const direct = await groups.start({ argv: [prog, '600'] }).exited;
    assert.equal(direct.code, 0);
    const wallMs = Date.now() - started;
    limitMs = Math.max(700, Math.round(wallMs / 2));
    assert.ok(limitMs < wallMs, `the premise: 600 ms of CPU beside three busy loops took ${wallMs} ms, past a ${limitMs} ms limit`);
    // Judged by wall time alone (no run cgroup, hence no measure), a hang.
    const byWallTime = await runExperiment(experiment('wall', '600', 1), { ...env, counter: undefined });
    assert.equal(byWallTime.verdict, 'broken');
    assert.equal(byWallTime.lastAttempt.failure, 'hang', byWallTime.reason);
    // Its limit moved on by the time the busy loops kept it off the CPU: it finishes, and works.
    const starved = await runExperiment(experiment('starved', '600', 1), env);
    assert.equal(starved.verdict, 'works', `${starved.reason}; starved ${JSON.stringify(starved.lastAttempt.starved)}`);
    assert.ok(starved.lastAttempt.starved!.share > 0.25, `it was starved: ${JSON.stringify(starved.lastAttempt.starved)}`);
    // A sleeper waits for no CPU: its limit is not moved to the cap, and the hang is not retried.
    const asleep = await runExperiment(experiment('asleep', 'sleep', 2), env);
    assert.equal(asleep.verdict, 'broken');
    assert.equal(asleep.lastAttempt.failure, 'hang');
    assert.equal(asleep.lastAttempt.extension?.capped, false, JSON.stringify(asleep.lastAttempt.extension));
    assert.equal(asleep.attempts, 1);
    assert.match(asleep.stoppedBecause ?? '', /other work kept it off the CPU.*load cannot explain it/);
  } finally {
    for (const loop of load) await loop.kill();
    await counter.finish();
    await groups.stopAll();
  }
});
