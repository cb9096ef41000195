/**
 * Linear-sweep decoding of an object's executable sections with iced-x86, kept in
 * compact typed arrays (a large library has about a million instructions). The
 * reachability and number-recovery passes only need each instruction's address,
 * length, control-flow kind, direct target and the addresses it refers to; anything
 * finer is decoded again on demand (see decodeAt).
 */
import { Decoder, DecoderOptions, FlowControl, Instruction, Mnemonic, OpKind } from 'iced-x86';
import type { CodeRegion } from './elf.js';

/** Control-flow kind of one instruction, as the analysis sees it. */
export const Flow = {
  next: 0,
  /** `syscall`: the 64-bit system call instruction. */
  syscall: 1,
  /** `int 0x80` / `sysenter`: the 32-bit ABI, whose numbers are another table. */
  legacySyscall: 2,
  call: 3,
  jump: 4,
  conditionalJump: 5,
  ret: 6,
  indirectCall: 7,
  indirectJump: 8,
  /** Execution does not continue (ud2, hlt, int3, undecodable bytes). */
  stop: 9,
} as const;

export interface DisassembledRegion {
  readonly region: CodeRegion;
  readonly firstIndex: number;
  /** One past the last instruction of this region. */
  readonly endIndex: number;
}

export interface Disassembly {
  readonly count: number;
  readonly address: Float64Array;
  readonly length: Uint8Array;
  readonly flow: Uint8Array;
  /** Direct branch target, or for an indirect branch through `[rip+X]` the address X (a GOT slot); NaN otherwise. */
  readonly target: Float64Array;
  /** Addresses an instruction refers to that the caller marked interesting (code addresses, GOT slots). */
  readonly references: ReadonlyMap<number, readonly number[]>;
  /** For each direct branch or call target: the indices of the instructions that branch there. */
  readonly branchSources: ReadonlyMap<number, readonly number[]>;
  readonly regions: readonly DisassembledRegion[];
}

/** Index of the instruction starting exactly at `address`, or -1. */
export function indexOfAddress(code: Disassembly, address: number): number {
  let lo = 0;
  let hi = code.count - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const a = code.address[mid]!;
    if (a === address) return mid;
    if (a < address) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** Index of the instruction whose bytes contain `address` (for targets that land mid-instruction), or -1. */
export function indexContaining(code: Disassembly, address: number): number {
  let lo = 0;
  let hi = code.count - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (code.address[mid]! <= address) { found = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return found >= 0 && address < code.address[found]! + code.length[found]! ? found : -1;
}

/** True when instruction `index + 1` directly follows instruction `index` in memory. */
export function fallsThroughTo(code: Disassembly, index: number): boolean {
  return index + 1 < code.count && code.address[index]! + code.length[index]! === code.address[index + 1];
}

class GrowableArrays {
  address = new Float64Array(1 << 16);
  length = new Uint8Array(1 << 16);
  flow = new Uint8Array(1 << 16);
  target = new Float64Array(1 << 16);
  count = 0;
  push(address: number, length: number, flow: number, target: number): void {
    if (this.count === this.address.length) {
      const grow = <T extends Float64Array | Uint8Array>(a: T): T => {
        const bigger = new (a.constructor as new (n: number) => T)(a.length * 2);
        bigger.set(a);
        return bigger;
      };
      this.address = grow(this.address);
      this.length = grow(this.length);
      this.flow = grow(this.flow);
      this.target = grow(this.target);
    }
    this.address[this.count] = address;
    this.length[this.count] = length;
    this.flow[this.count] = flow;
    this.target[this.count] = target;
    this.count++;
  }
}

/**
 * Decodes every region linearly. GCC and Clang put no data in x86-64 text sections,
 * so a linear sweep sees the same instructions as execution does; undecodable bytes
 * become `stop` instructions of length 1 so that the sweep resynchronises.
 */
export function disassemble(regions: readonly CodeRegion[], isInteresting: (address: number) => boolean): Disassembly {
  const out = new GrowableArrays();
  const references = new Map<number, number[]>();
  const branchSources = new Map<number, number[]>();
  const ins = new Instruction();
  const done: DisassembledRegion[] = [];
  const addReference = (index: number, address: number) => {
    if (!isInteresting(address)) return;
    const list = references.get(index);
    if (list) list.push(address);
    else references.set(index, [address]);
  };
  for (const region of [...regions].sort((a, b) => a.address - b.address)) {
    const firstIndex = out.count;
    const decoder = new Decoder(64, region.bytes, DecoderOptions.None);
    decoder.ip = BigInt(region.address);
    let offset = 0;
    while (offset < region.bytes.length) {
      decoder.decodeOut(ins);
      const address = region.address + offset;
      const length = ins.length;
      const index = out.count;
      if (ins.isInvalid) {
        out.push(address, 1, Flow.stop, NaN);
        offset += 1;
        decoder.position = offset;
        decoder.ip = BigInt(address + 1);
        continue;
      }
      offset += length;
      const flowControl = ins.flowControl;
      let flow: number = Flow.next;
      let target = NaN;
      switch (flowControl) {
        case FlowControl.Next: {
          const mnemonic = ins.mnemonic;
          if (mnemonic === Mnemonic.Lea || mnemonic === Mnemonic.Mov) {
            // Taking a function's address (lea rdi,[rip+f]; mov edi,OFFSET f) or a GOT slot's content.
            if (ins.isIpRelMemoryOperand) addReference(index, Number(ins.ipRelMemoryAddress));
            else if (mnemonic === Mnemonic.Lea && ins.memoryBase === 0 && ins.memoryIndex === 0) addReference(index, Number(ins.memoryDisplacement));
            else if (mnemonic === Mnemonic.Mov && ins.opCount === 2) {
              const kind = ins.op1Kind;
              if (kind === OpKind.Immediate32 || kind === OpKind.Immediate32to64 || kind === OpKind.Immediate64) {
                addReference(index, Number(BigInt.asUintN(64, ins.immediate(1))));
              }
            }
          } else if (ins.isIpRelMemoryOperand) {
            addReference(index, Number(ins.ipRelMemoryAddress));
          }
          break;
        }
        case FlowControl.UnconditionalBranch:
        case FlowControl.ConditionalBranch:
        case FlowControl.Call: {
          flow = flowControl === FlowControl.Call ? Flow.call
            : flowControl === FlowControl.ConditionalBranch ? Flow.conditionalJump : Flow.jump;
          if (ins.op0Kind === OpKind.NearBranch64) {
            target = Number(ins.nearBranchTarget);
            const sources = branchSources.get(target);
            if (sources) sources.push(index);
            else branchSources.set(target, [index]);
          } else {
            // iced-x86 counts syscall and sysenter as calls; far branches do not occur in user space.
            const mnemonic = ins.mnemonic;
            flow = mnemonic === Mnemonic.Syscall ? Flow.syscall : mnemonic === Mnemonic.Sysenter ? Flow.legacySyscall : Flow.stop;
          }
          break;
        }
        case FlowControl.IndirectBranch:
        case FlowControl.IndirectCall:
          flow = flowControl === FlowControl.IndirectCall ? Flow.indirectCall : Flow.indirectJump;
          if (ins.isIpRelMemoryOperand) target = Number(ins.ipRelMemoryAddress);
          break;
        case FlowControl.Return:
          flow = Flow.ret;
          break;
        case FlowControl.Interrupt:
          flow = ins.mnemonic === Mnemonic.Int && ins.immediate8 === 0x80 ? Flow.legacySyscall
            : ins.mnemonic === Mnemonic.Int3 ? Flow.stop : Flow.next;
          break;
        case FlowControl.Exception:
          flow = Flow.stop;
          break;
        default:
          flow = Flow.next; // xbegin/xabort/xend continue in place or at a handler nearby
      }
      out.push(address, length, flow, target);
    }
    decoder.free();
    done.push({ region, firstIndex, endIndex: out.count });
  }
  ins.free();
  return {
    count: out.count,
    address: out.address.subarray(0, out.count),
    length: out.length.subarray(0, out.count),
    flow: out.flow.subarray(0, out.count),
    target: out.target.subarray(0, out.count),
    references,
    branchSources,
    regions: done,
  };
}

/** Decodes the single instruction at `index` again, with all its details; the caller frees it. */
export function decodeAt(code: Disassembly, index: number): Instruction {
  const region = code.regions.find((r) => index >= r.firstIndex && index < r.endIndex);
  if (!region) throw new Error(`instruction index ${index} outside the disassembly`);
  const address = code.address[index]!;
  const offset = address - region.region.address;
  const decoder = new Decoder(64, region.region.bytes.subarray(offset, offset + 15), DecoderOptions.None);
  decoder.ip = BigInt(address);
  const ins = decoder.decode();
  decoder.free();
  return ins;
}
