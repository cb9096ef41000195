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

/** Host PIDs of the live children of `pid`, from each of its threads' /proc/PID/task/TID/children (proc(5)); [] once it is gone. */
export function childrenOf(pid: number): number[] {
  const children: number[] = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (text) children.push(...text.split(' ').map(Number));
    }
  } catch {
    // Exited meanwhile: its children, if any, now belong to the namespace's init.
  }
  return children;
}

/** Host PIDs of the live descendants of `pid`, not `pid` itself. */
export function descendantsOf(pid: number): number[] {
  const found: number[] = [];
  visitTree(pid, (p) => {
    if (p !== pid) found.push(p);
  });
  return found;
}

/** Calls `visit` on `pid` and each of its live descendants; a process that exits meanwhile is skipped. */
function visitTree(pid: number, visit: (pid: number) => void): void {
  const pending = [pid];
  while (pending.length > 0) {
    const p = pending.pop()!;
    try {
      visit(p);
      pending.push(...childrenOf(p));
    } catch {
      // Exited meanwhile.
    }
  }
}

/**
 * User plus system CPU time (ms) of process `pid` and all its live descendants, including what
 * their reaped children used (each reaped process counts in its parent's cumulative times).
 * Processes that exit while being read are skipped; 0 when `pid` is gone. Resolution: 10 ms.
 */
export function treeCpuMs(pid: number): number {
  let ticks = 0;
  // A process that exits while read has its time in its parent's cumulative times, read or not.
  visitTree(pid, (p) => (ticks += ownAndReapedTicks(p)));
  return (ticks * 1000) / USER_HZ;
}

/**
 * How much the live threads of `pid` and its descendants ran, and how long they waited for a CPU
 * while runnable, ms, summed over threads, from /proc/PID/task/TID/schedstat (the kernel's
 * Documentation/scheduler/sched-stats.rst: time on the CPU, then time spent waiting on a
 * runqueue, both in ns). Waiting is what load does to a run: near 0 on an idle machine even for
 * a thread that spins, and 0 for threads asleep (a deadlock). Processes or threads that end while
 * read are skipped; both 0 when `pid` is gone.
 */
export function treeSchedule(pid: number): { runningMs: number; waitingMs: number } {
  let running = 0;
  let waiting = 0;
  visitTree(pid, (p) => {
    for (const tid of readdirSync(`/proc/${p}/task`)) {
      try {
        const [onCpu, runDelay] = readFileSync(`/proc/${p}/task/${tid}/schedstat`, 'utf8').trim().split(' ').map(Number);
        running += onCpu ?? 0;
        waiting += runDelay ?? 0;
      } catch {
        // The thread ended meanwhile.
      }
    }
  });
  return { runningMs: running / 1e6, waitingMs: waiting / 1e6 };
}
