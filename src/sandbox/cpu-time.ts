import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time used by a run's processes, read from Linux's /proc. A hang that spins (a faked
 * `write` that glibc retries forever) uses CPU at full speed whatever the load, while a run
 * slowed by load uses no more CPU than usual: CPU time tells the two apart where wall time
 * cannot.
 */

/** Clock ticks per second of /proc's times: USER_HZ, 100 on every Linux ABI (times(2)). */
const USER_HZ = 100;

/** utime, stime, cutime, cstime: fields 14 to 17 of /proc/PID/stat (proc(5)), counted after the command's closing parenthesis. */
function ownAndReapedTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i] ?? 0), 0);
}

function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
    if (text) children.push(...text.split(' ').map(Number));
  }
  return children;
}

/**
 * User plus system CPU time (ms) of process `pid` and all its live descendants, including what
 * their reaped children used (each reaped process counts in its parent's cumulative times).
 * Processes that exit while being read are skipped; 0 when `pid` is gone. Resolution: 10 ms.
 */
export function treeCpuMs(pid: number): number {
  let ticks = 0;
  const pending = [pid];
  while (pending.length > 0) {
    const p = pending.pop()!;
    try {
      ticks += ownAndReapedTicks(p);
      pending.push(...childrenOf(p));
    } catch {
      // Exited meanwhile: its time is now in its parent's cumulative times, read or not.
    }
  }
  return (ticks * 1000) / USER_HZ;
}
