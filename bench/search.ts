/**
 * Timing of `loupe search` on the public database: median of several rounds per figure.
 * Usage: npm run bench:search [-- DATABASE]   (default: ../shared/loupedb beside the project)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDatabase } from '../src/db/reader.js';
import { selectApplications } from '../src/analysis/selection.js';
import { planSupport, PLANNERS } from '../src/analysis/support-plan.js';
import { exportSqlite } from '../src/db/sqlite-export.js';

const root = process.argv[2] ?? new URL('../../../shared/loupedb', import.meta.url).pathname;
const ROUNDS = 7;

async function median(label: string, run: () => unknown): Promise<void> {
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  console.log(`${label.padEnd(58)} ${times[Math.floor(ROUNDS / 2)]!.toFixed(1).padStart(8)} ms`);
}

const db = await readDatabase(root);
const apps = selectApplications(db, '*', '*').applications;
const usageByName = new Map(apps.map((a) => [a.name, a.usage]));
console.log(`database ${root}: ${db.applications.length} applications, ${db.osLists.length} OS lists; median of ${ROUNDS} rounds`);
await median('read the whole database', () => readDatabase(root));
await median('read + usage of every application (--show-usage -a "*")', async () => selectApplications(await readDatabase(root), '*', '*'));
for (const planner of PLANNERS) {
  await median(`${planner} support plans for all ${db.osLists.length} OS lists`, () => {
    for (const os of db.osLists) planSupport(planner, os.supported, apps);
  });
}
const dir = mkdtempSync(join(tmpdir(), 'loupe-bench-'));
await median('SQLite export of the whole database', () => exportSqlite(db, join(dir, 'export.sqlite'), (name) => usageByName.get(name)!));
rmSync(dir, { recursive: true, force: true });
