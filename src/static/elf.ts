/**
 * A reader for 64-bit little-endian ELF files: just what the static analysis needs
 * (sections, segments, symbols, relocations, the dynamic table). It takes a Buffer and
 * does no I/O, so tests can feed it any bytes; every read is bounds-checked and a bad
 * file raises ElfFormatError instead of a RangeError deep inside.
 */

/** The file is not an ELF file this reader supports, or is damaged. */
export class ElfFormatError extends Error {
  constructor(
    message: string,
    /** not-elf: wrong magic; unsupported: valid ELF of another class/architecture; corrupt: truncated or inconsistent. */
    readonly kind: 'not-elf' | 'unsupported' | 'corrupt',
  ) {
    super(message);
    this.name = 'ElfFormatError';
  }
}

export const ElfType = { exec: 2, dyn: 3 } as const;
const EM_X86_64 = 62;
const EM_386 = 3;

const SHT = { symtab: 2, rela: 4, dynamic: 6, nobits: 8, dynsym: 11, relr: 19 } as const;
export const SHF_EXECINSTR = 0x4;
const SHF_ALLOC = 0x2;
const PT = { load: 1, dynamic: 2, interp: 3 } as const;
const PF_X = 0x1;
const DT = {
  null: 0, needed: 1, strtab: 5, init: 12, fini: 13, soname: 14, rpath: 15,
  initArray: 25, finiArray: 26, initArraySz: 27, finiArraySz: 28, runpath: 29, strsz: 10,
} as const;

/** x86-64 relocation types the analysis looks at. */
export const Reloc = { abs64: 1, globDat: 6, jumpSlot: 7, relative: 8, irelative: 37 } as const;

export const SymbolType = { notype: 0, object: 1, func: 2, ifunc: 10 } as const;
/** STB_GNU_UNIQUE: C++ template statics that the loader makes process-wide. */
export const SymbolBinding = { local: 0, global: 1, weak: 2, gnuUnique: 10 } as const;

export interface ElfSection {
  readonly name: string;
  readonly type: number;
  readonly flags: number;
  readonly address: number;
  readonly offset: number;
  readonly size: number;
  readonly link: number;
  readonly entrySize: number;
}

export interface ElfSegment {
  readonly type: number;
  readonly flags: number;
  readonly offset: number;
  readonly address: number;
  readonly fileSize: number;
  readonly memorySize: number;
}

export interface ElfSymbol {
  readonly name: string;
  readonly value: number;
  readonly size: number;
  readonly type: number;
  readonly binding: number;
  /** Section index; 0 means undefined (imported). */
  readonly sectionIndex: number;
}

export interface ElfRelocation {
  /** Address of the patched location. */
  readonly offset: number;
  readonly type: number;
  /** Index into the dynamic symbol table (0: none). */
  readonly symbolIndex: number;
  readonly addend: number;
}

/** An executable byte range with its virtual address, for the decoder. */
export interface CodeRegion {
  readonly name: string;
  readonly address: number;
  readonly bytes: Uint8Array;
}

export interface ElfFile {
  readonly type: number;
  readonly entry: number;
  readonly sections: readonly ElfSection[];
  readonly segments: readonly ElfSegment[];
  readonly symbols: readonly ElfSymbol[];
  readonly dynamicSymbols: readonly ElfSymbol[];
  readonly relocations: readonly ElfRelocation[];
  /** Values that compact relative relocations (SHT_RELR, used by glibc 2.36+) make into addresses. */
  readonly relrTargets: readonly number[];
  readonly needed: readonly string[];
  readonly soname?: string;
  readonly rpath: readonly string[];
  readonly runpath: readonly string[];
  readonly interpreter?: string;
  /** DT_INIT, DT_FINI and the entries of the init/fini arrays that are stored in the file (non-PIE). */
  readonly initFunctions: readonly number[];
  readonly codeRegions: readonly CodeRegion[];
  /** Allocated, non-executable data that is stored in the file (for scanning pointers into code). */
  readonly dataRegions: readonly CodeRegion[];
  /** Problems that did not stop the reading, e.g. missing section headers. */
  readonly warnings: readonly string[];
}

class Reader {
  constructor(private readonly buf: Buffer) {}
  check(offset: number, length: number, what: string): void {
    if (offset < 0 || length < 0 || offset + length > this.buf.length) {
      throw new ElfFormatError(`truncated or corrupt ELF file: ${what} lies beyond the end of the file`, 'corrupt');
    }
  }
  u8(o: number): number { this.check(o, 1, 'a field'); return this.buf.readUInt8(o); }
  u16(o: number): number { this.check(o, 2, 'a field'); return this.buf.readUInt16LE(o); }
  u32(o: number): number { this.check(o, 4, 'a field'); return this.buf.readUInt32LE(o); }
  /** Addresses and sizes fit in 2^53 in every real x86-64 file. */
  u64(o: number): number { this.check(o, 8, 'a field'); return Number(this.buf.readBigUInt64LE(o)); }
  buf64(o: number): bigint { this.check(o, 8, 'a field'); return this.buf.readBigUInt64LE(o); }
  i64(o: number): number { this.check(o, 8, 'a field'); return Number(this.buf.readBigInt64LE(o)); }
  cString(o: number, end: number): string {
    if (o < 0 || o >= end) throw new ElfFormatError('corrupt ELF file: a name points outside its string table', 'corrupt');
    const stop = this.buf.indexOf(0, o);
    return this.buf.toString('latin1', o, stop < 0 || stop > end ? end : stop);
  }
  slice(o: number, length: number, what: string): Uint8Array {
    this.check(o, length, what);
    return this.buf.subarray(o, o + length);
  }
}

/** Bytes of the ELF header that `readElfIdentity` needs (e_ident and e_machine). */
export const ELF_IDENTITY_BYTES = 20;

/** Who an ELF file is for: its class, byte order and machine, and the architecture in words. */
export interface ElfIdentity {
  bits: 32 | 64;
  littleEndian: boolean;
  /** e_machine (62: x86-64). */
  machine: number;
  /** `x86-64`, `i386 (32-bit x86)`, `AArch64 (arm64)`, ...; `ELF machine N` for the rest. */
  architecture: string;
  /** The only kind this project analyses: 64-bit little-endian x86-64. */
  x86_64: boolean;
}

/** e_machine values (ELF gABI, <elf.h>) of the architectures Linux runs on. */
const MACHINE_NAMES = new Map<number, string>([
  [2, 'SPARC'], [3, 'i386 (32-bit x86)'], [8, 'MIPS'], [20, 'PowerPC'], [21, 'PowerPC 64'], [22, 'IBM S/390'],
  [40, 'ARM (32-bit)'], [43, 'SPARC V9'], [183, 'AArch64 (arm64)'], [243, 'RISC-V'], [258, 'LoongArch'],
]);

/**
 * Reads the identity of an ELF file from its first ELF_IDENTITY_BYTES bytes (more are ignored).
 * The one check of "is this an x86-64 program" in the project: the static reader and explore's
 * pre-flight both use it. Throws ElfFormatError (`not-elf`, or `corrupt` when too short).
 */
export function readElfIdentity(buf: Buffer): ElfIdentity {
  if (buf.length < 4 || buf.readUInt32BE(0) !== 0x7f454c46) {
    throw new ElfFormatError('not an ELF file (no \\x7fELF magic)', 'not-elf');
  }
  if (buf.length < ELF_IDENTITY_BYTES) throw new ElfFormatError('truncated ELF file: the header is incomplete', 'corrupt');
  const bits = buf[4] === 1 ? 32 : buf[4] === 2 ? 64 : undefined;
  const littleEndian = buf[5] === 1 ? true : buf[5] === 2 ? false : undefined;
  if (bits === undefined || littleEndian === undefined) {
    throw new ElfFormatError(`corrupt ELF file: class ${buf[4]}, data encoding ${buf[5]}`, 'corrupt');
  }
  const machine = littleEndian ? buf.readUInt16LE(0x12) : buf.readUInt16BE(0x12);
  const x86_64 = machine === EM_X86_64 && bits === 64 && littleEndian;
  const architecture =
    machine === EM_X86_64 ? (bits === 64 ? 'x86-64' : 'x32 (32-bit pointers on x86-64)')
    : machine === EM_386 ? MACHINE_NAMES.get(EM_386)!
    : `${MACHINE_NAMES.get(machine) ?? `ELF machine ${machine}`}, ${bits}-bit ${littleEndian ? 'little' : 'big'}-endian`;
  return { bits, littleEndian, machine, architecture, x86_64 };
}

/** Parses an ELF64 x86-64 file; throws ElfFormatError for anything else. */
export function parseElf(buf: Buffer): ElfFile {
  const identity = readElfIdentity(buf);
  if (buf.length < 64) throw new ElfFormatError('truncated ELF file: the header is incomplete', 'corrupt');
  if (!identity.x86_64) {
    throw new ElfFormatError(`unsupported architecture: ${identity.architecture}; only x86-64 files are analysed`, 'unsupported');
  }
  const r = new Reader(buf);
  const type = r.u16(0x10);
  if (type !== ElfType.exec && type !== ElfType.dyn) {
    const what = type === 1 ? 'a relocatable object file (.o)' : type === 4 ? 'a core dump' : `an ELF file of type ${type}`;
    throw new ElfFormatError(`${what}, not a linked executable or shared library`, 'unsupported');
  }
  const entry = r.u64(0x18);
  const segments = readSegments(r, r.u64(0x20), r.u16(0x36), r.u16(0x38));
  const sections = readSections(r, r.u64(0x28), r.u16(0x3a), r.u16(0x3c), r.u16(0x3e));
  const warnings: string[] = [];
  if (sections.length === 0) warnings.push('no section headers: symbols and relocations are unavailable, code is taken from executable segments');

  const dynsymIndex = sections.findIndex((s) => s.type === SHT.dynsym);
  // Symbol versions are not read: every version of a name is taken as a possible target (see docs/static-analysis.md).
  const dynamicSymbols = dynsymIndex < 0 ? [] : readSymbols(r, sections, sections[dynsymIndex]!);
  const symtab = sections.find((s) => s.type === SHT.symtab);
  const symbols = symtab ? readSymbols(r, sections, symtab) : [];
  const relocations = sections
    .filter((s) => s.type === SHT.rela && (dynsymIndex < 0 || s.link === dynsymIndex || s.link === 0))
    .flatMap((s) => readRelocations(r, s));

  const relrTargets = sections.filter((s) => s.type === SHT.relr).flatMap((s) => readRelr(r, s, segments));
  const interpSegment = segments.find((s) => s.type === PT.interp);
  const interpreter = interpSegment
    ? r.cString(interpSegment.offset, interpSegment.offset + interpSegment.fileSize)
    : undefined;
  const dynamic = readDynamic(r, segments, sections);
  const initFunctions = [...dynamic.initFunctions];
  const codeRegions = sections.length > 0
    ? sections
        .filter((s) => (s.flags & SHF_EXECINSTR) !== 0 && s.type !== SHT.nobits && s.size > 0)
        .map((s) => ({ name: s.name, address: s.address, bytes: r.slice(s.offset, s.size, `section ${s.name}`) }))
    : segments
        .filter((s) => s.type === PT.load && (s.flags & PF_X) !== 0)
        .map((s, i) => ({ name: `segment${i}`, address: s.address, bytes: r.slice(s.offset, s.fileSize, 'an executable segment') }));
  const dataRegions = sections
    .filter((s) => (s.flags & SHF_ALLOC) !== 0 && (s.flags & SHF_EXECINSTR) === 0 && s.type !== SHT.nobits && s.size > 0 && s.address !== 0)
    .map((s) => ({ name: s.name, address: s.address, bytes: r.slice(s.offset, s.size, `section ${s.name}`) }));
  return {
    type, entry, sections, segments, symbols, dynamicSymbols, relocations, relrTargets, interpreter, initFunctions,
    codeRegions, dataRegions, warnings, ...dynamic.strings,
  };
}

function readSegments(r: Reader, offset: number, entrySize: number, count: number): ElfSegment[] {
  if (count === 0) return [];
  if (entrySize < 56) throw new ElfFormatError('corrupt ELF file: bad program header size', 'corrupt');
  r.check(offset, count * entrySize, 'the program header table');
  const segments: ElfSegment[] = [];
  for (let i = 0; i < count; i++) {
    const o = offset + i * entrySize;
    segments.push({
      type: r.u32(o), flags: r.u32(o + 4), offset: r.u64(o + 8), address: r.u64(o + 16),
      fileSize: r.u64(o + 32), memorySize: r.u64(o + 40),
    });
  }
  return segments;
}

function readSections(r: Reader, offset: number, entrySize: number, count: number, namesIndex: number): ElfSection[] {
  if (count === 0 || offset === 0) return [];
  if (entrySize < 64) throw new ElfFormatError('corrupt ELF file: bad section header size', 'corrupt');
  r.check(offset, count * entrySize, 'the section header table');
  const raw = [];
  for (let i = 0; i < count; i++) {
    const o = offset + i * entrySize;
    raw.push({
      nameOffset: r.u32(o), type: r.u32(o + 4), flags: r.u64(o + 8), address: r.u64(o + 16),
      offset: r.u64(o + 24), size: r.u64(o + 32), link: r.u32(o + 40), entrySize: r.u64(o + 56),
    });
  }
  const names = raw[namesIndex];
  return raw.map(({ nameOffset, ...s }) => ({
    ...s,
    name: names && names.type !== SHT.nobits ? r.cString(names.offset + nameOffset, names.offset + names.size) : '',
  }));
}

function readSymbols(r: Reader, sections: readonly ElfSection[], table: ElfSection): ElfSymbol[] {
  const strings = sections[table.link];
  if (!strings) throw new ElfFormatError(`corrupt ELF file: ${table.name} has no string table`, 'corrupt');
  r.check(table.offset, table.size, `section ${table.name}`);
  r.check(strings.offset, strings.size, `section ${strings.name}`);
  const count = Math.floor(table.size / 24);
  const symbols: ElfSymbol[] = [];
  for (let i = 0; i < count; i++) {
    const o = table.offset + i * 24;
    const info = r.u8(o + 4);
    const nameOffset = r.u32(o);
    symbols.push({
      name: nameOffset === 0 ? '' : r.cString(strings.offset + nameOffset, strings.offset + strings.size),
      type: info & 0xf,
      binding: info >> 4,
      sectionIndex: r.u16(o + 6),
      value: r.u64(o + 8),
      size: r.u64(o + 16),
    });
  }
  return symbols;
}

function readRelocations(r: Reader, section: ElfSection): ElfRelocation[] {
  r.check(section.offset, section.size, `section ${section.name}`);
  const relocations: ElfRelocation[] = [];
  for (let o = section.offset; o + 24 <= section.offset + section.size; o += 24) {
    relocations.push({ offset: r.u64(o), type: r.u32(o + 8), symbolIndex: r.u32(o + 12), addend: r.i64(o + 16) });
  }
  return relocations;
}

/**
 * SHT_RELR: a list of even entries (an address to relocate) and odd entries (a
 * bitmap of the 63 words after the previous address). The addend is the word stored
 * at the address, which is what the analysis wants: the pointer's link-time value.
 */
function readRelr(r: Reader, section: ElfSection, segments: readonly ElfSegment[]): number[] {
  r.check(section.offset, section.size, `section ${section.name}`);
  const targets: number[] = [];
  const valueAt = (address: number) => {
    const offset = fileOffsetOf(segments, address);
    if (offset !== undefined) targets.push(r.u64(offset));
  };
  let next = 0;
  for (let o = section.offset; o + 8 <= section.offset + section.size; o += 8) {
    const entry = r.buf64(o);
    if ((entry & 1n) === 0n) {
      const address = Number(entry);
      valueAt(address);
      next = address + 8;
    } else {
      for (let bit = 1; bit < 64; bit++) if ((entry >> BigInt(bit)) & 1n) valueAt(next + (bit - 1) * 8);
      next += 63 * 8;
    }
  }
  return targets;
}

/** Maps a virtual address to its file offset through the PT_LOAD segments. */
export function fileOffsetOf(segments: readonly ElfSegment[], address: number): number | undefined {
  for (const s of segments) {
    if (s.type === PT.load && address >= s.address && address < s.address + s.fileSize) return address - s.address + s.offset;
  }
  return undefined;
}

function readDynamic(r: Reader, segments: readonly ElfSegment[], sections: readonly ElfSection[]) {
  const empty = { strings: { needed: [] as string[], rpath: [] as string[], runpath: [] as string[] }, initFunctions: [] as number[] };
  const dynamicSection = sections.find((s) => s.type === SHT.dynamic);
  const dynamicSegment = segments.find((s) => s.type === PT.dynamic);
  const where = dynamicSection
    ? { offset: dynamicSection.offset, size: dynamicSection.size }
    : dynamicSegment && { offset: dynamicSegment.offset, size: dynamicSegment.fileSize };
  if (!where) return empty;
  r.check(where.offset, where.size, 'the dynamic table');
  const entries: [number, number][] = [];
  for (let o = where.offset; o + 16 <= where.offset + where.size; o += 16) {
    const tag = r.i64(o);
    if (tag === DT.null) break;
    entries.push([tag, r.u64(o + 8)]);
  }
  const value = (tag: number) => entries.find(([t]) => t === tag)?.[1];
  const strtabAddress = value(DT.strtab);
  const strtabOffset = strtabAddress === undefined ? undefined : fileOffsetOf(segments, strtabAddress);
  const strtabEnd = strtabOffset === undefined ? 0 : strtabOffset + (value(DT.strsz) ?? 0);
  const stringsOf = (tag: number) =>
    strtabOffset === undefined ? [] : entries.filter(([t]) => t === tag).map(([, v]) => r.cString(strtabOffset + v, strtabEnd));
  const soname = stringsOf(DT.soname)[0];
  const initFunctions = [value(DT.init), value(DT.fini)].filter((v): v is number => v !== undefined && v !== 0);
  for (const [arrayTag, sizeTag] of [[DT.initArray, DT.initArraySz], [DT.finiArray, DT.finiArraySz]] as const) {
    const address = value(arrayTag);
    const offset = address === undefined ? undefined : fileOffsetOf(segments, address);
    if (offset === undefined) continue;
    // In position-independent files these slots hold 0 and a RELATIVE relocation supplies the address.
    for (let i = 0; i < (value(sizeTag) ?? 0) / 8; i++) {
      const target = r.u64(offset + i * 8);
      if (target !== 0 && target !== 0xffffffffffffffff) initFunctions.push(target);
    }
  }
  const splitPaths = (list: string[]) => list.flatMap((s) => s.split(':')).filter((s) => s !== '');
  return {
    strings: {
      needed: stringsOf(DT.needed),
      rpath: splitPaths(stringsOf(DT.rpath)),
      runpath: splitPaths(stringsOf(DT.runpath)),
      ...(soname === undefined ? {} : { soname }),
    },
    initFunctions,
  };
}

/** True for symbols another object can bind to: defined, global or weak. */
export function isExported(symbol: ElfSymbol): boolean {
  return symbol.sectionIndex !== 0 && symbol.name !== '' &&
    (symbol.binding === SymbolBinding.global || symbol.binding === SymbolBinding.weak || symbol.binding === SymbolBinding.gnuUnique);
}
