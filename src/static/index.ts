/**
 * Static analysis: the syscalls a binary (with its libraries) or a source tree could
 * ever issue. Entry points for `loupe static` and for `loupe explore`, which writes
 * static_binary.csv beside dyn.csv.
 */
import { X86_64, type SyscallTable } from '../syscalls/table.js';
import { loadMainBinary, loadProgram } from './loader.js';
import { Reachability, type SyscallSite, type UnresolvedSite } from './reachability.js';

export type { SyscallSite, UnresolvedSite } from './reachability.js';

export interface StaticReport {
  /** What was analysed: a binary path or a source directory. */
  readonly target: string;
  /** Sorted syscall numbers that may be issued. */
  readonly syscalls: readonly number[];
  /** Where each number was found (key: the number). */
  readonly sites: Readonly<Record<number, readonly SyscallSite[]>>;
  /** Syscall sites whose number could not be recovered; the set may miss what they issue. */
  readonly unresolvedSites: number;
  readonly unresolved: readonly UnresolvedSite[];
  /** 32-bit ABI sites (int 0x80, sysenter): reported, not counted in `syscalls`. */
  readonly legacySyscallSites: readonly UnresolvedSite[];
  /** Objects analysed, in load order, with the files they were read from. */
  readonly objects: readonly { readonly name: string; readonly path: string; readonly reachedInstructions: number }[];
  readonly missingLibraries: readonly string[];
  readonly brokenLibraries: readonly { readonly name: string; readonly path: string; readonly reason: string }[];
  readonly undefinedSymbols: readonly string[];
  readonly warnings: readonly string[];
}

export interface AnalyseBinaryOptions {
  /** Only the binary's own code: calls into shared libraries are not followed. */
  readonly noLibraries?: boolean;
  readonly table?: SyscallTable;
}

/**
 * Statically analyses an x86-64 ELF binary and the libraries it loads. Throws
 * LoupeError for unusable input; missing libraries give a partial report that lists them.
 */
export async function analyseBinary(path: string, options: AnalyseBinaryOptions = {}): Promise<StaticReport> {
  const table = options.table ?? X86_64;
  const main = loadMainBinary(path);
  const program = options.noLibraries
    ? { objects: [{ object: main, name: main.path.split('/').pop()! }], missingLibraries: [], brokenLibraries: [] }
    : loadProgram(main);
  const reach = new Reachability(program.objects, !options.noLibraries);
  program.objects.forEach((_, i) => reach.addObjectRoots(i));
  reach.run();
  const result = reach.collect(table);
  const warnings = [...main.elf.warnings];
  if (main.elf.symbols.length === 0) warnings.push('the binary is stripped: functions without exported symbols are named by address');
  if (program.missingLibraries.length > 0) {
    warnings.push(`libraries not found, their syscalls are missing: ${program.missingLibraries.join(', ')}`);
  }
  return {
    target: path,
    syscalls: [...result.syscalls.keys()].sort((a, b) => a - b),
    sites: Object.fromEntries([...result.syscalls].sort((a, b) => a[0] - b[0])),
    unresolvedSites: result.unresolved.length,
    unresolved: result.unresolved,
    legacySyscallSites: result.legacySites,
    objects: program.objects.map(({ object, name }) => ({
      name, path: object.path, reachedInstructions: result.reachedInstructions.get(name) ?? 0,
    })),
    missingLibraries: program.missingLibraries,
    brokenLibraries: program.brokenLibraries,
    undefinedSymbols: result.undefinedSymbols,
    warnings,
  };
}

/** static_binary.csv / static_sources.csv: `# syscall, used`, then `N,Y|N` for every number 0..maxNumber. */
export function formatStaticCsv(report: Pick<StaticReport, 'syscalls'>, table: SyscallTable = X86_64): string {
  const used = new Set(report.syscalls);
  const lines = ['# syscall, used'];
  for (let nr = 0; nr <= table.maxNumber; nr++) lines.push(`${nr},${used.has(nr) ? 'Y' : 'N'}`);
  return `${lines.join('\n')}\n`;
}
