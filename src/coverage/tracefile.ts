/**
 * lcov tracefiles (the `.info` format written by `lcov --capture`, described in geninfo(1)):
 * one record per source file, `SF:` to `end_of_record`, with `DA:line,count` (line hits),
 * `FN:line,name` and `FNDA:count,name` (functions), `BRDA:line,block,branch,taken` (branches,
 * `-` for a branch whose block never ran). Pure: text in, values out. A file listed in several
 * records (a header included by several objects) is merged the way lcov merges: counts add up.
 */

export interface FileCoverage {
  /** Absolute path of the source file, as the tracefile names it. */
  readonly file: string;
  /** Line number -> times executed (only lines gcov instruments). */
  readonly lines: Map<number, number>;
  /** Function name -> [first line, times called]. */
  readonly functions: Map<string, { line: number; hits: number }>;
  /** "line,block,branch" -> times taken (0 when its block never ran). */
  readonly branches: Map<string, number>;
}

export interface Totals {
  readonly covered: number;
  readonly total: number;
}

export interface CoverageTotals {
  readonly lines: Totals;
  readonly functions: Totals;
  readonly branches: Totals;
}

/** Parses a tracefile; throws Error naming the line for a record that is not closed or a malformed entry. */
export function parseTracefile(text: string): Map<string, FileCoverage> {
  const files = new Map<string, FileCoverage>();
  let current: FileCoverage | undefined;
  const lines = text.split('\n');
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('TN:')) return;
    const bad = (): never => {
      throw new Error(`tracefile line ${index + 1}: cannot read "${line}"`);
    };
    if (line.startsWith('SF:')) {
      const file = line.slice(3);
      current = files.get(file) ?? { file, lines: new Map(), functions: new Map(), branches: new Map() };
      files.set(file, current);
      return;
    }
    if (line === 'end_of_record') {
      current = undefined;
      return;
    }
    if (current === undefined) bad();
    const record = current!;
    const colon = line.indexOf(':');
    const tag = line.slice(0, colon);
    const fields = line.slice(colon + 1).split(',');
    switch (tag) {
      case 'DA': {
        const [lineNo, count] = [Number(fields[0]), Number(fields[1])];
        if (!Number.isInteger(lineNo) || !Number.isFinite(count)) bad();
        record.lines.set(lineNo, (record.lines.get(lineNo) ?? 0) + count);
        return;
      }
      case 'FN': {
        const name = fields.slice(1).join(',');
        const existing = record.functions.get(name);
        record.functions.set(name, { line: Number(fields[0]), hits: existing?.hits ?? 0 });
        return;
      }
      case 'FNDA': {
        const name = fields.slice(1).join(',');
        const existing = record.functions.get(name) ?? { line: 0, hits: 0 };
        record.functions.set(name, { line: existing.line, hits: existing.hits + Number(fields[0]) });
        return;
      }
      case 'BRDA': {
        if (fields.length !== 4) bad();
        const key = fields.slice(0, 3).join(',');
        const taken = fields[3] === '-' ? 0 : Number(fields[3]);
        record.branches.set(key, (record.branches.get(key) ?? 0) + taken);
        return;
      }
      // Summary lines (LF, LH, FNF, FNH, BRF, BRH) are recomputed from the entries.
      default:
        return;
    }
  });
  if (current !== undefined) throw new Error(`tracefile: the record of ${current.file} has no end_of_record`);
  return files;
}

/** Line, function and branch totals over `files`, counted as `lcov --summary` counts them. */
export function totalsOf(files: Iterable<FileCoverage>): CoverageTotals {
  let [lineHit, lineAll, fnHit, fnAll, brHit, brAll] = [0, 0, 0, 0, 0, 0];
  for (const f of files) {
    lineAll += f.lines.size;
    for (const count of f.lines.values()) if (count > 0) lineHit++;
    fnAll += f.functions.size;
    for (const { hits } of f.functions.values()) if (hits > 0) fnHit++;
    brAll += f.branches.size;
    for (const taken of f.branches.values()) if (taken > 0) brHit++;
  }
  return {
    lines: { covered: lineHit, total: lineAll },
    functions: { covered: fnHit, total: fnAll },
    branches: { covered: brHit, total: brAll },
  };
}
