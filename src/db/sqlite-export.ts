/**
 * Exports a whole database to one SQLite file (schema documented in docs/search.md).
 * The file is written under a temporary name and renamed into place, so readers never see
 * a half-written export and a failed export leaves no file behind.
 */
import Database from 'better-sqlite3';
import { existsSync, rmSync } from 'node:fs';
import { replaceAtomically } from '../fs/write-atomically.js';
import { dirname, resolve } from 'node:path';
import { ExitCode, LoupeError } from '../core/errors.js';
import { classOf, csvDataLines } from './csv.js';
import type { DatabaseContents } from './reader.js';
import { IMPORTED_RUN } from './layout.js';
import { SYSCALL_CLASSES, TREATMENTS, type SyscallClass } from '../core/verdict.js';
import { parseFallbackKey } from '../core/fallbacks.js';
import { PERF_METRICS } from '../core/perf-report.js';

/** Each class's syscall numbers, for one application over all its workloads (computed by analysis/usage). */
export type ApplicationClasses = Readonly<Record<SyscallClass, Iterable<number>>>;

const CLASS_LIST = SYSCALL_CLASSES.map((c) => `'${c}'`).join(', ');

export const SCHEMA = `
CREATE TABLE metadata (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE syscalls (nr INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE applications (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE workloads (
  id INTEGER PRIMARY KEY,
  application_id INTEGER NOT NULL REFERENCES applications(id),
  dir TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('benchmark', 'suite')),
  name TEXT NOT NULL,
  UNIQUE (application_id, dir)
);
CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  workload_id INTEGER NOT NULL REFERENCES workloads(id),
  name TEXT NOT NULL,
  path TEXT NOT NULL UNIQUE,
  imported INTEGER NOT NULL,
  chosen INTEGER NOT NULL,
  cmd TEXT,
  has_dynamic INTEGER NOT NULL,
  has_static_binary INTEGER NOT NULL,
  has_static_sources INTEGER NOT NULL
);
CREATE TABLE dynamic_results (
  run_id INTEGER NOT NULL REFERENCES runs(id),
  nr INTEGER NOT NULL,
  class TEXT NOT NULL CHECK (class IN (${CLASS_LIST})),
  PRIMARY KEY (run_id, nr)
) WITHOUT ROWID;
CREATE TABLE static_results (
  run_id INTEGER NOT NULL REFERENCES runs(id),
  analysis TEXT NOT NULL CHECK (analysis IN ('binary', 'sources')),
  nr INTEGER NOT NULL,
  PRIMARY KEY (run_id, analysis, nr)
) WITHOUT ROWID;
CREATE TABLE application_usage (
  application_id INTEGER NOT NULL REFERENCES applications(id),
  nr INTEGER NOT NULL,
  class TEXT NOT NULL CHECK (class IN (${CLASS_LIST})),
  PRIMARY KEY (application_id, nr)
) WITHOUT ROWID;
CREATE TABLE extra_data_files (
  run_id INTEGER NOT NULL REFERENCES runs(id),
  file TEXT NOT NULL,
  content TEXT NOT NULL,
  PRIMARY KEY (run_id, file)
);
CREATE TABLE extra_data_rows (
  run_id INTEGER NOT NULL REFERENCES runs(id),
  file TEXT NOT NULL,
  line INTEGER NOT NULL,
  fields TEXT NOT NULL,
  PRIMARY KEY (run_id, file, line)
);
CREATE TABLE coverage (
  run_id INTEGER PRIMARY KEY REFERENCES runs(id),
  lines_covered INTEGER NOT NULL,
  lines_total INTEGER NOT NULL,
  functions_covered INTEGER NOT NULL,
  functions_total INTEGER NOT NULL,
  branches_covered INTEGER NOT NULL,
  branches_total INTEGER NOT NULL
);
CREATE TABLE coverage_call_sites (
  run_id INTEGER NOT NULL REFERENCES runs(id),
  nr INTEGER NOT NULL,
  file TEXT NOT NULL,
  line INTEGER NOT NULL,
  via TEXT NOT NULL,
  reached INTEGER NOT NULL,
  PRIMARY KEY (run_id, nr, file, line, via)
) WITHOUT ROWID;
CREATE TABLE fallbacks (
  run_id INTEGER NOT NULL REFERENCES runs(id),
  nr INTEGER NOT NULL,
  argument INTEGER,
  scope TEXT CHECK (scope IS NULL OR scope IN ('value', 'bit')),
  value TEXT,
  treatment TEXT NOT NULL CHECK (treatment IN ('stub', 'fake')),
  change TEXT NOT NULL CHECK (change IN ('added', 'dropped', 'none')),
  syscall_nr INTEGER CHECK ((change = 'none') = (syscall_nr IS NULL))
);
CREATE TABLE perf_results (
  run_id INTEGER NOT NULL REFERENCES runs(id),
  nr INTEGER,
  name TEXT NOT NULL,
  treatment TEXT NOT NULL CHECK (treatment IN ('baseline', 'stub', 'fake')),
  status TEXT NOT NULL,
  metric TEXT NOT NULL CHECK (metric IN (${PERF_METRICS.map((m) => `'${m}'`).join(', ')})),
  relative REAL,
  ci_low REAL,
  ci_high REAL,
  flagged INTEGER NOT NULL,
  median REAL,
  baseline_median REAL
);
CREATE TABLE os_lists (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, file TEXT NOT NULL);
CREATE TABLE os_syscalls (
  os_id INTEGER NOT NULL REFERENCES os_lists(id),
  nr INTEGER NOT NULL,
  PRIMARY KEY (os_id, nr)
) WITHOUT ROWID;
CREATE TABLE os_unknown_names (os_id INTEGER NOT NULL REFERENCES os_lists(id), name TEXT NOT NULL);

CREATE INDEX dynamic_results_by_syscall ON dynamic_results (nr, class);
CREATE INDEX static_results_by_syscall ON static_results (nr, analysis);
CREATE INDEX application_usage_by_syscall ON application_usage (nr, class);
CREATE INDEX os_syscalls_by_syscall ON os_syscalls (nr);
CREATE INDEX runs_by_workload ON runs (workload_id, chosen);
CREATE INDEX fallbacks_by_run ON fallbacks (run_id, nr);
CREATE INDEX perf_results_by_syscall ON perf_results (nr, treatment, metric);

CREATE INDEX coverage_call_sites_by_syscall ON coverage_call_sites (nr, reached);

CREATE VIEW chosen_runs AS
  SELECT a.name AS application, w.dir AS workload, w.kind AS kind, r.id AS run_id, r.name AS run, r.path AS path, r.cmd AS cmd
  FROM runs r JOIN workloads w ON w.id = r.workload_id JOIN applications a ON a.id = w.application_id
  WHERE r.chosen = 1;
CREATE VIEW dynamic_usage AS
  SELECT c.application, c.workload, c.kind, d.nr, s.name AS syscall, d.class
  FROM chosen_runs c JOIN dynamic_results d ON d.run_id = c.run_id JOIN syscalls s ON s.nr = d.nr;
CREATE VIEW fallback_usage AS
  SELECT c.application, c.workload, f.nr, s.name AS syscall, f.argument, f.scope, f.value, f.treatment,
         f.change, f.syscall_nr AS fallback_nr, fs.name AS fallback
  FROM chosen_runs c JOIN fallbacks f ON f.run_id = c.run_id
  LEFT JOIN syscalls s ON s.nr = f.nr LEFT JOIN syscalls fs ON fs.nr = f.syscall_nr;
CREATE VIEW required_syscalls_per_application AS
  SELECT a.name AS application, u.nr, s.name AS syscall
  FROM application_usage u JOIN applications a ON a.id = u.application_id JOIN syscalls s ON s.nr = u.nr
  WHERE u.class = 'required';
CREATE VIEW os_application_support AS
  SELECT o.name AS os, a.name AS application,
         COUNT(u.nr) AS required,
         COUNT(u.nr) - COUNT(os.nr) AS missing_required
  FROM os_lists o CROSS JOIN applications a
  LEFT JOIN application_usage u ON u.application_id = a.id AND u.class = 'required'
  LEFT JOIN os_syscalls os ON os.os_id = o.id AND os.nr = u.nr
  GROUP BY o.id, a.id;
CREATE VIEW syscall_reach AS
  SELECT c.application, c.workload, cs.nr, s.name AS syscall,
         COUNT(DISTINCT cs.file || ':' || cs.line) AS sites,
         COUNT(DISTINCT CASE WHEN cs.reached = 1 THEN cs.file || ':' || cs.line END) AS reached_sites,
         MAX(cs.reached) AS reached
  FROM chosen_runs c JOIN coverage_call_sites cs ON cs.run_id = c.run_id JOIN syscalls s ON s.nr = cs.nr
  GROUP BY c.run_id, cs.nr;
CREATE VIEW flagged_perf_impacts AS
  SELECT c.application, c.workload, p.nr, p.name AS syscall, p.treatment, p.metric, p.relative, p.ci_low, p.ci_high, p.median, p.baseline_median
  FROM chosen_runs c JOIN perf_results p ON p.run_id = c.run_id
  WHERE p.flagged = 1;
`;

function usageClasses(usage: ApplicationClasses): [number, string][] {
  const out: [number, string][] = [];
  for (const cls of SYSCALL_CLASSES) for (const nr of usage[cls]) out.push([nr, cls]);
  return out;
}

function fill(sql: Database.Database, db: DatabaseContents, usageOf: (application: string) => ApplicationClasses): void {
  const insert = {
    metadata: sql.prepare('INSERT INTO metadata (key, value) VALUES (?, ?)'),
    syscall: sql.prepare('INSERT INTO syscalls (nr, name) VALUES (?, ?)'),
    application: sql.prepare('INSERT INTO applications (name) VALUES (?)'),
    workload: sql.prepare('INSERT INTO workloads (application_id, dir, kind, name) VALUES (?, ?, ?, ?)'),
    run: sql.prepare(
      'INSERT INTO runs (workload_id, name, path, imported, chosen, cmd, has_dynamic, has_static_binary, has_static_sources) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    dynamic: sql.prepare('INSERT INTO dynamic_results (run_id, nr, class) VALUES (?, ?, ?)'),
    static: sql.prepare('INSERT INTO static_results (run_id, analysis, nr) VALUES (?, ?, ?)'),
    usage: sql.prepare('INSERT INTO application_usage (application_id, nr, class) VALUES (?, ?, ?)'),
    extraFile: sql.prepare('INSERT INTO extra_data_files (run_id, file, content) VALUES (?, ?, ?)'),
    perf: sql.prepare(
      'INSERT INTO perf_results (run_id, nr, name, treatment, status, metric, relative, ci_low, ci_high, flagged, median, baseline_median) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    extraRow: sql.prepare('INSERT INTO extra_data_rows (run_id, file, line, fields) VALUES (?, ?, ?, ?)'),
    coverage: sql.prepare('INSERT INTO coverage VALUES (?, ?, ?, ?, ?, ?, ?)'),
    callSite: sql.prepare('INSERT INTO coverage_call_sites (run_id, nr, file, line, via, reached) VALUES (?, ?, ?, ?, ?, ?)'),
    fallback: sql.prepare('INSERT INTO fallbacks (run_id, nr, argument, scope, value, treatment, change, syscall_nr) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
    os: sql.prepare('INSERT INTO os_lists (name, file) VALUES (?, ?)'),
    osSyscall: sql.prepare('INSERT INTO os_syscalls (os_id, nr) VALUES (?, ?)'),
    osUnknown: sql.prepare('INSERT INTO os_unknown_names (os_id, name) VALUES (?, ?)'),
  };
  const flag = (b: boolean): number => (b ? 1 : 0);
  insert.metadata.run('syscall_table_arch', db.table.arch);
  insert.metadata.run('schema_version', '1');
  for (const [nr, name] of db.table.entries()) insert.syscall.run(nr, name);
  for (const app of db.applications) {
    const appId = insert.application.run(app.name).lastInsertRowid;
    for (const w of app.workloads) {
      const workloadId = insert.workload.run(appId, w.dir, w.id.kind, w.id.name).lastInsertRowid;
      for (const r of w.runs) {
        const runId = insert.run.run(
          workloadId, r.name, r.path, flag(r.name === IMPORTED_RUN), flag(r === w.chosen), r.cmd ?? null,
          flag(r.dyn !== undefined), flag(r.staticBinary !== undefined), flag(r.staticSources !== undefined),
        ).lastInsertRowid;
        for (const row of r.dyn ?? []) {
          const cls = classOf(row);
          if (cls) insert.dynamic.run(runId, row.nr, cls);
        }
        for (const nr of r.staticBinary ?? []) insert.static.run(runId, 'binary', nr);
        for (const nr of r.staticSources ?? []) insert.static.run(runId, 'sources', nr);
        if (r.coverage) {
          const c = r.coverage;
          insert.coverage.run(runId, c.lines.covered, c.lines.total, c.functions.covered, c.functions.total, c.branches.covered, c.branches.total);
          for (const s of c.syscalls) for (const site of s.sites) insert.callSite.run(runId, s.nr, site.file, site.line, site.via ?? '', flag(site.reached));
        }
        for (const [key, entry] of Object.entries(r.fallbacks ?? {})) {
          const t = parseFallbackKey(key);
          if (!t) continue;
          const target = [t.nr, t.argIndex ?? null, t.argIndex === undefined ? null : t.bit ? 'bit' : 'value', t.value ?? null] as const;
          for (const treatment of TREATMENTS) {
            const sets = entry[treatment];
            if (!sets) continue;
            for (const nr of sets.added) insert.fallback.run(runId, ...target, treatment, 'added', nr);
            for (const nr of sets.dropped) insert.fallback.run(runId, ...target, treatment, 'dropped', nr);
            if (sets.added.length + sets.dropped.length === 0) insert.fallback.run(runId, ...target, treatment, 'none', null);
          }
        }
        for (const p of r.perf ?? []) {
          for (const m of PERF_METRICS) {
            const c = p.metrics[m];
            if (c === undefined) continue;
            const real = (v: number | null): number | null => (v === null || Number.isNaN(v) ? null : v);
            insert.perf.run(runId, p.nr, p.name, p.treatment, p.status, m, real(c.relative), real(c.ciLow), real(c.ciHigh), flag(c.flagged), real(c.median), real(c.baselineMedian));
          }
        }
        for (const extra of r.extraData) {
          insert.extraFile.run(runId, extra.file, extra.text);
          for (const [line, fields] of csvDataLines(extra.text)) insert.extraRow.run(runId, extra.file, line, JSON.stringify(fields));
        }
      }
    }
    for (const [nr, cls] of usageClasses(usageOf(app.name))) insert.usage.run(appId, nr, cls);
  }
  for (const os of db.osLists) {
    const osId = insert.os.run(os.name, os.file).lastInsertRowid;
    for (const nr of os.supported) insert.osSyscall.run(osId, nr);
    for (const name of os.unknownNames) insert.osUnknown.run(osId, name);
  }
}

/**
 * Writes `db` to the SQLite file `target`, replacing it atomically; `usageOf` gives each
 * application's combined classes (table application_usage).
 * Throws LoupeError when the target's folder does not exist.
 */
export function exportSqlite(db: DatabaseContents, target: string, usageOf: (application: string) => ApplicationClasses): void {
  // better-sqlite3 reports a missing folder as a bare TypeError; say it plainly instead.
  if (!existsSync(dirname(resolve(target)))) {
    throw new LoupeError(`cannot write ${target}: its folder does not exist`, ExitCode.badInput, 'create the folder first, or pick another path');
  }
  replaceAtomically(target, (temp) => {
    rmSync(temp, { force: true });
    const sql = new Database(temp);
    try {
      sql.pragma('journal_mode = OFF');
      sql.exec(SCHEMA);
      sql.transaction(() => fill(sql, db, usageOf))();
    } finally {
      sql.close();
    }
  });
}
