import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileC, processesMentioning, REPO_ROOT, runLoupe, tempDir, writeScript } from '../helpers/cli.js';
import type { ExploreReport } from '../../src/explore/report.js';
import { parseFallbacksCsv } from '../../src/db/fallbacks-csv.js';
import { parseStraceLog } from '../../src/trace/parser.js';
import { X86_64 } from '../../src/syscalls/table.js';
import { ProcessGroups } from '../../src/sandbox/process.js';
import { SyscallCounter } from '../../src/trace/syscall-counter.js';
import { runExperiment, type RunnerEnvironment } from '../../src/explore/run-experiment.js';
import { runPool } from '../../src/core/pool.js';
import type { Experiment } from '../../src/explore/experiment.js';

const nr = (name: string): number => X86_64.number(name)!;

/**
 * Ground truth independent of the engine: the syscalls a program executes under strace with
 * `inject=SYSCALL:error=ENOSYS` that it does not execute unperturbed.
 */
function straceAdded(argv: readonly string[], stubbed: string, dir: string, treatment: 'stub' | 'fake' = 'stub'): number[] {
  const names = (extra: readonly string[], log: string): Set<number> => {
    const r = spawnSync('strace', ['-f', '-qq', '-o', log, ...extra, '--', ...argv], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return new Set(parseStraceLog(readFileSync(log, 'utf8'), X86_64).events.map((e) => e.nr));
  };
  const plain = names([], join(dir, 'plain.log'));
  const injected = names(['-e', `inject=${stubbed}:${treatment === 'stub' ? 'error=ENOSYS' : 'retval=0'}`], join(dir, 'injected.log'));
  return [...injected].filter((n) => !plain.has(n)).sort((a, b) => a - b);
}

async function exploreJson(args: readonly string[], cwd?: string): Promise<ExploreReport> {
  const r = await runLoupe(['explore', '--disable-static', '--json', ...args], cwd ? { cwd } : {});
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as ExploreReport;
  assert.equal(report.fallbacksUnavailable, undefined, 'fallbacks are measured on this machine (root, cgroup v2, BPF)');
  assert.ok(report.fallbacks);
  return report;
}

test('pthread_create: with clone3 stubbed, glibc falls back to clone (and strace -e inject agrees)', async () => {
  const dir = tempDir('fb-clone3');
  const prog = compileC('fallback-clone3.c', dir, ['-DTHREAD_SLEEP_MS=50']);
  const script = writeScript(dir, 'test.sh', `grep -q '^ok$' "$1"`);
  const report = await exploreJson(['-b', prog, '-t', script, '--test-sequential', '--out', join(dir, 'out')]);
  assert.equal(report.syscalls.find((s) => s.nr === nr('clone3'))?.stub, 'works');
  assert.deepEqual(report.fallbacks![String(nr('clone3'))]?.stub, { added: [nr('clone')], dropped: [nr('clone3')] });
  assert.deepEqual(straceAdded([prog], 'clone3', dir), [nr('clone')]);
  // The same entry in fallbacks.csv, next to dyn.csv.
  const csv = parseFallbacksCsv(readFileSync(join(dir, 'out', 'fallbacks.csv'), 'utf8'), 'fallbacks.csv');
  assert.deepEqual(csv, report.fallbacks);
  assert.deepEqual(processesMentioning(dir), []);
});

test('faccessat with AT_EACCESS: with faccessat2 stubbed, glibc falls back to faccessat', async () => {
  const dir = tempDir('fb-faccessat2');
  const prog = compileC('fallback-faccessat2.c', dir);
  const script = writeScript(dir, 'test.sh', `grep -q '^ok$' "$1"`);
  const report = await exploreJson(['-b', prog, '-t', script, '--test-sequential', '--out', join(dir, 'out')]);
  // The human summary (also in explore.log) says it in words.
  const summary = readFileSync(join(dir, 'out', 'explore.log'), 'utf8');
  assert.match(summary, /^ {2}faccessat2: stub works, falls back to faccessat$/m, summary);
  assert.deepEqual(report.fallbacks![String(nr('faccessat2'))]?.stub, { added: [nr('faccessat')], dropped: [nr('faccessat2')] });
  assert.deepEqual(straceAdded([prog], 'faccessat2', dir), [nr('faccessat')]);
  // Recording changes no verdict: the same classes with --no-fallbacks.
  const unrecorded = await runLoupe(['explore', '--disable-static', '--json', '--no-fallbacks', '-b', prog, '-t', script, '--test-sequential']);
  assert.equal(unrecorded.code, 0, unrecorded.stderr);
  const classes = (r: ExploreReport): string[] => r.syscalls.map((v) => `${v.name}:${v.class}`);
  assert.deepEqual(classes(JSON.parse(unrecorded.stdout) as ExploreReport), classes(report));
});

test('a resumed analysis keeps the fallbacks of the experiments it restores from its journal', async () => {
  const dir = tempDir('fb-journal');
  const prog = compileC('fallback-faccessat2.c', dir);
  const script = writeScript(dir, 'test.sh', `grep -q '^ok$' "$1"`);
  const args = ['-b', prog, '-t', script, '--test-sequential', '--journal', join(dir, 'journal.jsonl')];
  const first = await exploreJson(args);
  const journaled = readFileSync(join(dir, 'journal.jsonl'), 'utf8');
  const second = await exploreJson(args);
  // Nothing ran again: every experiment came from the journal, which each entry's executed syscalls travel in.
  assert.equal(readFileSync(join(dir, 'journal.jsonl'), 'utf8'), journaled);
  assert.match(journaled, /"executed":\[/);
  assert.deepEqual(second.fallbacks![String(nr('faccessat2'))]?.stub, { added: [nr('faccessat')], dropped: [nr('faccessat2')] });
  assert.deepEqual(second.fallbacks, first.fallbacks);
});

test('group testing (the default): a fallback is measured for one syscall; a group left whole made the program execute nothing new', async () => {
  const dir = tempDir('fb-groups');
  const prog = compileC('fallback-clone3.c', dir);
  const script = writeScript(dir, 'test.sh', `grep -q '^ok$' "$1"`);
  const report = await exploreJson(['-b', prog, '-t', script, '--test-sequential']);
  const groups = report.fallbackGroups ?? [];
  const inferred = report.experiments.filter((e) => e.inferredFrom !== undefined);
  assert.ok(inferred.length > 0 && groups.length > 0, 'some verdicts come from group runs');
  // Each inferred verdict is covered by exactly one working group of its treatment, and has no entry of its own.
  for (const e of inferred) {
    const [treatment, name] = e.id.split(':') as ['stub' | 'fake', string];
    assert.equal(groups.filter((g) => g.treatment === treatment && g.syscalls.includes(nr(name))).length, 1, e.id);
    assert.equal(report.fallbacks![String(nr(name))]?.[treatment], undefined, e.id);
  }
  // Ground truth for each group: strace injecting the same treatment into all its syscalls at once adds nothing either.
  const varying = new Set(report.fallbacksVarying ?? []);
  for (const g of groups) {
    const names = g.syscalls.map((n) => X86_64.name(n)!).join(',');
    assert.deepEqual(g.added, [], `${g.treatment} ${names}`);
    assert.deepEqual(straceAdded([prog], names, dir, g.treatment).filter((n) => !varying.has(n)), [], `strace: ${g.treatment} ${names}`);
  }
  // clone3's fallback is its own, as one-at-a-time testing measures it.
  assert.deepEqual(report.fallbacks![String(nr('clone3'))]?.stub, { added: [nr('clone')], dropped: [nr('clone3')] });
});

test('a run\'s record is what strace sees the program and its children execute, plus the launcher\'s seccomp, and nothing of the sandbox', async () => {
  const dir = tempDir('fb-exact');
  const prog = compileC('fallback-faccessat2.c', dir);
  const script = writeScript(dir, 'test.sh', `grep -q '^ok$' "$1"`);
  const groups = new ProcessGroups();
  const counter = await SyscallCounter.start(groups, join(REPO_ROOT, 'dist/bin/loupe-syscall-counter'), join(dir, 'counter.log'));
  assert.ok(counter instanceof SyscallCounter, JSON.stringify(counter));
  const env: RunnerEnvironment = { groups, launcher: join(REPO_ROOT, 'dist/bin/loupe-launch'), isolateHelper: join(REPO_ROOT, 'dist/bin/loupe-isolate'), table: X86_64, workDir: join(dir, 'work'), counter };
  // A C program, and a shell whose child runs another program: both write to a file, as in the sandbox.
  const workloads: [string, string[]][] = [[prog, []], ['/bin/sh', ['-c', `/bin/cat ${script} >/dev/null; echo ok`]]];
  try {
    for (const [program, args] of workloads) {
      const r = await runExperiment({
        id: `control:${program}`,
        description: 'control',
        workload: { program, args, cwd: dir, testScript: script, sequential: true, timeoutMs: 20_000 },
        perturbation: { rules: [] },
        judge: { attempts: 1, inconclusiveRetries: 0, readyListeners: 0, readyWaitMs: 0 },
      }, env);
      assert.equal(r.verdict, 'works', r.reason);
      const traced = spawnSync('sh', ['-c', `strace -f -qq -o trace.log "$@" > out.log`, 'sh', program, ...args], { cwd: dir, encoding: 'utf8' });
      assert.equal(traced.status, 0, traced.stderr);
      const straced = new Set(parseStraceLog(readFileSync(join(dir, 'trace.log'), 'utf8'), X86_64).events.map((e) => e.nr));
      const names = (nrs: Iterable<number>): string[] => [...nrs].map((n) => X86_64.name(n)!).sort();
      assert.deepEqual(names(r.executed ?? []), names(new Set([...straced, nr('seccomp')])), program);
    }
  } finally {
    await counter.finish();
    await groups.stopAll();
  }
});

/**
 * Two-sided Fisher exact test of a 2x2 table (works/broken by way of running): the chance, with
 * the same odds in both ways, of a split at least as uneven as the one seen.
 */
function fisherExact(a: number, b: number, c: number, d: number): number {
  const logFactorial = (n: number): number => (n <= 1 ? 0 : Math.log(n) + logFactorial(n - 1));
  const [rows, col, n] = [a + b, a + c, a + b + c + d];
  const p = (x: number): number =>
    Math.exp(logFactorial(rows) + logFactorial(n - rows) + logFactorial(col) + logFactorial(n - col) - logFactorial(n) - logFactorial(x) - logFactorial(rows - x) - logFactorial(col - x) - logFactorial(n - rows - col + x));
  const seen = p(a);
  let total = 0;
  for (let x = Math.max(0, col - (n - rows)); x <= Math.min(rows, col); x++) if (p(x) <= seen * (1 + 1e-9)) total += p(x);
  return Math.min(1, total);
}

test('recording leaves a racy verdict\'s odds alone: stub futex of the pthread program, recorded runs and unrecorded ones side by side', async () => {
  // pthread_join aborts when futex says ENOSYS and the thread has not ended yet: whether stub
  // futex works is a race, which anything done just before the program starts shifts. Moving the
  // launcher into its cgroup (a cgroup.procs write) took it from 27/48 working runs to 3/48.
  const dir = tempDir('fb-race');
  const prog = compileC('fallback-clone3.c', dir);
  const script = writeScript(dir, 'test.sh', `grep -q '^ok$' "$1"`);
  const groups = new ProcessGroups();
  const workDir = join(dir, 'work');
  const counter = await SyscallCounter.start(groups, join(REPO_ROOT, 'dist/bin/loupe-syscall-counter'), join(dir, 'counter.log'));
  assert.ok(counter instanceof SyscallCounter, JSON.stringify(counter));
  const env: RunnerEnvironment = { groups, launcher: join(REPO_ROOT, 'dist/bin/loupe-launch'), isolateHelper: join(REPO_ROOT, 'dist/bin/loupe-isolate'), table: X86_64, workDir };
  const stubFutex = (i: number): Experiment => ({
    id: `stub:futex:${i}`,
    description: 'stub futex',
    workload: { program: prog, args: [], cwd: dir, testScript: script, sequential: true, timeoutMs: 20_000 },
    perturbation: { rules: [{ nr: nr('futex'), action: 'stub' }] },
    judge: { attempts: 1, inconclusiveRetries: 0, readyListeners: 0, readyWaitMs: 0 },
  });
  const works = { recorded: 0, unrecorded: 0 };
  const recordedRuns: (number[] | undefined)[] = [];
  let i = 0;
  try {
    for (let block = 0; block < 6; block++) {
      for (const way of ['unrecorded', 'recorded'] as const) {
        await runPool(Array.from({ length: 8 }, () => i++), async (n) => {
          const r = await runExperiment(stubFutex(n), way === 'recorded' ? { ...env, counter } : env);
          if (r.verdict === 'works') works[way]++;
          if (way === 'recorded') recordedRuns.push(r.executed);
        }, { jobs: 4, stopOnFirstError: true });
      }
    }
  } finally {
    await counter.finish();
    await groups.stopAll();
  }
  // The recorded runs were recorded: the application's own syscalls, not the stubbed futex.
  assert.equal(recordedRuns.length, 48);
  for (const executed of recordedRuns) {
    assert.ok(executed?.includes(nr('execve')) && executed.includes(nr('clone3')) && !executed.includes(nr('futex')), `a recorded run: ${executed?.join(' ')}`);
  }
  const p = fisherExact(works.recorded, 48 - works.recorded, works.unrecorded, 48 - works.unrecorded);
  console.log(`stub futex works: recorded ${works.recorded}/48, unrecorded ${works.unrecorded}/48 (Fisher p = ${p.toPrecision(2)})`);
  assert.ok(p > 0.001, `recording changed the odds: ${works.recorded}/48 recorded runs worked, ${works.unrecorded}/48 unrecorded ones (p = ${p})`);
});

test('cp (coreutils), perturbed alone under a shell: with copy_file_range stubbed, it copies with read and write', async () => {
  const dir = tempDir('fb-cp');
  writeFileSync(join(dir, 'src.bin'), Buffer.alloc(200_000, 7));
  // Each run copies into a folder of its own: experiments run side by side in the same cwd.
  // --writable: source and copy on the host's file system. Through a run's copy-on-write layer
  // they would be on two file systems, where copy_file_range never works (EXDEV) and cp always
  // writes.
  const report = await exploreJson(
    ['-b', '/bin/sh', '--only-consider', '/usr/bin/cp', '--test-sequential', '--writable', dir, '--', '-c', 'd=$(mktemp -d -p "$PWD") && cp src.bin "$d/dst" && cmp src.bin "$d/dst" && rm -r "$d"'],
    dir,
  );
  const cfr = String(nr('copy_file_range'));
  assert.equal(report.syscalls.find((s) => s.nr === nr('copy_file_range'))?.stub, 'works');
  assert.ok(!report.used.includes(nr('write')), 'cp writes nothing else, so write is not used unperturbed');
  assert.deepEqual(report.fallbacks![cfr]?.stub?.added, [nr('write')]);
  assert.ok(report.fallbacks![cfr]?.stub?.dropped.includes(nr('copy_file_range')));
  assert.deepEqual(straceAdded(['cp', 'src.bin', 'strace-dst.bin'], 'copy_file_range', dir), [nr('write')]);
});
