/**
 * One ELF object prepared for analysis: its disassembly plus the indexes the
 * reachability pass needs (function starts, exports, GOT slots, code pointers held
 * in data). Everything here depends only on the file, so it is computed once per
 * file and cached.
 */
import { Flow, disassemble, indexOfAddress, type Disassembly } from './disassembly.js';
import { readLandingPads, type FunctionLandingPads } from './eh-frame.js';
import { Reloc, SymbolType, isExported, parseElf, type ElfFile, type ElfSymbol } from './elf.js';

export interface LoadedObject {
  readonly path: string;
  readonly elf: ElfFile;
  readonly code: Disassembly;
  /** Addresses where a function begins: symbols, direct call targets, code pointers. */
  readonly functionStarts: ReadonlySet<number>;
  /** The same, sorted, to find the function around an address. */
  readonly sortedStarts: Float64Array;
  /** Exported code symbols by name (all versions of a name: the importer's version is not modelled). */
  readonly exports: ReadonlyMap<string, readonly number[]>;
  /** Every name this object defines for others, code or data. */
  readonly definedNames: ReadonlySet<string>;
  /** GOT slot address -> name of the symbol the loader writes there. */
  readonly slotSymbols: ReadonlyMap<number, string>;
  /** Code the program can enter without a direct call: init/fini functions, code pointers stored in data. */
  readonly dataRoots: readonly number[];
  /** Symbols whose address is stored in data (function pointer tables, GLOB_DAT, R_X86_64_64). */
  readonly dataImports: readonly string[];
  /** Imported symbol name -> indices of the calls and jumps that go to it (through the PLT or the GOT). */
  readonly importCallSites: ReadonlyMap<string, readonly number[]>;
  /** Per function with exception handling, the landing pads the unwinder may enter (sorted by function start). */
  readonly landingPads: readonly FunctionLandingPads[];
  /** Named function symbols sorted by address, for reports. */
  readonly namedFunctions: readonly ElfSymbol[];
  isCode(address: number): boolean;
}

/** Allocated sections that hold linking or unwinding metadata, never a program's code pointers. */
const METADATA_SECTION = /^\.(note|hash|gnu\.hash|dynsym|dynstr|gnu\.version|rela?\.|relr|eh_frame|gcc_except_table|interp|dynamic)/;

export function loadObject(path: string, buf: Buffer): LoadedObject {
  const elf = parseElf(buf);
  const ranges = elf.codeRegions.map((r) => [r.address, r.address + r.bytes.length] as const);
  const isCode = (address: number) => ranges.some(([start, end]) => address >= start && address < end);
  const slotSymbols = new Map<number, string>();
  const dataRoots = new Set<number>(elf.initFunctions.filter(isCode));
  const dataImports = new Set<string>();
  let hasRelativeRelocations = elf.relrTargets.length > 0;
  for (const target of elf.relrTargets) if (isCode(target)) dataRoots.add(target);
  for (const rel of elf.relocations) {
    const symbol = rel.symbolIndex === 0 ? undefined : elf.dynamicSymbols[rel.symbolIndex];
    switch (rel.type) {
      case Reloc.relative:
        hasRelativeRelocations = true;
        if (isCode(rel.addend)) dataRoots.add(rel.addend);
        break;
      case Reloc.irelative: // the addend is the ifunc resolver, which the loader calls; static non-PIE files have these too
        if (isCode(rel.addend)) dataRoots.add(rel.addend);
        break;
      case Reloc.jumpSlot:
        if (symbol?.name) slotSymbols.set(rel.offset, symbol.name);
        break;
      case Reloc.globDat:
      case Reloc.abs64:
        if (symbol?.name) {
          slotSymbols.set(rel.offset, symbol.name);
          dataImports.add(symbol.name);
        } else if (isCode(rel.addend)) dataRoots.add(rel.addend);
        break;
    }
  }
  // Without RELATIVE relocations (non-PIE and static executables) code pointers sit in data as plain addresses.
  if (!hasRelativeRelocations) {
    for (const region of elf.dataRegions.filter((r) => !METADATA_SECTION.test(r.name))) {
      const view = Buffer.from(region.bytes.buffer, region.bytes.byteOffset, region.bytes.byteLength);
      const firstAligned = (8 - (region.address % 8)) % 8;
      for (let o = firstAligned; o + 8 <= view.length; o += 8) {
        if (view.readUInt32LE(o + 4) !== 0) continue;
        const value = view.readUInt32LE(o);
        if (isCode(value)) dataRoots.add(value);
      }
    }
  }

  const code = disassemble(elf.codeRegions, (address) => isCode(address) || slotSymbols.has(address));

  const codeSymbols = [...elf.symbols, ...elf.dynamicSymbols].filter(
    (s) => s.sectionIndex !== 0 && isCode(s.value) && (s.type === SymbolType.func || s.type === SymbolType.ifunc || s.type === SymbolType.notype),
  );
  const functionStarts = new Set<number>([...dataRoots, ...codeSymbols.map((s) => s.value)]);
  if (isCode(elf.entry)) functionStarts.add(elf.entry);
  for (let i = 0; i < code.count; i++) {
    if (code.flow[i] === Flow.call && isCode(code.target[i]!)) functionStarts.add(code.target[i]!);
  }
  for (const list of code.references.values()) for (const a of list) if (isCode(a)) functionStarts.add(a);

  const exports = new Map<string, number[]>();
  const definedNames = new Set<string>();
  for (const s of elf.dynamicSymbols) {
    if (!isExported(s)) continue;
    definedNames.add(s.name);
    if (!isCode(s.value)) continue;
    const list = exports.get(s.name);
    if (list) { if (!list.includes(s.value)) list.push(s.value); } else exports.set(s.name, [s.value]);
  }
  const namedFunctions = dedupeByAddress(codeSymbols.filter((s) => s.name !== '' && s.type !== SymbolType.notype));
  const object = {
    path, elf, code, functionStarts, exports, definedNames, slotSymbols, isCode, namedFunctions,
    sortedStarts: Float64Array.from(functionStarts).sort(),
    dataRoots: [...dataRoots],
    dataImports: [...dataImports],
    landingPads: readLandingPads(elf),
  };
  return { ...object, importCallSites: findImportCallSites(object) };
}

/** Prefers global names (what users know) when several symbols share an address. */
function dedupeByAddress(symbols: ElfSymbol[]): ElfSymbol[] {
  const byAddress = new Map<number, ElfSymbol>();
  for (const s of symbols) {
    const known = byAddress.get(s.value);
    if (!known || (known.binding === 0 && s.binding !== 0)) byAddress.set(s.value, s);
  }
  return [...byAddress.values()].sort((a, b) => a.value - b.value);
}

/**
 * The import that control reaches from `index` without doing anything else:
 * a PLT stub (`endbr64; bnd jmp [rip+slot]`) or a `call/jmp [rip+slot]` itself.
 */
export function importAt(object: Pick<LoadedObject, 'code' | 'slotSymbols'>, index: number): string | undefined {
  const { code } = object;
  for (let i = index; i >= 0 && i < code.count && i < index + 3; i++) {
    const flow = code.flow[i];
    if (flow === Flow.indirectJump) return object.slotSymbols.get(code.target[i]!);
    // At most one instruction (endbr64 in .plt.sec stubs) before the jump, and it must not touch memory.
    if (flow !== Flow.next || i !== index || code.length[i] !== 4 || code.references.has(i)) return undefined;
  }
  return undefined;
}

function isPltIndex(code: Disassembly, index: number): boolean {
  return pltRegions(code).some((r) => index >= r.firstIndex && index < r.endIndex);
}

function pltRegions(code: Disassembly) {
  return code.regions.filter((r) => r.region.name.startsWith('.plt'));
}

/** Calls and jumps to imports from the object's own code (the PLT stubs' jumps are not call sites themselves). */
function findImportCallSites(object: Pick<LoadedObject, 'code' | 'slotSymbols' | 'isCode'>): Map<string, number[]> {
  const sites = new Map<string, number[]>();
  const { code } = object;
  const plt = pltRegions(code);
  for (let i = 0; i < code.count; i++) {
    if (plt.some((r) => i >= r.firstIndex && i < r.endIndex)) continue;
    const flow = code.flow[i];
    let name: string | undefined;
    if (flow === Flow.call || flow === Flow.jump) {
      const target = code.target[i]!;
      if (object.isCode(target)) {
        const stub = indexOfAddress(code, target);
        if (stub >= 0) name = importAt(object, stub);
      }
    } else if (flow === Flow.indirectCall || flow === Flow.indirectJump) {
      name = object.slotSymbols.get(code.target[i]!);
    }
    if (name === undefined) continue;
    const list = sites.get(name);
    if (list) list.push(i);
    else sites.set(name, [i]);
  }
  return sites;
}

/** The name of the function containing `address`, or its hex address when no symbol covers it. */
export function functionNameAt(object: LoadedObject, address: number): string {
  const index = indexOfAddress(object.code, address);
  if (index >= 0 && isPltIndex(object.code, index)) {
    const name = importAt(object, index);
    if (name !== undefined) return `${name}@plt`;
  }
  const symbols = object.namedFunctions;
  let lo = 0;
  let hi = symbols.length - 1;
  let found: ElfSymbol | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (symbols[mid]!.value <= address) { found = symbols[mid]; lo = mid + 1; } else hi = mid - 1;
  }
  if (found && (address < found.value + found.size || (found.size === 0 && address === found.value))) return found.name;
  return `0x${address.toString(16)}`;
}
