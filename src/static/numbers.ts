/**
 * Recovers the value a register holds before an instruction by walking the code
 * backwards: through register moves, along the fall-through edge and every direct
 * jump into a block, until a constant, the function's entry (the value is then one
 * of its arguments) or something unknowable is found. Used for eax at a `syscall`
 * instruction, and for the argument register at the call sites of wrappers.
 */
import { InstructionInfoFactory, Mnemonic, OpAccess, OpKind, Register, RegisterExt } from 'iced-x86';
import { Flow, decodeAt, fallsThroughTo, type Disassembly } from './disassembly.js';

export type ValueOrigin =
  | { readonly kind: 'constant'; readonly value: number }
  /** The value comes in as an argument of the function starting at `functionAddress`. */
  | { readonly kind: 'argument'; readonly register: Register; readonly functionAddress: number }
  | { readonly kind: 'unknown'; readonly reason: string };

/** System V x86-64 integer argument registers, in order. */
const ARGUMENT_REGISTERS: ReadonlySet<Register> = new Set([Register.RDI, Register.RSI, Register.RDX, Register.RCX, Register.R8, Register.R9]);
/** Registers a call may change (System V caller-saved). */
const CALL_CLOBBERED: ReadonlySet<Register> = new Set([
  Register.RAX, Register.RCX, Register.RDX, Register.RSI, Register.RDI, Register.R8, Register.R9, Register.R10, Register.R11,
]);
const WRITES: ReadonlySet<OpAccess> = new Set([OpAccess.Write, OpAccess.CondWrite, OpAccess.ReadWrite, OpAccess.ReadCondWrite]);
/** Enough for any real wrapper; stops pathological walks through huge functions. */
const STEP_BUDGET = 400;

const infoFactory = new InstructionInfoFactory();

export function registerName(register: Register): string {
  return (Object.entries(Register).find(([, v]) => v === register)?.[0] ?? String(register)).toLowerCase();
}

/**
 * Origins of the value of `register` (a 64-bit GPR) just before instruction `index` runs.
 * `functionStarts` are known function entries: the walk stops there, since anything
 * before them is another function. Only predecessors that `isReached` accepts are
 * followed (padding after a jump falls through into a block but never runs).
 */
export function traceRegister(
  code: Disassembly, functionStarts: ReadonlySet<number>, index: number, register: Register, isReached: (index: number) => boolean,
): ValueOrigin[] {
  const origins: ValueOrigin[] = [];
  const seen = new Set<string>();
  const work: [number, Register][] = [[index, register]];
  let steps = 0;
  while (work.length > 0) {
    const [at, reg] = work.pop()!;
    const key = `${at}:${reg}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (++steps > STEP_BUDGET) {
      origins.push({ kind: 'unknown', reason: 'data flow too long to follow' });
      break;
    }
    const address = code.address[at]!;
    const predecessors = functionStarts.has(address) ? [] : predecessorsOf(code, at).filter(isReached);
    if (predecessors.length === 0) {
      origins.push(ARGUMENT_REGISTERS.has(reg)
        ? { kind: 'argument', register: reg, functionAddress: address }
        : { kind: 'unknown', reason: `${registerName(reg)} is set before the function starts` });
      continue;
    }
    for (const p of predecessors) {
      const effect = effectOn(code, p, reg);
      if ('follow' in effect) work.push([p, effect.follow]);
      else origins.push(effect.origin);
    }
  }
  return origins;
}

function predecessorsOf(code: Disassembly, index: number): number[] {
  const result: number[] = [];
  if (index > 0 && fallsThroughTo(code, index - 1)) {
    const flow = code.flow[index - 1];
    if (flow !== Flow.jump && flow !== Flow.ret && flow !== Flow.indirectJump && flow !== Flow.stop) result.push(index - 1);
  }
  for (const source of code.branchSources.get(code.address[index]!) ?? []) {
    const flow = code.flow[source];
    if (flow === Flow.jump || flow === Flow.conditionalJump) result.push(source);
  }
  return result;
}

type Effect = { follow: Register } | { origin: ValueOrigin };

/** What instruction `index` does to `reg`: leaves it (follow the same register), copies another into it, or defines it. */
function effectOn(code: Disassembly, index: number, reg: Register): Effect {
  const flow = code.flow[index];
  if (flow === Flow.call || flow === Flow.indirectCall) {
    return CALL_CLOBBERED.has(reg)
      ? { origin: { kind: 'unknown', reason: `${registerName(reg)} comes from a function call` } }
      : { follow: reg };
  }
  const ins = decodeAt(code, index);
  try {
    const info = infoFactory.info(ins);
    const used = info.usedRegisters();
    const written = used.some((u: { register: Register; access: OpAccess }) =>
      RegisterExt.fullRegister(u.register) === reg && WRITES.has(u.access));
    for (const u of used) u.free();
    info.free();
    if (!written) return { follow: reg };
    const mnemonic = ins.mnemonic;
    const destination = ins.op0Kind === OpKind.Register ? ins.op0Register : Register.None;
    // Writes to 8- and 16-bit parts keep the upper bits: the full value is not known.
    if (destination === Register.None || RegisterExt.fullRegister(destination) !== reg || RegisterExt.size(destination) < 4) {
      return { origin: { kind: 'unknown', reason: `${registerName(reg)} set by ${ins.toString()}` } };
    }
    if (mnemonic === Mnemonic.Mov) {
      const sourceKind = ins.op1Kind;
      if (sourceKind === OpKind.Register && RegisterExt.isGPR(ins.op1Register) && RegisterExt.size(ins.op1Register) >= 4) {
        return { follow: RegisterExt.fullRegister(ins.op1Register) };
      }
      if (sourceKind === OpKind.Immediate32 || sourceKind === OpKind.Immediate32to64 || sourceKind === OpKind.Immediate64) {
        const raw = ins.immediate(1);
        // A 32-bit move zero-extends; a 64-bit one may carry a negative number, which is no syscall.
        const value = RegisterExt.size(destination) === 4 ? Number(BigInt.asUintN(32, raw)) : Number(BigInt.asIntN(64, raw));
        return { origin: { kind: 'constant', value } };
      }
    }
    if ((mnemonic === Mnemonic.Xor || mnemonic === Mnemonic.Sub) && ins.op1Kind === OpKind.Register && ins.op1Register === destination) {
      return { origin: { kind: 'constant', value: 0 } };
    }
    return { origin: { kind: 'unknown', reason: `${registerName(reg)} set by ${ins.toString()}` } };
  } finally {
    ins.free();
  }
}
