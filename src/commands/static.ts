/** `loupe static binary|source`: runs the analysis and prints it as text, CSV or JSON. */
import { ExitCode, LoupeError } from '../core/errors.js';
import { X86_64, displayName } from '../syscalls/table.js';
import { analyseBinary, analyseSources, type SourceReport, type StaticReport } from '../static/index.js';
import { formatStaticCsv } from '../db/csv.js';

export type StaticOutputFormat = 'text' | 'csv' | 'json';

export interface StaticBinaryCommand {
  readonly path: string;
  readonly format: StaticOutputFormat;
  readonly noLibraries: boolean;
}

export async function runStaticBinary(command: StaticBinaryCommand, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  const report = await analyseBinary(command.path, { noLibraries: command.noLibraries });
  out.write(formatReport(report, command.format));
}

export interface StaticSourceCommand {
  readonly dir: string;
  readonly format: StaticOutputFormat;
}

export async function runStaticSource(command: StaticSourceCommand, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  const report = await analyseSources(command.dir);
  out.write(command.format === 'text' ? formatSourceText(report) : formatData(report, command.format));
}

/** Rejects --csv together with --json instead of silently picking one. */
export function outputFormat(options: { csv?: boolean; json?: boolean }): StaticOutputFormat {
  if (options.csv && options.json) {
    throw new LoupeError('--csv and --json cannot be used together', ExitCode.usage, 'pick one output format');
  }
  return options.csv ? 'csv' : options.json ? 'json' : 'text';
}

export function formatReport(report: StaticReport, format: StaticOutputFormat): string {
  return format === 'text' ? formatBinaryText(report) : formatData(report, format);
}

function formatData(report: StaticReport | SourceReport, format: 'csv' | 'json'): string {
  return format === 'csv' ? formatStaticCsv(report.syscalls, X86_64.maxNumber) : `${JSON.stringify(report, null, 2)}\n`;
}

function formatBinaryText(report: StaticReport): string {
  const lines = [
    `${report.target}: ${report.syscalls.length} syscalls may be issued (static upper bound)`,
  ];
  if (report.objects.length > 0) {
    lines.push(`objects analysed: ${report.objects.map((o) => o.name).join(', ')}`);
  }
  lines.push(`unresolved syscall sites: ${report.unresolvedSites}${report.unresolvedSites > 0 ? ' (their numbers are unknown; see --json)' : ''}`);
  if (report.legacySyscallSites.length > 0) {
    lines.push(`32-bit ABI sites (int 0x80/sysenter), not analysed: ${report.legacySyscallSites.length}`);
  }
  if (report.missingLibraries.length > 0) lines.push(`missing libraries: ${report.missingLibraries.join(', ')}`);
  for (const broken of report.brokenLibraries) lines.push(`unreadable library ${broken.name} (${broken.path}): ${broken.reason}`);
  for (const warning of report.warnings) lines.push(`warning: ${warning}`);
  lines.push('', ...syscallColumns(report.syscalls));
  return `${lines.join('\n')}\n`;
}

function formatSourceText(report: SourceReport): string {
  const lines = [
    `${report.target}: ${report.syscalls.length} syscalls may be issued (static upper bound, libc: ${report.libc})`,
    `translation units: ${report.translationUnits}${report.compileCommands ? ` (from ${report.compileCommands})` : ''}; ` +
      `libc functions called: ${Object.keys(report.libcFunctions).length}`,
    `unresolved sites: ${report.unresolvedSites}${report.unresolvedSites > 0 ? ' (syscall() with a variable number, inline assembly; see --json)' : ''}`,
  ];
  if (report.unmappedFunctions.length > 0) {
    lines.push(`functions from other libraries, not mapped: ${report.unmappedFunctions.length} (see --json)`);
  }
  for (const failed of report.failedUnits) lines.push(`warning: clang failed on ${failed.file}: ${failed.error}`);
  lines.push('', ...syscallColumns(report.syscalls));
  return `${lines.join('\n')}\n`;
}

/** "nr name" cells in columns, about 100 characters wide. */
function syscallColumns(syscalls: readonly number[]): string[] {
  const names = syscalls.map((nr) => `${nr} ${displayName(X86_64, nr)}`);
  const width = Math.max(...names.map((n) => n.length), 0) + 2;
  const perLine = Math.max(1, Math.floor(100 / width));
  const rows: string[] = [];
  for (let i = 0; i < names.length; i += perLine) {
    rows.push(names.slice(i, i + perLine).map((n) => n.padEnd(width)).join('').trimEnd());
  }
  return rows;
}
