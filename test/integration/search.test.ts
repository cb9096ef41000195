/**
 * `loupe search` end to end on the real public database, copied into a temporary git
 * repository. Expected usage lists were worked out by hand from the CSV files (awk over
 * columns 2-5), not by the code under test.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, readFileSync, rmSync, writeFileSync, mkdirSync, chmodSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { readDatabase } from '../../src/db/reader.js';
import { selectApplications } from '../../src/analysis/selection.js';
import { publicDb } from '../helpers/public-db.js';
import { tempDir } from '../helpers/temp-dirs.js';

const PUBLIC_DB = publicDb();
const CLI = new URL('../../src/cli/main.js', import.meta.url).pathname;

let work: string;
let db: string;

function git(cwd: string, ...args: string[]): void {
  const r = spawnSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.org', '-c', 'commit.gpgsign=false', ...args], { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

function loupe(...args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function searchJson(...args: string[]): any {
  const r = loupe('search', '-db', db, '--json', ...args);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

before(() => {
  work = tempDir('search');
  db = join(work, 'loupedb');
  cpSync(PUBLIC_DB, db, { recursive: true });
  // The public copy is read-only; the test commits into it.
  spawnSync('chmod', ['-R', 'u+w', db]);
  git(db, 'init', '-q');
  git(db, 'add', '-A');
  git(db, 'commit', '-qm', 'public data');
});

after(() => rmSync(work, { recursive: true, force: true }));

test('usage of one application matches its dyn.csv, classes labelled as in the CSV header', () => {
  // dhrystone/benchmark-dhrystone/b1955ecf.../data/dyn.csv: col 3 "works faked", col 4 "works stubbed".
  const u = searchJson('-a', 'dhrystone', '--show-usage');
  assert.deepEqual(u.required, [0, 1, 9, 17, 59, 100, 158, 257, 262]);
  assert.deepEqual(u.fakeOnly, [3, 10]);
  assert.deepEqual(u.stubOnly, []);
  assert.deepEqual(u.both, [11, 12, 21, 218, 231, 273, 302, 318, 334]);
  assert.deepEqual(u.staticBinary, [60, 100]);
  const named = searchJson('-a', 'dhrystone', '--show-usage', '--output-sys-names');
  assert.deepEqual(named.fakeOnly, ['close', 'mprotect']);
  assert.deepEqual(named.required.slice(0, 4), ['read', 'write', 'mmap', 'pread64']);
});

test('the note on normalised old rows counts the rows of the applications the query reads, not the whole database', () => {
  // The public database's django rows set several "works" columns; a query on dhrystone does not read them.
  const own = loupe('search', '-db', db, '-a', 'dhrystone');
  assert.equal(own.status, 0, own.stderr);
  assert.doesNotMatch(own.stderr, /normalised/);
  const django = loupe('search', '-db', db, '-a', 'django');
  assert.match(django.stderr, /loupe: note: \d+ rows of old data were normalised while reading \(first: django\//);
  const all = loupe('search', '-db', db, '--json');
  const count = (stderr: string) => Number(/note: (\d+) rows/.exec(stderr)?.[1]);
  assert.ok(count(all.stderr) >= count(django.stderr), `${all.stderr}\n${django.stderr}`);
});

test('several applications: required if any requires it; a class holds only if it holds for every user', () => {
  // lua (run 5b48cb66..., see the run-choice test): write (1) stub-only; dhrystone requires it.
  const u = searchJson('-a', 'dhrystone,lua', '-w', 'bench', '--show-usage');
  assert.deepEqual(u.required, [0, 1, 9, 17, 59, 100, 158, 257, 262]);
  assert.deepEqual(u.stubOnly, []);
  assert.deepEqual(u.fakeOnly, [3, 10]);
  assert.deepEqual(u.both, [11, 12, 13, 21, 218, 231, 273, 302, 318, 334]);
  assert.deepEqual(u.applications, ['dhrystone', 'lua']);
});

test('text usage: the syscalls required because applications disagree are listed under the required ones', () => {
  // nginx and redis disagree on lseek, mprotect, dup2 and prlimit64 (one can only stub, the other only fake).
  const r = loupe('search', '-db', db, '-a', 'nginx,redis', '--output-sys-names');
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n');
  const heading = (prefix: string): number => lines.findIndex((l) => l.startsWith(prefix));
  const conflicting = heading('  of which required because applications disagree');
  assert.ok(conflicting > heading('Required ('), r.stdout);
  assert.ok(conflicting < heading('Stub-only ('), r.stdout);
  assert.match(lines[conflicting + 1]!, /lseek, mprotect, dup2, prlimit64/);
});

test('run choice: measured before imported, then the run touched by the latest commit, then name order', () => {
  // nginx/suite-nginx-tests holds `imported` and c7d2ac9e...: the measured one wins.
  assert.deepEqual(searchJson('-a', 'nginx', '-w', 'suite').runs, ['nginx/suite-nginx-tests/c7d2ac9eca329a756e7690251213b81f']);
  // lua's two runs came in one commit: name order picks 5b48cb66..., where write (1) is stub-only.
  let u = searchJson('-a', 'lua', '--show-usage');
  assert.deepEqual(u.runs, ['lua/benchmark-lua-test/5b48cb66be56e21425e0d1b0328c9cfc']);
  assert.deepEqual(u.stubOnly, [1]);
  // A later commit touching the other run makes it the newest: there write is required.
  const other = join(db, 'lua/benchmark-lua-test/656835c7d071a93357c732822bc0ce5d');
  appendFileSync(join(other, 'cmd.txt'), '\n');
  git(db, 'commit', '-qam', 'touch the other lua run');
  u = searchJson('-a', 'lua', '--show-usage');
  assert.deepEqual(u.runs, ['lua/benchmark-lua-test/656835c7d071a93357c732822bc0ce5d']);
  assert.deepEqual(u.stubOnly, []);
  assert.deepEqual(u.required, [0, 1, 9, 17, 59, 158, 257, 262]);
});

interface Step {
  apps: string[];
  implement: number[];
  stub: number[];
  fake: number[];
}

/** Checks a plan against the data with an independent simulation of what runs. */
function checkPlan(plan: any, osFile: string, apps: Map<string, { used: Set<number>; required: Set<number>; stub: Set<number>; fake: Set<number> }>): void {
  const supported = new Set(readFileSync(osFile, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean).map(nrOf).filter((n): n is number => n !== undefined));
  const treatment = new Map<number, 'stub' | 'fake'>();
  const runs = (name: string): boolean => {
    const a = apps.get(name)!;
    return [...a.used].every((nr) => supported.has(nr) || (!a.required.has(nr) && (treatment.get(nr) === 'stub' ? a.stub.has(nr) : treatment.get(nr) === 'fake' ? a.fake.has(nr) : false)));
  };
  const listed: string[] = [];
  const decide = (stub: number[], fake: number[]): void => {
    for (const nr of [...stub, ...fake]) {
      assert.ok(!treatment.has(nr), `syscall ${nr} decided twice`);
      assert.ok(!supported.has(nr), `syscall ${nr} treated although supported`);
    }
    stub.forEach((nr) => treatment.set(nr, 'stub'));
    fake.forEach((nr) => treatment.set(nr, 'fake'));
  };
  decide(plan.initialStub, plan.initialFake);
  listed.push(...plan.supportedWithoutChanges);
  const runningNow = (): string[] => [...apps.keys()].filter(runs).sort();
  assert.deepEqual(runningNow(), [...listed].sort(), 'apps running before any step');
  for (const step of plan.steps as Step[]) {
    assert.ok(step.implement.length > 0, 'every step implements something');
    for (const nr of step.implement) assert.ok(!supported.has(nr), `step implements ${nr}, already supported`);
    step.implement.forEach((nr) => supported.add(nr));
    decide(step.stub, step.fake);
    listed.push(...step.apps);
    assert.deepEqual(runningNow(), [...listed].sort(), `apps running after implementing ${step.implement}`);
  }
  assert.equal(new Set(listed).size, listed.length, 'no application listed twice');
  assert.deepEqual([...listed].sort(), [...apps.keys()].sort(), 'every application ends up running');
}

let nrOf: (name: string) => number | undefined;

test('support plans: greedy and unlock plans keep their invariants on every OS list', async () => {
  const { X86_64 } = await import('../../src/syscalls/table.js');
  nrOf = (n) => X86_64.number(n);
  const loaded = await readDatabase(db);
  const apps = new Map(selectApplications(loaded, '*', '*').applications.map((a) => [a.name, {
    used: a.usage.used, required: a.usage.required,
    stub: new Set([...a.usage.stubOnly, ...a.usage.both]), fake: new Set([...a.usage.fakeOnly, ...a.usage.both]),
  }]));
  for (const os of ['Unikraft', 'Kerla', 'Gvisor']) {
    const file = join(db, `${os}.syscalls`);
    for (const planner of ['greedy', 'unlock']) {
      const plan = searchJson('--guide-support', file, '--planner', planner);
      assert.equal(plan.planner, planner);
      checkPlan(plan, file, apps);
      if (os === 'Gvisor') assert.deepEqual(plan.unknownNames, ['futimensat']);
    }
  }
});

test('support plan: names mode prints names, and the unlock planner is never worse on average', () => {
  const file = join(db, 'Osv.syscalls');
  const plan = searchJson('--guide-support', file, '--output-sys-names', '-w', 'bench');
  assert.ok(plan.steps[0].implement.every((s: unknown) => typeof s === 'string' && /^[a-z_0-9]+$/.test(s as string)));
  assert.ok(plan.meanAppsRunning.unlock >= plan.meanAppsRunning.greedy);
  const text = loupe('search', '-db', db, '--guide-support', file, '-a', 'nginx,redis');
  assert.equal(text.status, 0);
  assert.match(text.stdout, /Step 1: /);
  assert.match(text.stdout, /implement: /);
  // Unikraft's unlock plan implements one syscall in its first step, two after its second.
  const unikraft = loupe('search', '-db', db, '--guide-support', join(db, 'Unikraft.syscalls'), '--planner', 'unlock');
  assert.match(unikraft.stdout, /^Step 1: .* applications, 1 syscall implemented\)$/m);
  assert.match(unikraft.stdout, /^Step 2: .* applications, 2 syscalls implemented\)$/m);
});

test('compatibility scores agree with the SQLite export, and the README queries run', () => {
  const scores = searchJson('--compat-score', join(db, 'Unikraft.syscalls'), join(db, 'Zephyr.syscalls'));
  assert.deepEqual(scores.map((s: any) => s.os), ['Unikraft', 'Zephyr']);
  const file = join(work, 'export.sqlite');
  const exported = searchJson('--export-sqlite', file);
  assert.equal(exported.applications, 116);
  const sql = new Database(file, { readonly: true });
  try {
    // README query 1: required syscalls of one application.
    const nginxRequired = sql.prepare("SELECT syscall FROM required_syscalls_per_application WHERE application = 'nginx' ORDER BY nr").pluck().all();
    assert.deepEqual(nginxRequired, searchJson('-a', 'nginx', '--show-usage', '--output-sys-names').required);
    // README query 2: the syscalls most applications require.
    const top = sql.prepare('SELECT syscall, COUNT(*) AS applications FROM required_syscalls_per_application GROUP BY nr ORDER BY applications DESC, nr LIMIT 10').all() as { syscall: string; applications: number }[];
    assert.equal(top.length, 10);
    assert.ok(top[0]!.applications >= top[9]!.applications);
    // README query 3: applications an OS runs today.
    const unikraftRuns = sql.prepare("SELECT application FROM os_application_support WHERE os = 'Unikraft' AND missing_required = 0 ORDER BY application").pluck().all();
    assert.deepEqual(unikraftRuns, scores[0].runningToday);
    assert.equal(sql.prepare('SELECT COUNT(*) FROM runs').pluck().get(), 125);
    assert.equal(sql.prepare('SELECT COUNT(*) FROM runs WHERE chosen = 1').pluck().get(), sql.prepare('SELECT COUNT(*) FROM workloads').pluck().get());
    const dhrystoneCmd = readFileSync(join(db, 'dhrystone/benchmark-dhrystone/b1955ecfd356364fc6bc9be176957b50/cmd.txt'), 'utf8').trim();
    assert.equal(sql.prepare("SELECT cmd FROM chosen_runs WHERE application = 'dhrystone'").pluck().get(), dhrystoneCmd);
    assert.equal(sql.prepare('SELECT COUNT(*) FROM os_lists').pluck().get(), 11);
    assert.deepEqual(sql.prepare("SELECT u.name FROM os_unknown_names u JOIN os_lists o ON o.id = u.os_id WHERE o.name = 'Gvisor'").pluck().all(), ['futimensat']);
    assert.deepEqual(
      sql.prepare("SELECT nr FROM dynamic_usage WHERE application = 'dhrystone' AND class = 'fakeOnly' ORDER BY nr").pluck().all(),
      [3, 10],
    );
  } finally {
    sql.close();
  }
  assert.deepEqual(readdirSync(work).filter((f) => f.includes('.tmp-')), [], 'no temporary file left behind');
});

test('SQLite export of a database with one application and one run says so in the singular', () => {
  const one = join(work, 'one-app');
  cpSync(join(PUBLIC_DB, 'dhrystone'), join(one, 'dhrystone'), { recursive: true });
  const r = loupe('search', '-db', one, '--export-sqlite', join(work, 'one.sqlite'));
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `exported 1 application, 1 run and 0 OS lists to ${join(work, 'one.sqlite')}\n`);
});

test('SQLite export keeps sub-feature files found in data/, row by row', () => {
  const small = join(work, 'small');
  cpSync(join(db, 'dhrystone'), join(small, 'dhrystone'), { recursive: true });
  const data = join(small, 'dhrystone/benchmark-dhrystone/b1955ecfd356364fc6bc9be176957b50/data');
  chmodSync(data, 0o755);
  writeFileSync(join(data, 'ioctl.csv'), '# request, used, works faked, works stubbed, works both\n0x5401,Y,N,Y,N\n');
  const file = join(work, 'small.sqlite');
  assert.equal(loupe('search', '-db', small, '--export-sqlite', file).status, 0);
  const sql = new Database(file, { readonly: true });
  try {
    const rows = sql.prepare("SELECT line, fields FROM extra_data_rows WHERE file = 'ioctl.csv'").all();
    assert.deepEqual(rows, [{ line: 2, fields: '["0x5401","Y","N","Y","N"]' }]);
  } finally {
    sql.close();
  }
});

/** Minimal well-formedness check: every tag opened is closed, in order. */
function assertWellFormedXml(xml: string): void {
  const stack: string[] = [];
  for (const m of xml.replace(/<!--[\s\S]*?-->/g, '').matchAll(/<(\/?)([A-Za-z][\w:-]*)([^>]*?)(\/?)>/g)) {
    const [, closing, name, , selfClosing] = m;
    if (selfClosing) continue;
    if (closing) assert.equal(stack.pop(), name, `</${name}> closes the wrong element`);
    else stack.push(name!);
  }
  assert.deepEqual(stack, [], 'unclosed elements');
}

function pngSize(png: Buffer): { width: number; height: number } {
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

test('plots: SVG and PNG for every plot, with their titles', () => {
  const out = join(work, 'plots');
  const r = loupe('search', '-db', db, '--cumulative-plot', '--heatmap-plot', '--paper-histogram-plot', '--plan-curves-plot', '--out', out);
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /WARN/);
  const expected: Record<string, string> = {
    cumulative: 'Syscall usage across applications',
    'heatmap-static-binary': 'Heatmap: static binary',
    'heatmap-static-source': 'Heatmap: static source',
    'heatmap-dynamic-executed': 'Heatmap: dynamic executed',
    'heatmap-dynamic-required': 'Heatmap: dynamic required',
    'paper-histogram': 'Syscalls used by each application',
    'support-plan-curves': 'Support plans: applications running',
  };
  for (const [name, title] of Object.entries(expected)) {
    const svg = readFileSync(join(out, `${name}.svg`), 'utf8');
    assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assertWellFormedXml(svg);
    assert.ok(svg.includes(title), `${name}.svg has its title`);
    const { width, height } = pngSize(readFileSync(join(out, `${name}.png`)));
    assert.ok(width >= 800 && width <= 6000 && height >= 400 && height <= 6000, `${name}.png is ${width}x${height}`);
  }
  const curves = readFileSync(join(out, 'support-plan-curves.svg'), 'utf8');
  for (const os of ['Browsix', 'Freebsd', 'Fuchsia', 'Graphene', 'Gvisor', 'Hermitux', 'Kerla', 'LinuxNoLibc', 'Osv', 'Unikraft', 'Zephyr']) {
    assert.ok(curves.includes(`>${os}<`), `curve panel for ${os}`);
  }
  const heatmap = readFileSync(join(out, 'heatmap-dynamic-required.svg'), 'utf8');
  assert.ok(heatmap.includes('>read<') && heatmap.includes('>clone3<'), 'syscall names written in the cells, clone3 (435) included');
});

test('bad input: clear messages and non-zero exits, never a stack trace', () => {
  const unknownApp = loupe('search', '-db', db, '-a', 'nginx,nosuchapp');
  assert.equal(unknownApp.status, 3);
  assert.match(unknownApp.stderr, /unknown application: nosuchapp/);
  assert.match(unknownApp.stderr, /hint: the database holds: activemq, /);
  const unknownWorkload = loupe('search', '-db', db, '-w', 'nightly');
  assert.equal(unknownWorkload.status, 3);
  assert.match(unknownWorkload.stderr, /unknown workload "nightly"/);
  const unknownOfOne = loupe('search', '-db', db, '-a', 'nginx', '-w', 'nightly');
  assert.equal(unknownOfOne.status, 3);
  assert.match(unknownOfOne.stderr, /hint: use bench, suite, "\*" or one of the 2 workload folder names of nginx: benchmark-wrk, suite-nginx-tests\n/);
  assert.equal(loupe('search', '-a', 'nginx').status, 2, 'missing --db is a usage error');
  const missingOs = loupe('search', '-db', db, '--guide-support', join(work, 'nope.syscalls'));
  assert.equal(missingOs.status, 3);
  assert.match(missingOs.stderr, /OS syscall list not found/);

  const osFile = join(work, 'Mine.syscalls');
  writeFileSync(osFile, 'read\nwrite\nnot_a_syscall\nfutimensat\n');
  const unknownNames = loupe('search', '-db', db, '--guide-support', osFile, '-a', 'dhrystone');
  assert.equal(unknownNames.status, 0);
  assert.match(unknownNames.stderr, /Mine\.syscalls: not x86_64 Linux syscalls, ignored: not_a_syscall, futimensat/);

  const empty = join(work, 'empty');
  mkdirSync(empty);
  const emptyDb = loupe('search', '-db', empty);
  assert.equal(emptyDb.status, 3);
  assert.match(emptyDb.stderr, /no application found/);
  const missingDb = loupe('search', '-db', join(work, 'nodb'));
  assert.equal(missingDb.status, 3);
  assert.match(missingDb.stderr, /database not found: .*nodb\n.*hint: pass the database folder with -db PATH/);
  const fileDb = loupe('search', '-db', osFile);
  assert.equal(fileDb.status, 3);
  assert.match(fileDb.stderr, /database .*Mine\.syscalls is a file, not a folder/);

  const broken = join(work, 'broken');
  cpSync(join(db, 'dhrystone'), join(broken, 'dhrystone'), { recursive: true });
  const csv = join(broken, 'dhrystone/benchmark-dhrystone/b1955ecfd356364fc6bc9be176957b50/data/dyn.csv');
  chmodSync(csv, 0o644);
  writeFileSync(csv, readFileSync(csv, 'utf8').replace('\n5,', '\n5,maybe,'));
  const malformed = loupe('search', '-db', broken);
  assert.equal(malformed.status, 3);
  assert.match(malformed.stderr, /dhrystone\/benchmark-dhrystone\/b1955ecfd356364fc6bc9be176957b50\/data\/dyn\.csv:7: 5 fields expected/);
  const exportNowhere = loupe('search', '-db', db, '-a', 'dhrystone', '--export-sqlite', join(work, 'no/such/folder/x.sqlite'));
  assert.equal(exportNowhere.status, 3);
  assert.match(exportNowhere.stderr, /cannot write .*x\.sqlite: its folder does not exist/);
  const plotIntoFile = loupe('search', '-db', db, '-a', 'dhrystone', '--cumulative-plot', '--out', join(osFile, 'plots'));
  assert.equal(plotIntoFile.status, 3);
  assert.match(plotIntoFile.stderr, /cannot write .*Mine\.syscalls\/plots/);
  for (const r of [unknownApp, unknownWorkload, missingOs, emptyDb, malformed, exportNowhere, plotIntoFile]) assert.doesNotMatch(r.stderr, /\n\s+at /);
});

// Its speed is measured by `npm run bench:search`, not asserted here.
test('the whole public database is read and every application\'s usage computed', async () => {
  const loaded = await readDatabase(PUBLIC_DB);
  const selection = selectApplications(loaded, '*', '*');
  assert.equal(selection.applications.length, 116);
  assert.ok(selection.applications.every((a) => a.usage.used.size > 0 || a.workloads.every((w) => w.chosen.dyn === undefined)));
});
