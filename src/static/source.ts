/**
 * Source analysis: which functions a C/C++ tree calls (or takes the address of),
 * read from clang's JSON AST (`clang -Xclang -ast-dump=json -fsyntax-only`) so that
 * macros, includes and compile flags are handled by a real front end. Called libc
 * functions are mapped to syscalls with libc-syscalls.ts; `syscall(N)` with a
 * constant N counts N directly.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { ExitCode, LoupeError } from '../core/errors.js';
import { runPool } from '../core/pool.js';

const SOURCE_EXTENSIONS = /\.(c|cc|cpp|cxx|C)$/;
const SKIPPED_DIRECTORIES = new Set(['node_modules', '.git', '.hg', '.svn']);
/** Flags of a compile command that produce files or make no sense for -fsyntax-only. */
const DROPPED_FLAGS_WITH_VALUE = new Set(['-o', '-MF', '-MT', '-MQ']);
const DROPPED_FLAGS = new Set(['-c', '-MD', '-MMD', '-M', '-MM', '-MP']);

export interface TranslationUnit {
  readonly file: string;
  readonly directory: string;
  /** Compiler arguments without the compiler, the output and the source file. */
  readonly args: readonly string[];
}

/** What one translation unit uses, read from its AST. */
export interface UnitUses {
  /** Functions called or whose address is taken. */
  readonly referenced: Set<string>;
  /** Functions with a body in this unit (the tree's own code). */
  readonly defined: Set<string>;
  /** Constant numbers passed to syscall(). */
  readonly directSyscalls: Set<number>;
  /** syscall() calls with a non-constant number, and inline assembly containing `syscall`. */
  readonly unresolved: { readonly file: string; readonly line: number; readonly reason: string }[];
}

/** Splits a compile_commands.json "command" string the way a POSIX shell would (quotes, backslashes). */
export function splitCommandLine(command: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < command.length; i++) {
    const c = command[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined; else word += c;
    } else if (c === '\\' && i + 1 < command.length && quote !== undefined) {
      word += command[++i];
    } else if (c === '\\' && i + 1 < command.length) {
      word += command[++i];
      inWord = true;
    } else if (quote === '"') {
      if (c === '"') quote = undefined; else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** The translation units of `dir`: from compile_commands.json (in DIR or DIR/build) if present, else every C/C++ file. */
export function findTranslationUnits(dir: string): { units: TranslationUnit[]; compileCommands?: string } {
  const compileCommands = [join(dir, 'compile_commands.json'), join(dir, 'build', 'compile_commands.json')].find(existsSync);
  if (compileCommands) return { units: unitsFromCompileCommands(compileCommands), compileCommands };
  const units: TranslationUnit[] = [];
  const includes = [`-I${dir}`, ...(existsSync(join(dir, 'include')) ? [`-I${join(dir, 'include')}`] : [])];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) {
        if (!entry.name.startsWith('.') && !SKIPPED_DIRECTORIES.has(entry.name)) walk(path);
      } else if (entry.isFile() && SOURCE_EXTENSIONS.test(entry.name)) {
        units.push({ file: path, directory: folder, args: [...includes, `-I${folder}`] });
      }
    }
  };
  walk(dir);
  return { units };
}

function unitsFromCompileCommands(path: string): TranslationUnit[] {
  let entries: unknown;
  try {
    entries = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new LoupeError(`cannot read ${path}: ${(err as Error).message}`, ExitCode.badInput, 'compile_commands.json must be a JSON array of compile commands');
  }
  if (!Array.isArray(entries)) throw new LoupeError(`${path} is not a JSON array`, ExitCode.badInput);
  return entries.map((entry: { directory?: string; file?: string; command?: string; arguments?: string[] }) => {
    if (typeof entry.file !== 'string' || typeof entry.directory !== 'string') {
      throw new LoupeError(`${path}: an entry lacks "file" or "directory"`, ExitCode.badInput);
    }
    // The format wants absolute directories; a relative one is read relative to the JSON file.
    const directory = resolve(dirname(path), entry.directory);
    const file = resolve(directory, entry.file);
    const words = entry.arguments ?? splitCommandLine(entry.command ?? '');
    const args: string[] = [];
    for (let i = 1; i < words.length; i++) {
      const w = words[i]!;
      if (DROPPED_FLAGS_WITH_VALUE.has(w)) { i++; continue; }
      if (DROPPED_FLAGS.has(w) || resolve(directory, w) === file) continue;
      args.push(w);
    }
    return { file, directory, args };
  });
}

interface AstNode {
  kind?: string;
  name?: string;
  inner?: AstNode[];
  referencedDecl?: { kind?: string; name?: string };
  value?: string;
  loc?: AstLocation;
  range?: { begin?: AstLocation; end?: AstLocation };
}
interface AstLocation {
  offset?: number;
  file?: string;
  line?: number;
  tokLen?: number;
  spellingLoc?: AstLocation;
  expansionLoc?: AstLocation;
}

/** Reads what a unit references from its JSON AST; `readSource` gives a file's bytes (clang's offsets count bytes) for inline assembly. */
export function usesFromAst(ast: AstNode, mainFile: string, readSource: (file: string) => Buffer | undefined): UnitUses {
  const uses: UnitUses = { referenced: new Set(), defined: new Set(), directSyscalls: new Set(), unresolved: [] };
  // Clang prints a location's file only when it differs from the previous one printed, in document order.
  let currentFile = mainFile;
  let currentLine = 0;
  const noteLocation = (loc: AstLocation | undefined) => {
    if (!loc) return;
    for (const l of [loc.spellingLoc, loc.expansionLoc, loc]) {
      if (l?.file !== undefined) currentFile = l.file;
      if (l?.line !== undefined) currentLine = l.line;
    }
  };
  const visit = (node: AstNode) => {
    noteLocation(node.loc);
    noteLocation(node.range?.begin);
    const here = { file: currentFile, line: currentLine };
    const startOffset = node.range?.begin?.expansionLoc?.offset ?? node.range?.begin?.offset;
    const fileOfNode = currentFile;
    noteLocation(node.range?.end);
    if (node.kind === 'FunctionDecl' && node.name && node.inner?.some((c) => c.kind === 'CompoundStmt')) uses.defined.add(node.name);
    if (node.kind === 'DeclRefExpr' && node.referencedDecl?.kind === 'FunctionDecl' && node.referencedDecl.name) {
      uses.referenced.add(node.referencedDecl.name);
    }
    if (node.kind === 'CallExpr' && calleeName(node) === 'syscall') {
      const nr = integerValue(node.inner?.[1]);
      if (nr === undefined) uses.unresolved.push({ ...here, reason: 'syscall() with a number that is not a constant' });
      else uses.directSyscalls.add(nr);
    }
    if (node.kind === 'GCCAsmStmt' || node.kind === 'MSAsmStmt') {
      const end = node.range?.end?.expansionLoc ?? node.range?.end;
      const text = startOffset === undefined || end?.offset === undefined ? undefined
        : readSource(fileOfNode)?.subarray(startOffset, end.offset + (end.tokLen ?? 0)).toString('utf8');
      if (text === undefined || /\bsyscall\b|int\s+\$?0x80|sysenter/.test(text)) {
        uses.unresolved.push({ ...here, reason: 'inline assembly that may issue a syscall' });
      }
    }
    for (const child of node.inner ?? []) visit(child);
  };
  visit(ast);
  return uses;
}

const TRANSPARENT_EXPRESSIONS = new Set(['ImplicitCastExpr', 'CStyleCastExpr', 'ParenExpr', 'ConstantExpr']);

function unwrap(node: AstNode | undefined): AstNode | undefined {
  let n = node;
  while (n && TRANSPARENT_EXPRESSIONS.has(n.kind ?? '') && n.inner?.length === 1) n = n.inner[0];
  return n;
}

function calleeName(call: AstNode): string | undefined {
  const callee = unwrap(call.inner?.[0]);
  return callee?.kind === 'DeclRefExpr' ? callee.referencedDecl?.name : undefined;
}

function integerValue(node: AstNode | undefined): number | undefined {
  const literal = unwrap(node);
  if (literal?.kind !== 'IntegerLiteral' || literal.value === undefined) return undefined;
  const value = Number(literal.value);
  return Number.isSafeInteger(value) ? value : undefined;
}

export interface UnitResult {
  readonly unit: TranslationUnit;
  /** Absent when clang produced no AST at all. */
  readonly uses?: UnitUses;
  /** Clang's first error: with errors the AST is partial (or absent), so the unit may be under-analysed. */
  readonly error?: string;
}

/** Runs clang on every unit, a few at a time; units clang rejects are reported, not fatal. */
export async function analyseUnits(units: readonly TranslationUnit[], clang = 'clang'): Promise<UnitResult[]> {
  const sources = new Map<string, Buffer | undefined>();
  const readSource = (file: string) => {
    if (!sources.has(file)) {
      try { sources.set(file, readFileSync(file)); } catch { sources.set(file, undefined); }
    }
    return sources.get(file);
  };
  return runPool(units, async (unit) => {
    const { ast, error } = await dumpAst(unit, clang);
    const uses = ast && usesFromAst(ast, unit.file, (f) => readSource(isAbsolute(f) ? f : resolve(unit.directory, f)));
    return { unit, ...(uses ? { uses } : {}), ...(error ? { error } : {}) };
  }, { jobs: availableParallelism(), stopOnFirstError: true });
}

function dumpAst(unit: TranslationUnit, clang: string): Promise<{ ast?: AstNode; error?: string }> {
  const args = [...unit.args, '-fsyntax-only', '-Xclang', '-ast-dump=json', '-Qunused-arguments', '-Wno-everything', unit.file];
  return new Promise((done, reject) => {
    execFile(clang, args, { cwd: unit.directory, maxBuffer: 1 << 30, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err && 'code' in err && err.code === 'ENOENT') {
        reject(new LoupeError(`${clang} not found`, ExitCode.environment, 'source analysis needs clang: apt-get install clang'));
        return;
      }
      const error = err ? (firstError(stderr) ?? err.message) : undefined;
      try {
        // With errors clang still prints the AST of what it could parse.
        done({ ast: JSON.parse(stdout) as AstNode, ...(error ? { error } : {}) });
      } catch {
        done({ error: error ?? 'clang printed no AST' });
      }
    });
  });
}

function firstError(stderr: string): string | undefined {
  return stderr.split('\n').find((l) => l.includes('error:'))?.trim();
}

/** Checks that DIR is a readable directory; the message says what to give instead. */
export function checkSourceDirectory(dir: string): void {
  let isDirectory = false;
  try { isDirectory = statSync(dir).isDirectory(); } catch { /* reported below */ }
  if (!isDirectory) throw new LoupeError(`${dir} is not a directory`, ExitCode.badInput, 'give the root folder of a C/C++ source tree');
}

export function relativeTo(dir: string, file: string): string {
  const r = relative(dir, file);
  return r.startsWith('..') ? file : r;
}
