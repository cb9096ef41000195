import type { SyscallTable } from '../syscalls/table.js';
import { displayName } from '../syscalls/table.js';
import { flagBitName } from '../syscalls/flag-bits.js';
import type { Experiment, JudgeSettings, Perturbation, Workload } from './experiment.js';
import { TREATMENTS, type Treatment } from '../core/verdict.js';

/**
 * Turns what discovery found into experiments. Pure: the same inputs give the same
 * experiments with the same ids, which is what lets a journal resume an analysis.
 */

/** One value of a feature-selecting argument seen during discovery. */
export interface ArgumentCandidate {
  syscall: string;
  nr: number;
  argIndex: number;
  /** Exact unsigned 64-bit value, decimal. */
  value: string;
  label: string;
  kind: 'value' | 'flags';
  /** Bits of the argument that select the feature (decimal). */
  mask: string;
}

export type PseudoFileMode = 'absent' | 'empty';

/** What a sub-feature experiment is about, kept beside the experiment to build the report. */
export interface SubfeatureTarget {
  kind: string;
  syscall?: string;
  nr?: number;
  argIndex?: number;
  value: string;
  label: string;
  bit?: boolean;
}

export interface PlannedExperiment {
  experiment: Experiment;
  /** For syscall experiments: the number; for sub-features: the target. */
  syscall?: number;
  subfeature?: SubfeatureTarget;
  /** stub/fake for syscalls and argument values; absent/empty map to stub/fake for pseudo-files. */
  action: Treatment;
}


function experiment(id: string, description: string, workload: Workload, perturbation: Perturbation, judge: JudgeSettings): Experiment {
  return { id, description, workload, perturbation, judge };
}

export function planSyscallExperiments(used: readonly number[], table: SyscallTable, workload: Workload, judge: JudgeSettings): PlannedExperiment[] {
  return used.flatMap((nr) =>
    TREATMENTS.map((action) => {
      const name = displayName(table, nr);
      return {
        experiment: experiment(`${action}:${name}`, `${action} ${name}`, workload, { rules: [{ nr, action }] }, judge),
        syscall: nr,
        action,
      };
    }),
  );
}

/** Every single bit set in a 64-bit value, lowest first. */
export function setBits(value: bigint): bigint[] {
  const bits: bigint[] = [];
  for (let bit = 1n, v = BigInt.asUintN(64, value); v !== 0n; bit <<= 1n, v >>= 1n) if (v & 1n) bits.push(bit);
  return bits;
}

/**
 * Names of single flag bits, told by the labels of the values seen. strace names a whole value
 * (`0x22 /* MAP_PRIVATE|MAP_ANONYMOUS *\/`), never one bit, so a bit's name is the one name found
 * in every named value that has the bit and in no named value that lacks it (MAP_ANONYMOUS: in
 * 0x22 and 0x32, not in 0x2). A bit with no such single name, or whose name another bit gets too
 * (a name covering several bits), keeps its hex. Keys are `nr/argIndex/bit` (decimal); pure.
 */
export function flagBitNames(candidates: readonly ArgumentCandidate[]): Map<string, string> {
  const named = candidates.filter((c) => c.kind === 'flags' && !/^0x[0-9a-f]+$/.test(c.label));
  const found = new Map<string, string>();
  const bitsOfName = new Map<string, number>();
  for (const c of candidates) {
    if (c.kind !== 'flags') continue;
    for (const bit of setBits(BigInt(c.value))) {
      const key = `${c.nr}/${c.argIndex}/${bit}`;
      if (found.has(key)) continue;
      const sameArgument = named.filter((n) => n.nr === c.nr && n.argIndex === c.argIndex);
      const withBit = sameArgument.filter((n) => (BigInt(n.value) & bit) !== 0n).map((n) => new Set(n.label.split('|')));
      const without = new Set(sameArgument.filter((n) => (BigInt(n.value) & bit) === 0n).flatMap((n) => n.label.split('|')));
      const names = [...(withBit[0] ?? [])].filter((name) => withBit.every((set) => set.has(name)) && !without.has(name));
      if (names.length !== 1) continue;
      found.set(key, names[0]!);
      const nameKey = `${c.nr}/${c.argIndex}/${names[0]}`;
      bitsOfName.set(nameKey, (bitsOfName.get(nameKey) ?? 0) + 1);
    }
  }
  for (const [key, name] of found) {
    const [nr, argIndex] = key.split('/');
    if (bitsOfName.get(`${nr}/${argIndex}/${name}`)! > 1) found.delete(key);
  }
  return found;
}

export function planArgumentExperiments(candidates: readonly ArgumentCandidate[], workload: Workload, judge: JudgeSettings): PlannedExperiment[] {
  const planned: PlannedExperiment[] = [];
  const seenBits = new Set<string>();
  const bitNames = flagBitNames(candidates);
  const sorted = [...candidates].sort((a, b) => a.nr - b.nr || a.argIndex - b.argIndex || compareDecimal(a.value, b.value));
  for (const c of sorted) {
    const kind = c.kind === 'flags' ? `${c.syscall}-arg${c.argIndex}-flags` : c.syscall;
    const targets: { target: SubfeatureTarget; rule: { equals?: string; mask?: string; bitSet?: string } }[] = [
      { target: { kind, syscall: c.syscall, nr: c.nr, argIndex: c.argIndex, value: c.value, label: c.label }, rule: { equals: c.value, mask: c.mask } },
    ];
    if (c.kind === 'flags') {
      for (const bit of setBits(BigInt(c.value))) {
        const key = `${c.nr}/${c.argIndex}/${bit}`;
        if (seenBits.has(key)) continue;
        seenBits.add(key);
        const label = flagBitName(c.syscall, c.argIndex, bit) ?? bitNames.get(key) ?? `0x${bit.toString(16)}`;
        targets.push({ target: { kind, syscall: c.syscall, nr: c.nr, argIndex: c.argIndex, value: bit.toString(), label, bit: true }, rule: { bitSet: bit.toString() } });
      }
    }
    for (const { target, rule } of targets) {
      for (const action of TREATMENTS) {
        const what = target.bit ? `bit ${target.label}` : `=${target.label}`;
        const id = `${action}:${c.syscall}:arg${c.argIndex}${target.bit ? '&' : '='}${target.value}`;
        planned.push({
          experiment: experiment(id, `${action} ${c.syscall}(arg${c.argIndex} ${what})`, workload, { rules: [{ nr: c.nr, action, argIndex: c.argIndex, ...rule }] }, judge),
          subfeature: target,
          action,
        });
      }
    }
  }
  return planned;
}

/** Files of the calling process itself: they exist only once it runs, so no mount can replace them. */
const PER_PROCESS_FILE = /^\/proc\/(self|thread-self)\//;

export function planPseudoFileExperiments(paths: readonly string[], workload: Workload, judge: JudgeSettings): PlannedExperiment[] {
  const modes: [PseudoFileMode, Treatment][] = [['absent', 'stub'], ['empty', 'fake']];
  return [...new Set(paths)].sort().flatMap((path) =>
    modes.filter(([mode]) => mode === 'absent' || !PER_PROCESS_FILE.test(path)).map(([mode, action]) => ({
      experiment: experiment(
        `${mode}:${path}`,
        `${mode} ${path}`,
        workload,
        mode === 'absent' ? { rules: [], absentFiles: [path] } : { rules: [], emptyFiles: [path] },
        judge,
      ),
      subfeature: { kind: 'pseudofile', value: path, label: path },
      action,
    })),
  );
}

function compareDecimal(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
