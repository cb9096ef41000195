/**
 * The libc-function -> syscalls mapping used by source analysis. It is not a
 * hand-written table: it is derived, on the machine that runs the analysis, by the
 * binary analysis of the installed libc.so.6 (and the loader it needs). For each
 * exported function, the syscall numbers reachable from it through libc's (and the
 * loader's) direct calls and taken addresses; plus a "runtime" set that every
 * program gets (loader, libc start-up, code reachable through libc's function
 * pointer tables). So the mapping always matches the libc the program will run with,
 * covers every exported function (a few thousand in glibc 2.36) and inherits the
 * binary analysis' soundness trade-offs (docs/static-analysis.md).
 */
import { ExitCode, LoupeError } from '../core/errors.js';
import { X86_64, type SyscallTable } from '../syscalls/table.js';
import { resolveLibrary } from './libraries.js';
import { isLoadableLibrary, loadObjectCached, loadProgram, type LoadedProgram } from './loader.js';
import { Reachability } from './reachability.js';

export interface LibcMapping {
  /** Path of the libc the mapping was derived from. */
  readonly libraryPath: string;
  /** Syscalls every dynamically linked C program can issue, whatever it calls. */
  readonly runtime: readonly number[];
  /** Syscalls reachable from the exported function `name`, or undefined if libc does not export it. */
  functionSyscalls(name: string): readonly number[] | undefined;
}

const LIBC = 'libc.so.6';

export function loadLibcMapping(table: SyscallTable = X86_64): LibcMapping {
  const libraryPath = resolveLibrary(LIBC, { path: '/', rpath: [], runpath: [] }, [], isLoadableLibrary);
  if (libraryPath === undefined) {
    throw new LoupeError(`cannot find ${LIBC}`, ExitCode.environment,
      'source analysis maps libc functions through the installed x86-64 glibc; install libc6');
  }
  const program = loadProgram(loadObjectCached(libraryPath));
  // libc's own entry point only runs when libc.so.6 is executed as a program; the loader's runs always.
  const runtime = reachableSyscalls(program, table,
    (reach) => program.objects.forEach(({ object }, i) => reach.addObjectRoots(i, object === program.interpreter)));
  const perFunction = new Map<string, readonly number[] | undefined>();
  return {
    libraryPath,
    runtime,
    functionSyscalls(name) {
      if (!perFunction.has(name)) {
        let exported = false;
        const numbers = reachableSyscalls(program, table, (reach) => { exported = reach.addExportRoot(name); });
        perFunction.set(name, exported ? numbers : undefined);
      }
      return perFunction.get(name);
    },
  };
}

function reachableSyscalls(program: LoadedProgram, table: SyscallTable, addRoots: (reach: Reachability) => void): number[] {
  const reach = new Reachability(program.objects, true);
  addRoots(reach);
  reach.run();
  return [...reach.collect(table).syscalls.keys()].sort((a, b) => a - b);
}
