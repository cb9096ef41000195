import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * How long a cgroup's tasks were kept from a CPU, from its `cpu.pressure` file (pressure stall
 * information, the kernel's Documentation/accounting/psi.rst). Each run has a cgroup v2 of its
 * own (the one its syscalls are recorded in), so this is per run; and unlike /proc's schedstat,
 * the totals stay readable after the run's processes have exited, until the cgroup is removed.
 *
 * `some` is the time during which at least one runnable task of the cgroup waited for a CPU;
 * `full` the time during which all of them did: none ran although some wanted to (at the cgroup
 * level since Linux 5.13). A program whose own threads outnumber the CPUs contends with itself
 * and raises `some` on an idle machine; only other work raises `full`. So `full` is what load
 * does to a run: time it could have run and did not.
 */

export interface CpuPressure {
  /** At least one runnable task waited, ms since the cgroup was created. */
  someMs: number;
  /** All runnable tasks waited (none ran), ms since the cgroup was created. */
  fullMs: number;
}

/**
 * Parses a `cpu.pressure` text: lines `some avg10=.. avg60=.. avg300=.. total=US` and the same
 * for `full` (totals in µs). Undefined when the `some` line is missing; a missing `full` line
 * (kernels before 5.13 at the cgroup level) reads as undefined too, since it cannot be told
 * from "never starved".
 */
export function parseCpuPressure(text: string): CpuPressure | undefined {
  const total = (kind: string): number | undefined => {
    const m = new RegExp(`^${kind} .*\\btotal=(\\d+)`, 'm').exec(text);
    return m ? Number(m[1]) / 1000 : undefined;
  };
  const someMs = total('some');
  const fullMs = total('full');
  return someMs === undefined || fullMs === undefined ? undefined : { someMs, fullMs };
}

/**
 * The CPU pressure totals of the cgroup v2 folder `cgroupDir`; undefined when it cannot be read
 * (no such cgroup, a kernel without PSI or booted with psi=0, a cgroup whose pressure was
 * turned off with cgroup.pressure).
 */
export function readCpuPressure(cgroupDir: string): CpuPressure | undefined {
  try {
    return parseCpuPressure(readFileSync(join(cgroupDir, 'cpu.pressure'), 'utf8'));
  } catch {
    return undefined;
  }
}
