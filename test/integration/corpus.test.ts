import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildProgram, loadCorpus, type BuiltProgram, type CorpusProgram, type SyscallExpectation } from '../helpers/corpus.js';
import { processesMentioning, runLoupe, tempDir } from '../helpers/cli.js';
import { capture, type Captured } from '../../src/sandbox/capture.js';
import { runPool } from '../../src/core/pool.js';
import { classFromVerdicts } from '../../src/core/verdict.js';
import type { ExploreReport } from '../../src/explore/report.js';
import { X86_64 } from '../../src/syscalls/table.js';

/**
 * Ground truth anyone can read: every program of test/corpus declares what `loupe explore`
 * must find (see test/helpers/corpus.ts for the declarations), and this one table-driven
 * runner checks it. Where strace can make the same perturbation (`-e inject=SYSCALL:error=ENOSYS`
 * for a stub, `:retval=0` for a fake), the declared class is also checked against that, so an
 * expectation rests on something independent of our engine; declared fallbacks are checked with
 * strace alone.
 */

const corpus = loadCorpus();
const root = tempDir('corpus');
/** Programs analysed side by side; each analysis runs 2 experiments at a time. */
const PROGRAMS_AT_ONCE = 4;
const EXPLORE_JOBS = '2';
/** A run under strace's injection still going after this long is judged hung, as the engine would. */
const INJECT_LIMIT_MS = 5000;

// Compiled once, four at a time, before the first test needs them; a program that does not
// compile fails its own test only.
const builds = runPool(corpus, (program) => buildProgram(program, root).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err)))), { jobs: 4, stopOnFirstError: false });
async function builtProgram(name: string): Promise<BuiltProgram> {
  const built = (await builds)[corpus.findIndex((p) => p.name === name)]!;
  if (built instanceof Error) throw built;
  return built;
}

test('the corpus: at least 25 programs, both workload kinds, every declaration used', () => {
  assert.ok(corpus.length >= 25, `${corpus.length} programs`);
  assert.ok(corpus.some((p) => p.kind === 'server') && corpus.some((p) => p.kind === 'sequential'));
  for (const p of corpus) {
    const declared = p.expect.length + p.expectSubfeatures.length + p.expectNotAnalysed.length + p.expectReasons.length + p.expectUnchanged.length;
    assert.ok(declared > 0 || p.expectError, `${p.source} declares nothing to check`);
  }
  const crossChecked = corpus.filter((p) => p.kind === 'sequential' && !p.expectError).flatMap((p) => p.expect.filter((e) => e.noInject === undefined));
  assert.ok(crossChecked.length >= 20, `only ${crossChecked.length} expectations checked against strace's injection`);
});

/** Runs the program once under `strace -f` with `options`, in a copy of its folder (a program may rewrite its files). */
async function underStrace(built: BuiltProgram, options: readonly string[]): Promise<{ run: Captured; dir: string; trace: string }> {
  const dir = tempDir(`inject-${built.program.name}`);
  cpSync(built.dir, dir, { recursive: true });
  const trace = join(dir, 'strace.log');
  const run = await capture(['strace', '-f', '-o', trace, ...options, '--', built.binary, ...built.program.args], { cwd: dir, timeoutMs: INJECT_LIMIT_MS });
  return { run, dir, trace };
}

/** Runs the program once under strace with `syscall` perturbed the way `action` says; the test script judges it. */
async function verdictUnderInjection(built: BuiltProgram, syscall: string, action: 'stub' | 'fake'): Promise<'works' | 'broken'> {
  const inject = `inject=${syscall}:${action === 'stub' ? 'error=ENOSYS' : 'retval=0'}`;
  const { run, dir } = await underStrace(built, ['-e', `trace=${syscall}`, '-e', inject]);
  if (run.code !== 0) return 'broken';
  const log = join(dir, 'injected.log');
  writeFileSync(log, run.stdout + run.stderr);
  const judged = await capture([built.testScript, log], { cwd: dir, timeoutMs: INJECT_LIMIT_MS });
  return judged.code === 0 ? 'works' : 'broken';
}

async function crossCheck(built: BuiltProgram, expectation: SyscallExpectation): Promise<void> {
  const [stub, fake] = await Promise.all([verdictUnderInjection(built, expectation.syscall, 'stub'), verdictUnderInjection(built, expectation.syscall, 'fake')]);
  assert.equal(
    classFromVerdicts(stub === 'works', fake === 'works'),
    expectation.class,
    `${built.program.source}: strace's injection says ${expectation.syscall} stubbed ${stub}, faked ${fake}`,
  );
}

/** Names of the calls in a strace log, read with a plain pattern (`PID name(`), not with our parser. */
function callNames(traceFile: string): Set<string> {
  return new Set([...readFileSync(traceFile, 'utf8').matchAll(/^\d+ +([a-z0-9_]+)\(/gm)].map((m) => m[1]!));
}

/** A declared fallback, seen by strace alone: the replacements appear when the syscall says ENOSYS, and only then. */
async function checkFallback(built: BuiltProgram, fallback: CorpusProgram['fallbacks'][number]): Promise<void> {
  const [plain, stubbed] = await Promise.all([underStrace(built, []), underStrace(built, ['-e', `inject=${fallback.syscall}:error=ENOSYS`])]);
  assert.equal(stubbed.run.code, 0, `${built.program.source}: the program fails with ${fallback.syscall} stubbed, so it has no fallback`);
  const before = callNames(plain.trace);
  const after = callNames(stubbed.trace);
  for (const call of fallback.replacements) {
    assert.ok(!before.has(call), `${built.program.source}: ${call} is called even when ${fallback.syscall} works`);
    assert.ok(after.has(call), `${built.program.source}: ${call} is not called when ${fallback.syscall} says ENOSYS`);
  }
}

/** Bytes and mode of each file of the folder, to tell that an analysis changed nothing. */
function snapshot(dir: string): Map<string, string> {
  return new Map(readdirSync(dir).sort().map((name) => {
    const path = join(dir, name);
    return [name, `${statSync(path).mode.toString(8)} ${readFileSync(path).toString('base64')}`];
  }));
}

function checkReport(program: CorpusProgram, report: ExploreReport, grouped: boolean): void {
  const where = `test/corpus/${program.source}`;
  for (const e of program.expect) {
    const found = report.syscalls.find((s) => s.name === e.syscall);
    assert.ok(found, `${where}: ${e.syscall} was not analysed (used: ${report.syscalls.map((s) => s.name).join(' ')})`);
    assert.equal(found.class, e.class, `${where}: ${e.syscall} (stubbed ${found.stub}, faked ${found.fake})`);
  }
  for (const e of program.expectSubfeatures) {
    const what = `${e.syscall} argument ${e.argIndex} ${e.bit ? 'bit' : 'value'} ${e.label}`;
    const found = report.subfeatures.find((f) => f.syscall === e.syscall && f.argIndex === e.argIndex && (f.bit ?? false) === e.bit && f.label === e.label);
    assert.ok(found, `${where}: no sub-feature ${what} (found: ${report.subfeatures.map((f) => `${f.syscall}:${f.argIndex}:${f.label}`).join(' ')})`);
    assert.deepEqual([found.stub, found.fake], [e.stub, e.fake], `${where}: ${what} stubbed, faked`);
  }
  // The declared fallbacks (checked with strace alone in checkFallback) are measured for their own syscall, grouped or not.
  for (const f of program.fallbacks) {
    const added = (report.fallbacks?.[String(X86_64.number(f.syscall))]?.stub?.added ?? []).map((nr) => X86_64.name(nr));
    for (const call of f.replacements) assert.ok(added.includes(call), `${where}: stub ${f.syscall} falls back to ${call}, the report says ${added.join(', ') || 'nothing'} (${report.fallbacksUnavailable ?? 'measured'})`);
  }
  // With group testing a verdict may come from a group's run, whose reason is the group's.
  for (const e of grouped ? [] : program.expectReasons) {
    const experiment = report.experiments.find((x) => x.id === e.experiment);
    assert.match(experiment?.reason ?? '', e.pattern, `${where}: why ${e.experiment} was judged ${experiment?.verdict}`);
  }
  for (const e of program.expectNotAnalysed) {
    assert.ok(
      report.discovery.notAnalysed.some((c) => c.abi === e.abi && c.name === e.name),
      `${where}: ${e.abi} ${e.name} not reported as not analysed: ${JSON.stringify(report.discovery.notAnalysed)}`,
    );
    assert.ok(!report.syscalls.some((s) => s.name === e.name && program.expect.every((x) => x.syscall !== e.name)), `${where}: ${e.name} counted as native`);
  }
  // Every corpus script judges the program's work, so a do-nothing stand-in must fail it.
  assert.equal(report.negativeControl?.verdict, 'broken', `${where}: negative control ${JSON.stringify(report.negativeControl)}`);
}

/** `grouped`: analysed with group testing (the default), else with --no-group-testing; the strace cross-checks are made once, by the one-at-a-time pass. */
async function checkProgram(program: CorpusProgram, grouped: boolean): Promise<void> {
    const built = await builtProgram(program.name);
    // strace's runs work on copies of the folder, so they go on while loupe analyses the program.
    const crossChecks = program.kind === 'sequential' && !program.expectError && !grouped
      ? Promise.all([
          ...program.expect.filter((e) => e.noInject === undefined).map((e) => crossCheck(built, e)),
          ...program.fallbacks.map((f) => checkFallback(built, f)),
        ])
      : Promise.resolve([]);
    const before = snapshot(built.dir);
    const r = await runLoupe(
      [
        'explore', '-b', built.binary, '-t', built.testScript, ...(program.kind === 'sequential' ? ['--test-sequential'] : []),
        '--json', '--disable-static', '--jobs', EXPLORE_JOBS, '--timeout', '10', ...(grouped ? [] : ['--no-group-testing']), ...program.exploreOptions, '--', ...program.args,
      ],
      { cwd: built.dir },
    );
    await crossChecks;
    if (program.expectError) {
      assert.equal(r.code, program.expectError.exitCode, r.stderr);
      assert.match(r.stderr, program.expectError.pattern);
      assert.match(r.stderr, /hint: /, 'the error says what to do');
    } else {
      assert.equal(r.code, 0, r.stderr);
      checkReport(program, JSON.parse(r.stdout) as ExploreReport, grouped);
    }
    const after = snapshot(built.dir);
    for (const name of program.expectUnchanged) assert.equal(after.get(name), before.get(name), `${program.source}: ${name} changed`);
    if (program.expectUnchanged.length > 0) assert.deepEqual([...after.keys()], [...before.keys()], `${program.source}: files appeared or vanished`);
    assert.deepEqual(processesMentioning(`${built.dir}/`), [], 'nothing left running');
}

test('each corpus program gets the verdicts it declares', { concurrency: PROGRAMS_AT_ONCE }, async (t) => {
  await Promise.all(
    corpus.map((program) => {
      return t.test(`${program.name}: ${program.expectError ? 'refused' : program.kind}`, () => checkProgram(program, false));
    }),
  );
});

// Group testing is the default because it changes no whole-syscall class and no declared fallback (issue 15).
test('with group testing, each corpus program gets the same classes', { concurrency: PROGRAMS_AT_ONCE }, async (t) => {
  await Promise.all(
    corpus.filter((program) => !program.expectError).map((program) => t.test(`${program.name}: ${program.kind}`, () => checkProgram(program, true))),
  );
});
