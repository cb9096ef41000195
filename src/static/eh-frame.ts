/**
 * Exception landing pads: code that only the unwinder enters (C++ catch blocks and
 * destructor cleanups, glibc's thread-cancellation cleanups), so no jump or call
 * leads there. They are read from .eh_frame (each FDE: a function's range and its
 * LSDA) and .gcc_except_table (the LSDA's call-site table), as the unwinder reads them.
 */
import type { CodeRegion, ElfFile } from './elf.js';

export interface FunctionLandingPads {
  readonly start: number;
  readonly end: number;
  readonly pads: readonly number[];
}

const DW_EH_PE = { omit: 0xff, pcrel: 0x10, datarel: 0x30, indirect: 0x80 } as const;

class Cursor {
  offset = 0;
  constructor(private readonly region: CodeRegion) {}
  private view(): DataView {
    const b = this.region.bytes;
    return new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  get address(): number { return this.region.address + this.offset; }
  get remaining(): number { return this.region.bytes.length - this.offset; }
  u8(): number { this.need(1); return this.region.bytes[this.offset++]!; }
  u16(): number { this.need(2); const v = this.view().getUint16(this.offset, true); this.offset += 2; return v; }
  u32(): number { this.need(4); const v = this.view().getUint32(this.offset, true); this.offset += 4; return v; }
  i32(): number { this.need(4); const v = this.view().getInt32(this.offset, true); this.offset += 4; return v; }
  u64(): number { this.need(8); const v = Number(this.view().getBigUint64(this.offset, true)); this.offset += 8; return v; }
  i64(): number { this.need(8); const v = Number(this.view().getBigInt64(this.offset, true)); this.offset += 8; return v; }
  uleb(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = this.u8();
      result += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if ((byte & 0x80) === 0) return result;
    }
  }
  sleb(): number {
    let result = 0;
    let shift = 0;
    let byte;
    do {
      byte = this.u8();
      result += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return byte & 0x40 ? result - 2 ** shift : result;
  }
  cString(): string {
    let s = '';
    for (let c = this.u8(); c !== 0; c = this.u8()) s += String.fromCharCode(c);
    return s;
  }
  /** A DW_EH_PE-encoded pointer; undefined for encodings this reader does not resolve (indirect, datarel). */
  pointer(encoding: number): number | undefined {
    if (encoding === DW_EH_PE.omit) return undefined;
    const fieldAddress = this.address;
    let value: number;
    switch (encoding & 0x0f) {
      case 0x00: value = this.u64(); break;
      case 0x01: value = this.uleb(); break;
      case 0x02: value = this.u16(); break;
      case 0x03: value = this.u32(); break;
      case 0x04: value = this.u64(); break;
      case 0x09: value = this.sleb(); break;
      case 0x0a: { const v = this.u16(); value = v >= 0x8000 ? v - 0x10000 : v; break; }
      case 0x0b: value = this.i32(); break;
      case 0x0c: value = this.i64(); break;
      default: throw new RangeError(`unknown pointer encoding 0x${encoding.toString(16)}`);
    }
    if ((encoding & DW_EH_PE.indirect) !== 0) return undefined;
    const application = encoding & 0x70;
    if (application === DW_EH_PE.pcrel) return value + fieldAddress;
    if (application !== 0) return undefined;
    return value;
  }
  private need(n: number): void {
    if (this.offset + n > this.region.bytes.length) throw new RangeError('record runs past its section');
  }
}

interface Cie {
  readonly fdeEncoding: number;
  readonly lsdaEncoding: number;
  readonly hasAugmentationData: boolean;
}

/**
 * Landing pads per function. Damaged or unusual unwind data ends the reading of that
 * table (the analysis then knows fewer pads, as before this reader existed).
 */
export function readLandingPads(elf: ElfFile): FunctionLandingPads[] {
  const ehFrame = elf.dataRegions.find((r) => r.name === '.eh_frame');
  const exceptTable = elf.dataRegions.find((r) => r.name === '.gcc_except_table');
  if (!ehFrame || !exceptTable) return [];
  const result: FunctionLandingPads[] = [];
  const cies = new Map<number, Cie>();
  const cursor = new Cursor(ehFrame);
  try {
    while (cursor.remaining >= 4) {
      const recordStart = cursor.offset;
      const length = cursor.u32();
      if (length === 0) break;
      if (length === 0xffffffff) return result; // 64-bit DWARF lengths do not occur in x86-64 .eh_frame
      const end = cursor.offset + length;
      const idOffset = cursor.offset;
      const id = cursor.u32();
      if (id === 0) {
        cies.set(recordStart, readCie(cursor));
      } else {
        const cie = cies.get(idOffset - id);
        if (cie) {
          const start = cursor.pointer(cie.fdeEncoding);
          const range = cursor.pointer(cie.fdeEncoding & 0x0f);
          if (cie.hasAugmentationData) cursor.uleb();
          const lsda = cie.lsdaEncoding === DW_EH_PE.omit ? undefined : cursor.pointer(cie.lsdaEncoding);
          if (start !== undefined && range !== undefined && lsda) {
            const pads = readCallSitePads(exceptTable, lsda, start);
            if (pads.length > 0) result.push({ start, end: start + range, pads });
          }
        }
      }
      cursor.offset = end;
    }
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
  }
  return result.sort((a, b) => a.start - b.start);
}

function readCie(cursor: Cursor): Cie {
  const version = cursor.u8();
  const augmentation = cursor.cString();
  if (augmentation.includes('eh')) cursor.u64();
  cursor.uleb(); // code alignment
  cursor.sleb(); // data alignment
  if (version === 1) cursor.u8(); else cursor.uleb(); // return address register
  let fdeEncoding = 0;
  let lsdaEncoding: number = DW_EH_PE.omit;
  const hasAugmentationData = augmentation.startsWith('z');
  if (hasAugmentationData) {
    cursor.uleb();
    for (const c of augmentation.slice(1)) {
      if (c === 'L') lsdaEncoding = cursor.u8();
      else if (c === 'R') fdeEncoding = cursor.u8();
      else if (c === 'P') cursor.pointer(cursor.u8()); // the personality routine: libstdc++'s, reached through imports
      else if (c !== 'S' && c !== 'B') break;
    }
  }
  return { fdeEncoding, lsdaEncoding, hasAugmentationData };
}

/** The landing pads listed in the LSDA at `lsda` (an address inside .gcc_except_table). */
function readCallSitePads(table: CodeRegion, lsda: number, functionStart: number): number[] {
  if (lsda < table.address || lsda >= table.address + table.bytes.length) return [];
  const cursor = new Cursor(table);
  cursor.offset = lsda - table.address;
  const lpStartEncoding = cursor.u8();
  const lpStart = lpStartEncoding === DW_EH_PE.omit ? functionStart : cursor.pointer(lpStartEncoding);
  if (lpStart === undefined) return [];
  if (cursor.u8() !== DW_EH_PE.omit) cursor.uleb(); // type table offset
  const callSiteEncoding = cursor.u8();
  const tableEnd = cursor.uleb() + cursor.offset;
  const pads = new Set<number>();
  while (cursor.offset < tableEnd) {
    cursor.pointer(callSiteEncoding); // call site start
    cursor.pointer(callSiteEncoding); // call site length
    const pad = cursor.pointer(callSiteEncoding);
    cursor.uleb(); // action
    if (pad) pads.add(lpStart + pad);
  }
  return [...pads];
}

/** The entry of `table` (sorted by start) whose range contains `address`, or -1. */
export function landingPadsAt(table: readonly FunctionLandingPads[], address: number): number {
  let lo = 0;
  let hi = table.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const entry = table[mid]!;
    if (address < entry.start) hi = mid - 1;
    else if (address >= entry.end) lo = mid + 1;
    else return mid;
  }
  return -1;
}
