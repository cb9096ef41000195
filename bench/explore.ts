/**
 * Benchmark of `loupe explore` on the bundled examples. Prints, per example: wall time
 * (median of --runs), experiments, experiments per second, and the engine's own overhead per
 * experiment (time not spent in the application or the test script). With --stability, runs
 * the redis analysis twice and prints how many syscalls got the same class in both. With
 * --perf, runs one analysis with --perf-analysis per example (nginx, redis: their scripts have
 * a benchmark mode) and prints the perf analysis's cost: its wall time against the time its
 * runs' workloads took (application up plus benchmark script), which must stay within 10%.
 *
 *   npm run bench -- [--runs N] [--jobs N] [--only lua,nginx,redis] [--stability] [--perf [--perf-runs N]]
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ExploreReport } from '../src/explore/report.js';
import { PACKAGE_ROOT } from '../src/core/version.js';

interface Example {
  name: string;
  dir: string;
  args: string[];
  /** What the original tool needed on this kind of machine, for the ratio. */
  originalSeconds?: number;
}

const EXAMPLES: Example[] = [
  { name: 'lua', dir: 'examples/lua', args: ['-b', 'lua5.4', '-t', './test.sh', '--test-sequential', '--', 'hello.lua'], originalSeconds: 21.6 },
  { name: 'nginx', dir: 'examples/nginx', args: ['-b', '/usr/sbin/nginx', '-t', './test.sh', '--', '-p', '.', '-c', 'nginx.conf'], originalSeconds: 850 },
  {
    name: 'redis',
    dir: 'examples/redis',
    args: ['-b', 'redis-server', '-t', './test.sh', '--', '--port', '6379', '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
  },
];

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    jobs: { type: 'string' },
    only: { type: 'string', default: 'lua,nginx' },
    stability: { type: 'boolean', default: false },
    perf: { type: 'boolean', default: false },
    'perf-runs': { type: 'string', default: '5' },
  },
});

function explore(example: Example, extra: readonly string[] = []): { report: ExploreReport; wallMs: number } {
  const cli = join(PACKAGE_ROOT, 'dist/src/cli/main.js');
  const jobs = [...(values.jobs ? ['--jobs', values.jobs] : []), ...extra];
  const started = Date.now();
  const r = spawnSync(process.execPath, [cli, 'explore', '--json', '--disable-static', ...jobs, ...example.args], { cwd: join(PACKAGE_ROOT, example.dir), encoding: 'utf8', maxBuffer: 64 << 20 });
  const wallMs = Date.now() - started;
  if (r.status !== 0) throw new Error(`explore of ${example.name} failed (exit ${r.status}):\n${r.stderr}`);
  return { report: JSON.parse(r.stdout) as ExploreReport, wallMs };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

function benchmark(example: Example, runs: number): void {
  const walls: number[] = [];
  let last: ExploreReport | undefined;
  for (let i = 0; i < runs; i++) {
    const { report, wallMs } = explore(example);
    walls.push(wallMs);
    last = report;
  }
  const report = last!;
  const wall = median(walls) / 1000;
  const n = report.experiments.length;
  const overheads = report.experiments.map((e) => (e.durationMs - e.workloadMs) / e.attempts);
  const ratio = example.originalSeconds ? `, ${(example.originalSeconds / wall).toFixed(1)}x faster than the original's ${example.originalSeconds} s` : '';
  console.log(
    `${example.name.padEnd(6)} wall ${wall.toFixed(2)} s (median of ${runs}: ${walls.map((w) => (w / 1000).toFixed(2)).join(', ')})${ratio}\n` +
      `       ${report.used.length} syscalls used, ${n} experiments, ${(n / wall).toFixed(1)} experiments/s, jobs ${report.timing.jobs}\n` +
      `       engine overhead per experiment attempt: median ${median(overheads).toFixed(0)} ms, mean ${(overheads.reduce((a, b) => a + b, 0) / n).toFixed(0)} ms`,
  );
}

function stability(example: Example): void {
  const [a, b] = [explore(example).report, explore(example).report];
  const classesB = new Map(b.syscalls.map((s) => [s.nr, s.class]));
  const all = new Set([...a.used, ...b.used]);
  const disagreements = a.syscalls.filter((s) => classesB.get(s.nr) !== s.class).map((s) => `${s.name}: ${s.class} / ${classesB.get(s.nr) ?? 'unused'}`);
  const onlyInB = b.syscalls.filter((s) => !a.used.includes(s.nr)).map((s) => `${s.name}: unused / ${s.class}`);
  const differing = disagreements.length + onlyInB.length;
  console.log(`${example.name} stability: two full analyses agree on ${all.size - differing} of ${all.size} syscalls used`);
  for (const d of [...disagreements, ...onlyInB]) console.log(`       differs: ${d}`);
}

/** The perf analysis's own cost: wall time over the time its runs' workloads took. */
function perfCost(example: Example): void {
  const { report } = explore(example, ['--perf-analysis', '--perf-runs', values['perf-runs']!]);
  const perf = report.perf!;
  if (perf.error) throw new Error(`perf analysis of ${example.name} failed: ${perf.error}`);
  const overhead = perf.timing.wallMs / perf.timing.benchmarkMs - 1;
  console.log(
    `${example.name.padEnd(6)} perf analysis: ${perf.conditions.length} conditions, ${perf.timing.runs} runs in ${(perf.timing.wallMs / 1000).toFixed(1)} s; ` +
      `workloads ran ${(perf.timing.benchmarkMs / 1000).toFixed(1)} s (${(perf.timing.benchmarkMs / perf.timing.runs).toFixed(0)} ms per run)\n` +
      `       perf overhead beyond the runs themselves: ${(overhead * 100).toFixed(1)}% (bound: 10%)${overhead > 0.1 ? '  EXCEEDED' : ''}; ` +
      `normal analysis before it: ${((report.timing.wallMs - perf.timing.wallMs) / 1000).toFixed(1)} s`,
  );
}

const selected = EXAMPLES.filter((e) => values.only!.split(',').includes(e.name));
if (values.perf) for (const example of selected.filter((e) => e.name !== 'lua')) perfCost(example);
else if (values.stability) for (const example of selected) stability(example);
else for (const example of selected) benchmark(example, Number(values.runs));
