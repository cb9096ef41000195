/**
 * Which syscall instructions a program can reach, across the binary and the shared
 * libraries it loads, and which numbers they issue.
 *
 * Model (an upper bound, see docs/static-analysis.md):
 * - roots: the entry point, init/fini functions, and every code address stored in
 *   data (function pointer tables, vtables, jump tables of non-PIC code);
 * - edges: fall-through, direct jumps and calls, calls through the PLT/GOT to the
 *   object that defines the symbol first in load order, code addresses taken by
 *   reachable instructions (lea/mov of a function address: it may be called later);
 * - an indirect jump that is not through the GOT (a switch table) makes its whole
 *   enclosing function reachable;
 * - indirect calls need no edge: their targets are address-taken code, covered above.
 */
import { Register } from 'iced-x86';
import type { SyscallTable } from '../syscalls/table.js';
import { Flow, fallsThroughTo, indexContaining, indexOfAddress } from './disassembly.js';
import { landingPadsAt } from './eh-frame.js';
import { SymbolBinding } from './elf.js';
import { traceRegister, type ValueOrigin } from './numbers.js';
import { functionNameAt, type LoadedObject } from './object.js';

/** Where a syscall number was found. */
export interface SyscallSite {
  /** Object file name (basename of the binary or library). */
  readonly object: string;
  readonly function: string;
  /** Address of the syscall instruction, or of the call that passes the number to a wrapper. */
  readonly address: string;
  /** For numbers passed to a wrapper: the wrapper's function and object. */
  readonly wrapper?: string;
}

export interface UnresolvedSite {
  readonly object: string;
  readonly function: string;
  readonly address: string;
  readonly reason: string;
}

export interface ReachabilityResult {
  readonly syscalls: ReadonlyMap<number, SyscallSite[]>;
  readonly unresolved: readonly UnresolvedSite[];
  /** `int 0x80` and `sysenter`: 32-bit ABI, numbers from another table, not counted. */
  readonly legacySites: readonly UnresolvedSite[];
  /** Imported symbols that no loaded object defines (strong references only). */
  readonly undefinedSymbols: readonly string[];
  /** Reachable code imports dlopen (or glibc's internal variant): libraries loaded at run time are not seen. */
  readonly loadsLibrariesAtRunTime: boolean;
  /** Reachable instructions per object, for statistics. */
  readonly reachedInstructions: ReadonlyMap<string, number>;
}

interface ObjectState {
  readonly object: LoadedObject;
  readonly name: string;
  readonly visited: Uint8Array;
  readonly work: number[];
  readonly regionsMarked: Set<number>;
  /** Indices into the object's landingPads whose pads are already roots. */
  readonly landingPadsAdded: Set<number>;
}

/** Entry points of run-time library loading: glibc's public ones and the one its NSS and iconv code call in ld.so. */
const DLOPEN_FUNCTIONS = ['dlopen', 'dlmopen', '_dl_catch_error'];

/**
 * Imported functions that take a syscall number in an argument register, for analyses that do
 * not load the libraries (--no-libs): glibc's `long syscall(long number, ...)` (syscall(2)).
 */
const IMPORTED_WRAPPERS: readonly { name: string; register: Register }[] = [{ name: 'syscall', register: Register.RDI }];

/** Bounds the recursion through wrappers of wrappers. */
const MAX_WRAPPER_DEPTH = 4;

export class Reachability {
  private readonly states: ObjectState[];
  private readonly resolvedImports = new Set<string>();
  private readonly undefinedSymbols = new Set<string>();

  /**
   * `objects` in load order (the binary first); with `followImports` false, calls
   * into other objects are not followed (the binary's own code only).
   */
  constructor(objects: readonly { object: LoadedObject; name: string }[], private readonly followImports: boolean) {
    this.states = objects.map(({ object, name }) => ({
      object, name, visited: new Uint8Array(object.code.count), work: [], regionsMarked: new Set(), landingPadsAdded: new Set(),
    }));
  }

  /**
   * Adds an object's own roots: init functions, code pointers in data and the symbols
   * its data refers to; and its entry point if it is started (the program, the loader).
   */
  addObjectRoots(objectIndex: number, runsEntry: boolean): void {
    const state = this.states[objectIndex]!;
    if (runsEntry) this.addRoot(state, state.object.elf.entry);
    for (const address of state.object.dataRoots) this.addRoot(state, address);
    for (const name of state.object.dataImports) this.importSymbol(state, name);
  }

  /** Treats `name` as called from outside (e.g. a libc function named in source code); false if no object exports it. */
  addExportRoot(name: string): boolean {
    return this.resolvedImports.has(name) || this.resolveImport(name);
  }

  run(): void {
    let progressed = true;
    while (progressed) {
      progressed = false;
      for (const state of this.states) {
        if (state.work.length > 0) {
          progressed = true;
          this.drain(state);
        }
      }
    }
  }

  private addRoot(state: ObjectState, address: number): void {
    const index = indexOfAddress(state.object.code, address);
    // A target inside an instruction means overlapping code; decoding from the containing instruction is the best guess.
    const at = index >= 0 ? index : indexContaining(state.object.code, address);
    if (at >= 0 && !state.visited[at]) state.work.push(at);
  }

  private importSymbol(state: ObjectState, name: string): void {
    if (!this.followImports || this.resolvedImports.has(name)) return;
    if (!this.resolveImport(name)) {
      const local = state.object.elf.dynamicSymbols.find((s) => s.name === name && s.sectionIndex === 0);
      if (local === undefined || local.binding !== SymbolBinding.weak) this.undefinedSymbols.add(name);
    }
  }

  /** Roots the first definition of `name` in load order (the loader's global scope). */
  private resolveImport(name: string): boolean {
    for (const state of this.states) {
      if (!state.object.definedNames.has(name)) continue;
      this.resolvedImports.add(name);
      for (const a of state.object.exports.get(name) ?? []) this.addRoot(state, a);
      return true;
    }
    return false;
  }

  private drain(state: ObjectState): void {
    const { code } = state.object;
    const { visited, work } = state;
    const follow = (index: number) => { if (index >= 0 && !visited[index]) work.push(index); };
    const followAddress = (address: number) => { if (state.object.isCode(address)) this.addRoot(state, address); };
    while (work.length > 0) {
      const i = work.pop()!;
      if (visited[i]) continue;
      visited[i] = 1;
      const references = code.references.get(i);
      if (references) {
        for (const address of references) {
          const symbol = state.object.slotSymbols.get(address);
          if (symbol !== undefined) this.importSymbol(state, symbol);
          else followAddress(address);
        }
      }
      const next = fallsThroughTo(code, i) ? i + 1 : -1;
      switch (code.flow[i]) {
        case Flow.call:
          this.addLandingPads(state, i);
          followAddress(code.target[i]!);
          follow(next);
          break;
        case Flow.conditionalJump:
          followAddress(code.target[i]!);
          follow(next);
          break;
        case Flow.jump:
          followAddress(code.target[i]!);
          break;
        case Flow.indirectCall:
          this.addLandingPads(state, i);
          this.followSlot(state, i);
          follow(next);
          break;
        case Flow.indirectJump:
          if (!this.followSlot(state, i)) this.markEnclosingFunction(state, i);
          break;
        case Flow.ret:
        case Flow.stop:
          break;
        default:
          follow(next);
      }
    }
  }

  /** A reachable call may throw: the landing pads of its function become reachable through the unwinder. */
  private addLandingPads(state: ObjectState, index: number): void {
    const { landingPads } = state.object;
    if (landingPads.length === 0) return;
    const entry = landingPadsAt(landingPads, state.object.code.address[index]!);
    if (entry < 0 || state.landingPadsAdded.has(entry)) return;
    state.landingPadsAdded.add(entry);
    for (const pad of landingPads[entry]!.pads) this.addRoot(state, pad);
  }

  /** Follows `call/jmp [rip+slot]` to the imported symbol; false if the slot holds no symbol. */
  private followSlot(state: ObjectState, index: number): boolean {
    const symbol = state.object.slotSymbols.get(state.object.code.target[index]!);
    if (symbol === undefined) return false;
    this.importSymbol(state, symbol);
    return true;
  }

  /** Switch tables: the targets are somewhere in the same function, so all of it is reachable. */
  private markEnclosingFunction(state: ObjectState, index: number): void {
    const { code, sortedStarts } = state.object;
    const address = code.address[index]!;
    let lo = 0;
    let hi = sortedStarts.length - 1;
    let start = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (sortedStarts[mid]! <= address) { start = mid; lo = mid + 1; } else hi = mid - 1;
    }
    const from = start >= 0 ? sortedStarts[start]! : code.address[0]!;
    if (state.regionsMarked.has(from)) return;
    state.regionsMarked.add(from);
    const to = start + 1 < sortedStarts.length ? sortedStarts[start + 1]! : Infinity;
    const region = code.regions.find((r) => index >= r.firstIndex && index < r.endIndex)!;
    let i = Math.max(indexContaining(code, from), region.firstIndex);
    for (; i < region.endIndex && code.address[i]! < to; i++) if (!state.visited[i]) state.work.push(i);
  }

  /** After run(): the numbers at every reachable syscall instruction. */
  collect(table: SyscallTable): ReachabilityResult {
    const syscalls = new Map<number, SyscallSite[]>();
    const unresolved: UnresolvedSite[] = [];
    const legacySites: UnresolvedSite[] = [];
    const reachedInstructions = new Map<string, number>();
    for (const state of this.states) {
      const { code } = state.object;
      let reached = 0;
      for (let i = 0; i < code.count; i++) {
        if (!state.visited[i]) continue;
        reached++;
        const flow = code.flow[i];
        if (flow === Flow.legacySyscall) {
          legacySites.push({ ...this.location(state, i), reason: '32-bit system call ABI (int 0x80/sysenter) is not analysed' });
        } else if (flow === Flow.syscall) {
          const origins = traceRegister(code, state.object.functionStarts, i, Register.RAX, this.reachedIn(state));
          this.record(state, i, origins, undefined, 0, table, syscalls, unresolved);
        }
      }
      reachedInstructions.set(state.name, reached);
      // Without the libraries the wrapper's own syscall instruction is never seen: its call sites give the numbers.
      if (!this.followImports) {
        for (const { name, register } of IMPORTED_WRAPPERS) {
          for (const i of state.object.importCallSites.get(name) ?? []) {
            if (!state.visited[i]) continue;
            const origins = traceRegister(code, state.object.functionStarts, i, register, this.reachedIn(state));
            this.record(state, i, origins, `${name} (imported)`, 0, table, syscalls, unresolved);
          }
        }
      }
    }
    for (const sites of syscalls.values()) sites.sort((a, b) => a.object.localeCompare(b.object) || a.address.localeCompare(b.address));
    return {
      syscalls, unresolved, legacySites, reachedInstructions,
      undefinedSymbols: [...this.undefinedSymbols].sort(),
      loadsLibrariesAtRunTime: DLOPEN_FUNCTIONS.some((name) => this.resolvedImports.has(name)),
    };
  }

  private reachedIn(state: ObjectState): (index: number) => boolean {
    return (index) => state.visited[index] === 1;
  }

  private location(state: ObjectState, index: number) {
    const address = state.object.code.address[index]!;
    return { object: state.name, function: functionNameAt(state.object, address), address: `0x${address.toString(16)}` };
  }

  private record(
    state: ObjectState, index: number, origins: readonly ValueOrigin[], wrapper: string | undefined, depth: number,
    table: SyscallTable, syscalls: Map<number, SyscallSite[]>, unresolved: UnresolvedSite[],
  ): void {
    const here = this.location(state, index);
    for (const origin of origins) {
      if (origin.kind === 'constant') {
        if (table.name(origin.value) === undefined) {
          unresolved.push({ ...here, reason: `${origin.value} is not an ${table.arch} syscall number` });
          continue;
        }
        const sites = syscalls.get(origin.value) ?? [];
        if (sites.length === 0) syscalls.set(origin.value, sites);
        sites.push(wrapper === undefined ? here : { ...here, wrapper });
      } else if (origin.kind === 'unknown') {
        unresolved.push({ ...here, reason: origin.reason });
      } else {
        const callers = this.reachedCallers(state, origin.functionAddress);
        const functionName = `${functionNameAt(state.object, origin.functionAddress)} (${state.name})`;
        const wrapperName = wrapper ?? functionName;
        if (callers.length === 0 || depth >= MAX_WRAPPER_DEPTH) {
          const passedOn = wrapper === undefined ? '' : `, passed on to ${wrapper}`;
          const why = callers.length === 0 ? 'which has no direct caller (called through a pointer?)' : 'passed through too many wrappers';
          unresolved.push({ ...here, reason: `number is an argument of ${functionName}${passedOn}, ${why}` });
          continue;
        }
        for (const caller of callers) {
          const callerOrigins = traceRegister(
            caller.state.object.code, caller.state.object.functionStarts, caller.index, origin.register, this.reachedIn(caller.state));
          this.record(caller.state, caller.index, callerOrigins, wrapperName, depth + 1, table, syscalls, unresolved);
        }
      }
    }
  }

  /** Reachable direct calls/jumps to `functionAddress`, in its own object and, if exported, through the PLT/GOT of every object. */
  private reachedCallers(state: ObjectState, functionAddress: number): { state: ObjectState; index: number }[] {
    const { code } = state.object;
    const callers: { state: ObjectState; index: number }[] = [];
    for (const source of code.branchSources.get(functionAddress) ?? []) {
      const flow = code.flow[source];
      if (state.visited[source] && (flow === Flow.call || flow === Flow.jump)) callers.push({ state, index: source });
    }
    for (const [name, addresses] of state.object.exports) {
      if (!addresses.includes(functionAddress)) continue;
      for (const other of this.states) {
        for (const index of other.object.importCallSites.get(name) ?? []) {
          if (other.visited[index]) callers.push({ state: other, index });
        }
      }
    }
    return callers;
  }
}
