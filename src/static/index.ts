/**
 * Static analysis: the syscalls a binary (with its libraries) or a source tree could
 * ever issue. Entry points for `loupe static` and for `loupe explore`, which writes
 * static_binary.csv beside dyn.csv.
 */
import { basename, resolve } from 'node:path';
import { ExitCode, LoupeError } from '../core/errors.js';
import { X86_64, type SyscallTable } from '../syscalls/table.js';
import { loadLibcMapping } from './libc-syscalls.js';
import { loadMainBinary, loadProgram } from './loader.js';
import { Reachability, type SyscallSite, type UnresolvedSite } from './reachability.js';
import { analyseUnits, checkSourceDirectory, findTranslationUnits, relativeTo } from './source.js';

export type { SyscallSite, UnresolvedSite } from './reachability.js';

/** What both analyses answer: the upper bound, and how many places it could not see into. */
export interface StaticSyscallSet {
  /** What was analysed: a binary path or a source directory. */
  readonly target: string;
  /** Sorted syscall numbers that may be issued. */
  readonly syscalls: readonly number[];
  /** Places whose syscall number could not be recovered; the set may miss what they issue. */
  readonly unresolvedSites: number;
}

export interface StaticReport extends StaticSyscallSet {
  /** Where each number was found (key: the number). */
  readonly sites: Readonly<Record<number, readonly SyscallSite[]>>;
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
    ? { objects: [{ object: main, name: basename(main.path) }], missingLibraries: [], brokenLibraries: [] }
    : loadProgram(main);
  const reach = new Reachability(program.objects, !options.noLibraries);
  program.objects.forEach(({ object }, i) => reach.addObjectRoots(i, object === main || object === program.interpreter));
  reach.run();
  const result = reach.collect(table);
  const warnings = [...main.elf.warnings];
  if (main.elf.sections.some((s) => s.name === '.go.buildinfo')) {
    warnings.push("a Go program: numbers passed through Go's syscall package travel on the stack and are mostly unresolved sites");
  }
  if (main.elf.symbols.length === 0) warnings.push('the binary is stripped: functions without exported symbols are named by address');
  if (result.loadsLibrariesAtRunTime) {
    warnings.push('reachable code can load libraries at run time (dlopen, NSS, iconv); those libraries are not analysed');
  }
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

export interface SourceReport extends StaticSyscallSet {
  /** Per syscall: the libc functions, syscall() calls or the C runtime that bring it in. */
  readonly foundIn: Readonly<Record<number, readonly string[]>>;
  /** syscall() with a non-constant number, inline assembly that may issue syscalls. */
  readonly unresolved: readonly string[];
  /** Each libc function the tree calls, with the syscalls reachable from it in the installed libc. */
  readonly libcFunctions: Readonly<Record<string, readonly number[]>>;
  /** Functions the tree calls that it does not define and libc does not export (other libraries). */
  readonly unmappedFunctions: readonly string[];
  readonly libc: string;
  readonly translationUnits: number;
  readonly compileCommands?: string;
  /** Units clang reported errors for: their analysis is partial or missing. */
  readonly failedUnits: readonly { readonly file: string; readonly error: string }[];
}

/** The C runtime's share: what every dynamically linked C program can issue. */
const RUNTIME = 'C runtime (loader, libc start-up, libc function pointer tables)';

/**
 * Statically analyses a C/C++ source tree with clang's AST, mapping the libc
 * functions it calls to syscalls through the binary analysis of the installed libc.
 */
export async function analyseSources(dir: string, options: { readonly table?: SyscallTable; readonly clang?: string } = {}): Promise<SourceReport> {
  const table = options.table ?? X86_64;
  checkSourceDirectory(dir);
  const { units, compileCommands } = findTranslationUnits(dir);
  if (units.length === 0) {
    throw new LoupeError(`no C or C++ source files under ${dir}`, ExitCode.badInput,
      'give the root of a C/C++ source tree (*.c, *.cc, *.cpp, *.cxx), or put a compile_commands.json there');
  }
  const results = await analyseUnits(units, options.clang);
  const referenced = new Set<string>();
  const defined = new Set<string>();
  const foundIn = new Map<number, Set<string>>();
  const add = (nr: number, where: string) => {
    const set = foundIn.get(nr) ?? new Set<string>();
    foundIn.set(nr, set.add(where));
  };
  const unresolved: string[] = [];
  for (const { unit, uses } of results) {
    if (!uses) continue;
    uses.referenced.forEach((name) => referenced.add(name));
    uses.defined.forEach((name) => defined.add(name));
    for (const nr of uses.directSyscalls) {
      if (table.name(nr) === undefined) unresolved.push(`${relativeTo(dir, unit.file)}: syscall(${nr}) is not an ${table.arch} syscall number`);
      else add(nr, `syscall(${nr}) in ${relativeTo(dir, unit.file)}`);
    }
    for (const u of uses.unresolved) unresolved.push(`${relativeTo(dir, resolve(unit.directory, u.file))}:${u.line}: ${u.reason}`);
  }
  const libc = loadLibcMapping(table);
  libc.runtime.forEach((nr) => add(nr, RUNTIME));
  const libcFunctions: Record<string, readonly number[]> = {};
  const unmapped: string[] = [];
  // syscall() itself is handled through its constant arguments above.
  for (const name of [...referenced].filter((n) => !defined.has(n) && n !== 'syscall').sort()) {
    const numbers = libc.functionSyscalls(name);
    if (numbers === undefined) {
      unmapped.push(name);
      continue;
    }
    libcFunctions[name] = numbers;
    numbers.forEach((nr) => add(nr, `${name}()`));
  }
  return {
    target: dir,
    syscalls: [...foundIn.keys()].sort((a, b) => a - b),
    foundIn: Object.fromEntries([...foundIn].sort((a, b) => a[0] - b[0]).map(([nr, where]) => [nr, [...where]])),
    unresolvedSites: unresolved.length,
    unresolved,
    libcFunctions,
    unmappedFunctions: unmapped,
    libc: libc.libraryPath,
    translationUnits: units.length,
    ...(compileCommands ? { compileCommands } : {}),
    failedUnits: results.filter((r) => r.error !== undefined).map((r) => ({ file: relativeTo(dir, r.unit.file), error: r.error! })),
  };
}

