import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ElfFormatError, parseElf, readElfIdentity } from '../../src/static/elf.js';
import { parseLdSoCache } from '../../src/static/libraries.js';
import { formatStaticCsv } from '../../src/db/csv.js';
import { X86_64 } from '../../src/syscalls/table.js';

/** A 64-byte ELF header with the given class and machine, and no tables. */
function elfHeader(elfClass: number, machine: number): Buffer {
  const buf = Buffer.alloc(64);
  buf.writeUInt32BE(0x7f454c46, 0);
  buf[4] = elfClass;
  buf[5] = 1;
  buf[6] = 1;
  buf.writeUInt16LE(2, 0x10);
  buf.writeUInt16LE(machine, 0x12);
  return buf;
}

function kindOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ElfFormatError, `unexpected ${String(err)}`);
    return err.kind;
  }
  return 'no error';
}

test('non-ELF, 32-bit, foreign and truncated inputs are told apart', () => {
  assert.equal(kindOf(() => parseElf(Buffer.from('#!/bin/sh\necho hi\n'))), 'not-elf');
  assert.equal(kindOf(() => parseElf(Buffer.alloc(0))), 'not-elf');
  assert.equal(kindOf(() => parseElf(elfHeader(1, 3))), 'unsupported');
  assert.equal(kindOf(() => parseElf(elfHeader(2, 183))), 'unsupported');
  assert.equal(kindOf(() => parseElf(elfHeader(2, 62).subarray(0, 40))), 'corrupt');
  const relocatable = elfHeader(2, 62);
  relocatable.writeUInt16LE(1, 0x10);
  assert.equal(kindOf(() => parseElf(relocatable)), 'unsupported');
  const pointsAway = elfHeader(2, 62);
  pointsAway.writeBigUInt64LE(4096n, 0x28); // section headers beyond the end of the file
  pointsAway.writeUInt16LE(64, 0x3a);
  pointsAway.writeUInt16LE(3, 0x3c);
  assert.equal(kindOf(() => parseElf(pointsAway)), 'corrupt');
});

test('the ELF identity names the architecture found', () => {
  const archOf = (bits: 1 | 2, machine: number): string => readElfIdentity(elfHeader(bits, machine)).architecture;
  assert.equal(readElfIdentity(elfHeader(2, 62)).x86_64, true);
  assert.equal(archOf(2, 62), 'x86-64');
  assert.equal(archOf(1, 3), 'i386 (32-bit x86)');
  assert.equal(archOf(1, 62), 'x32 (32-bit pointers on x86-64)');
  assert.equal(archOf(2, 183), 'AArch64 (arm64), 64-bit little-endian');
  assert.equal(archOf(2, 9999), 'ELF machine 9999, 64-bit little-endian');
  for (const [bits, machine] of [[1, 3], [1, 62], [2, 183]] as const) assert.equal(readElfIdentity(elfHeader(bits, machine)).x86_64, false);
  const bigEndian = elfHeader(2, 0);
  bigEndian[5] = 2;
  bigEndian.writeUInt16BE(22, 0x12);
  assert.equal(readElfIdentity(bigEndian).architecture, 'IBM S/390, 64-bit big-endian');
  assert.throws(() => readElfIdentity(Buffer.from('#!/bin/sh\n')), (err: unknown) => err instanceof ElfFormatError && err.kind === 'not-elf');
});

test('a header-only x86-64 file parses to an empty object with a warning', () => {
  const elf = parseElf(elfHeader(2, 62));
  assert.deepEqual(elf.sections, []);
  assert.deepEqual(elf.codeRegions, []);
  assert.match(elf.warnings[0]!, /no section headers/);
});

test('ld.so.cache entries for x86-64 libraries are read, others skipped', () => {
  const names = ['libfoo.so.1\0', '/opt/lib/libfoo.so.1\0', 'libbar.so.2\0', '/lib32/libbar.so.2\0'];
  const header = Buffer.alloc(48);
  header.write('glibc-ld.so.cache1.1', 0, 'latin1');
  header.writeUInt32LE(2, 20);
  const stringsStart = 48 + 2 * 24;
  const offsets: number[] = [];
  let at = stringsStart;
  for (const n of names) { offsets.push(at); at += n.length; }
  const entries = Buffer.alloc(48);
  entries.writeInt32LE(0x0303, 0);
  entries.writeUInt32LE(offsets[0]!, 4);
  entries.writeUInt32LE(offsets[1]!, 8);
  entries.writeInt32LE(0x0803, 24); // an i386 entry
  entries.writeUInt32LE(offsets[2]!, 28);
  entries.writeUInt32LE(offsets[3]!, 32);
  const cache = parseLdSoCache(Buffer.concat([header, entries, Buffer.from(names.join(''), 'latin1')]));
  assert.deepEqual([...cache], [['libfoo.so.1', '/opt/lib/libfoo.so.1']]);
  assert.equal(parseLdSoCache(Buffer.from('garbage')).size, 0);
});

test('static CSV rows cover every number, including those above 334', () => {
  const rows = formatStaticCsv([0, 435], X86_64.maxNumber).trimEnd().split('\n');
  assert.equal(rows.length, X86_64.maxNumber + 2);
  assert.deepEqual([rows[0], rows[1], rows[2], rows[436]], ['# syscall, used', '0,Y', '1,N', '435,Y']);
});
