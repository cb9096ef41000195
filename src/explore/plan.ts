import type { SyscallTable } from '../syscalls/table.js';
import { displayName } from '../syscalls/table.js';
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

export function planArgumentExperiments(candidates: readonly ArgumentCandidate[], workload: Workload, judge: JudgeSettings): PlannedExperiment[] {
  const planned: PlannedExperiment[] = [];
  const seenBits = new Set<string>();
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
        const hex = `0x${bit.toString(16)}`;
        targets.push({ target: { kind, syscall: c.syscall, nr: c.nr, argIndex: c.argIndex, value: bit.toString(), label: hex, bit: true }, rule: { bitSet: bit.toString() } });
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
