import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Register } from 'iced-x86';
import { Flow, disassemble, indexOfAddress, type Disassembly } from '../../src/static/disassembly.js';
import { traceRegister, type ValueOrigin } from '../../src/static/numbers.js';

/** Hand-assembled x86-64 at 0x1000; each case is commented with its assembly. */
const CODE = Buffer.from([
  // 1000: two paths set eax differently and meet at one syscall
  0x85, 0xff, //                   test edi, edi
  0x74, 0x07, //                   je 0x100b
  0xb8, 0x27, 0x00, 0x00, 0x00, // mov eax, 39
  0xeb, 0x07, //                   jmp 0x1012
  0xb9, 0xba, 0x00, 0x00, 0x00, // 100b: mov ecx, 186
  0x89, 0xc8, //                   mov eax, ecx
  0x0f, 0x05, //                   1012: syscall
  0xc3, //                         ret
  // 1015: a wrapper: the number is its first argument
  0x48, 0x89, 0xf8, //             mov rax, rdi
  0x0f, 0x05, //                   1018: syscall
  0xc3, //                         ret
  // 101b: a call between the definition and the use clobbers eax
  0xb8, 0x27, 0x00, 0x00, 0x00, // mov eax, 39
  0xe8, 0xf0, 0xff, 0xff, 0xff, // call 0x1015
  0x0f, 0x05, //                   1025: syscall
  // 1027: a write to al leaves the upper bits unknown; xor zeroes
  0xb0, 0x05, //                   mov al, 5
  0x0f, 0x05, //                   1029: syscall
  0x31, 0xc0, //                   xor eax, eax
  0x0f, 0x05, //                   102d: syscall
  0x0f, 0x0b, //                   ud2
]);

function decode(): Disassembly {
  return disassemble([{ name: '.text', address: 0x1000, bytes: CODE }], (a) => a >= 0x1000 && a < 0x1000 + CODE.length);
}

function originsAt(code: Disassembly, address: number, starts: number[] = [0x1000, 0x1015]): ValueOrigin[] {
  return traceRegister(code, new Set(starts), indexOfAddress(code, address), Register.RAX, () => true);
}

test('the sweep classifies syscalls, calls, jumps and returns', () => {
  const code = decode();
  assert.equal(code.flow[indexOfAddress(code, 0x1012)], Flow.syscall);
  assert.equal(code.flow[indexOfAddress(code, 0x1002)], Flow.conditionalJump);
  assert.equal(code.target[indexOfAddress(code, 0x1002)], 0x100b);
  assert.equal(code.flow[indexOfAddress(code, 0x1020)], Flow.call);
  assert.equal(code.flow[indexOfAddress(code, 0x1014)], Flow.ret);
  assert.deepEqual(code.branchSources.get(0x1012), [indexOfAddress(code, 0x1009)]);
});

test('numbers are followed through moves and across both predecessors of a block', () => {
  const values = originsAt(decode(), 0x1012).map((o) => (o.kind === 'constant' ? o.value : o.kind)).sort((a, b) => Number(a) - Number(b));
  assert.deepEqual(values, [39, 186]);
});

test('a number that enters as an argument names the function and register', () => {
  assert.deepEqual(originsAt(decode(), 0x1018), [{ kind: 'argument', register: Register.RDI, functionAddress: 0x1015 }]);
});

test('calls clobber eax, partial writes are unknown, xor gives zero', () => {
  const code = decode();
  const afterCall = originsAt(code, 0x1025, [0x101b]);
  assert.equal(afterCall.length, 1);
  assert.equal(afterCall[0]!.kind, 'unknown');
  assert.equal(originsAt(code, 0x1029, [0x101b])[0]!.kind, 'unknown');
  assert.deepEqual(originsAt(code, 0x102d, [0x101b]), [{ kind: 'constant', value: 0 }]);
});

test('unreached predecessors are not followed', () => {
  const code = decode();
  const onlyThroughJump = traceRegister(code, new Set([0x1000]), indexOfAddress(code, 0x1012), Register.RAX,
    (i) => code.address[i]! !== 0x1010);
  assert.deepEqual(onlyThroughJump, [{ kind: 'constant', value: 39 }]);
});
