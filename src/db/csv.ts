/**
 * The database's CSV formats, byte-compatible with the public loupedb.
 *
 * dyn.csv:     `# syscall, used, works faked, works stubbed, works both`, then one row per
 *              number from 0 to the table's highest: `N,used,fakeOnly,stubOnly,both` (Y/N).
 * static_*.csv: `# syscall, used`, then `N,Y|N`.
 *
 * Readers accept what the public data holds: files written by the original (rows 0..334),
 * a missing header, a missing final newline, and blank lines.
 */

import { classFromVerdicts, type SyscallClass } from '../core/verdict.js';

export const DYN_CSV_HEADER = '# syscall, used, works faked, works stubbed, works both';
export const STATIC_CSV_HEADER = '# syscall, used';


export interface DynRow {
  nr: number;
  used: boolean;
  /** Faking works and stubbing does not (the CSV's "works faked" column). */
  fakeOnly: boolean;
  /** Stubbing works and faking does not (the CSV's "works stubbed" column). */
  stubOnly: boolean;
  both: boolean;
}

export class CsvFormatError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    message: string,
  ) {
    super(`${file}:${line}: ${message}`);
    this.name = 'CsvFormatError';
  }
}

/** The class of a used syscall, or undefined for an unused one. */
export function classOf(row: DynRow): SyscallClass | undefined {
  if (!row.used) return undefined;
  if (row.both) return 'both';
  if (row.stubOnly) return 'stubOnly';
  if (row.fakeOnly) return 'fakeOnly';
  return 'required';
}

/** A row from a verdict: works when stubbed? works when faked? */
export function rowFromVerdicts(nr: number, stubWorks: boolean, fakeWorks: boolean): DynRow {
  const cls = classFromVerdicts(stubWorks, fakeWorks);
  return { nr, used: true, fakeOnly: cls === 'fakeOnly', stubOnly: cls === 'stubOnly', both: cls === 'both' };
}

export function unusedRow(nr: number): DynRow {
  return { nr, used: false, fakeOnly: false, stubOnly: false, both: false };
}

const yn = (b: boolean): string => (b ? 'Y' : 'N');

/** dyn.csv text with one row for every number 0..maxNumber; rows not given are unused. */
export function formatDynCsv(rows: Iterable<DynRow>, maxNumber: number): string {
  const byNr = new Map<number, DynRow>();
  for (const row of rows) byNr.set(row.nr, row);
  const lines = [DYN_CSV_HEADER];
  for (let nr = 0; nr <= maxNumber; nr++) {
    const r = byNr.get(nr) ?? unusedRow(nr);
    lines.push(`${nr},${yn(r.used)},${yn(r.fakeOnly)},${yn(r.stubOnly)},${yn(r.both)}`);
  }
  return lines.join('\n') + '\n';
}

/** static_binary.csv / static_sources.csv text. */
export function formatStaticCsv(used: Iterable<number>, maxNumber: number): string {
  const set = new Set(used);
  const lines = [STATIC_CSV_HEADER];
  for (let nr = 0; nr <= maxNumber; nr++) lines.push(`${nr},${yn(set.has(nr))}`);
  return lines.join('\n') + '\n';
}

/**
 * The lines that carry data in the database's text files: (1-based line number, trimmed line),
 * skipping blank lines and `#` comments (CSV headers, OS-list comments); CRLF or LF.
 */
export function* meaningfulLines(text: string): Generator<[number, string]> {
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line !== '' && !line.startsWith('#')) yield [i + 1, line];
  }
}

/** Data lines of a CSV file: (1-based line number, trimmed fields). */
export function* csvDataLines(text: string): Generator<[number, string[]]> {
  for (const [number, line] of meaningfulLines(text)) yield [number, line.split(',').map((f) => f.trim())];
}

function parseFlag(file: string, line: number, field: string | undefined, column: string): boolean {
  if (field === 'Y') return true;
  if (field === 'N') return false;
  throw new CsvFormatError(file, line, `column "${column}" must be Y or N, found ${JSON.stringify(field ?? '')}`);
}

function parseNumber(file: string, line: number, field: string | undefined): number {
  if (field === undefined || !/^\d+$/.test(field)) {
    throw new CsvFormatError(file, line, `syscall number expected, found ${JSON.stringify(field ?? '')}`);
  }
  return Number(field);
}

/**
 * Parses dyn.csv text. `file` names the source in error messages.
 *
 * Old ("imported") files of the public data set set several "works" columns at once
 * (e.g. `Y,Y,Y,Y`: works faked, works stubbed, works both), and a few set them on unused
 * rows. Such rows are normalised: a syscall that works when faked and when stubbed is
 * "both", and an unused syscall has no "works" column. `onWarning` hears about each.
 */
export function parseDynCsv(text: string, file = 'dyn.csv', onWarning?: (message: string) => void): DynRow[] {
  const rows: DynRow[] = [];
  for (const [line, f] of csvDataLines(text)) {
    if (f.length !== 5) throw new CsvFormatError(file, line, `5 fields expected, found ${f.length}`);
    const nr = parseNumber(file, line, f[0]);
    const used = parseFlag(file, line, f[1], 'used');
    const fakeColumn = parseFlag(file, line, f[2], 'works faked');
    const stubColumn = parseFlag(file, line, f[3], 'works stubbed');
    const bothColumn = parseFlag(file, line, f[4], 'works both');
    const marks = Number(fakeColumn) + Number(stubColumn) + Number(bothColumn);
    if (!used) {
      if (marks > 0) onWarning?.(`${file}:${line}: unused syscall ${nr} has a "works" column set; ignored`);
      rows.push(unusedRow(nr));
      continue;
    }
    if (marks > 1) onWarning?.(`${file}:${line}: several "works" columns set for syscall ${nr}; read as overlapping sets`);
    const fakeWorks = fakeColumn || bothColumn;
    const stubWorks = stubColumn || bothColumn;
    rows.push(rowFromVerdicts(nr, stubWorks, fakeWorks));
  }
  return rows;
}

/** Parses static_binary.csv / static_sources.csv text into the set of used syscall numbers. */
export function parseStaticCsv(text: string, file = 'static.csv'): number[] {
  const used: number[] = [];
  for (const [line, f] of csvDataLines(text)) {
    if (f.length !== 2) throw new CsvFormatError(file, line, `2 fields expected, found ${f.length}`);
    const nr = parseNumber(file, line, f[0]);
    if (parseFlag(file, line, f[1], 'used')) used.push(nr);
  }
  return used.sort((a, b) => a - b);
}
