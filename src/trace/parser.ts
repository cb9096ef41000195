import { I386, X32_SYSCALL_BIT, X86_64, displayName, type SyscallTable } from '../syscalls/table.js';
import { decodeStringLiteral, splitArguments } from './strace-text.js';

/**
 * Parser of `strace -f` output (see strace-command.ts for the exact options). Pure: text in,
 * events and processes out.
 *
 * Every line starts with the pid (thread id) of the tracee. After it comes one of:
 * - a complete call: `NAME(ARGS) = RESULT`;
 * - the first half of a call interrupted by another tracee's line: `NAME(ARGS <unfinished ...>`,
 *   completed later on a line of the same pid: `<... NAME resumed>REST`;
 * - a signal: `--- SIGCHLD {...} ---` (ignored);
 * - an end: `+++ exited with 0 +++`, `+++ killed by SIGKILL +++`, or
 *   `+++ superseded by execve in pid TID +++` when thread TID of this thread group called
 *   execve: the kernel then gives the thread group leader's pid to TID, so TID's unfinished
 *   execve is resumed under the leader's pid;
 * - a personality change: `[ Process PID=N runs in 32 bit mode. ]` before the first call a
 *   thread makes through another ABI (`int $0x80` in a 64-bit program), and `... 64 bit mode`
 *   when it comes back. Calls in between are i386 calls, named and numbered by the i386 table
 *   (strace needs `--quiet=attach`, not `-q`, to print these lines).
 */

export interface SyscallEvent {
  pid: number;
  nr: number;
  name: string;
  /** Raw argument texts, split at top-level commas, in strace's display order. */
  args: string[];
  /** Raw text after '=' (`0`, `-1 ENOENT (No such file or directory)`, `?`); absent if the call never completed in the log. */
  result?: string;
  /**
   * Absent for the native ABI (the table's). `i386`: made with `int $0x80`, numbered in the i386
   * table; `x32`: numbered in the native table without the x32 bit. Neither is seen by the filter
   * as a native call, so neither can be perturbed like one.
   */
  abi?: ForeignAbi;
}

export type ForeignAbi = 'i386' | 'x32';

export interface ProcessRecord {
  pid: number;
  /** Tracee whose clone/clone3/fork/vfork returned this pid. Absent for the first process. */
  parent?: number;
  /** Created with CLONE_THREAD: a thread of its parent's process. */
  thread: boolean;
  /** Paths (as passed to execve, C escapes decoded) of this pid's successive successful execve calls. */
  executables: string[];
  /** strace's end message without the `+++`: `exited with 0`, `killed by SIGKILL (core dumped)`. */
  exitStatus?: string;
}

export interface ParsedTrace {
  /** In log order of the calls' starts (a resumed call keeps the place of its first half). */
  events: SyscallEvent[];
  /** In order of first appearance, on a line of their own or as the result of the call that created them. */
  processes: ProcessRecord[];
  /** Lines that matched no known form, kept for diagnostics. */
  unrecognisedLines: string[];
  /** Call names that are neither in the syscall table nor strace's `syscall_0x...` form. */
  unknownSyscallNames: string[];
}

const UNFINISHED = ' <unfinished ...>';
const LINE = /^(\d+) +(.*)$/;
const RESUMED = /^<\.\.\. ([A-Za-z0-9_]+) resumed>(.*)$/s;
const CALL_START = /^([A-Za-z0-9_]+)\(/;
const UNNAMED_SYSCALL = /^syscall_0x([0-9a-f]+)$/;
const SUPERSEDED = /^superseded by execve in pid (\d+)$/;
const PERSONALITY = /^\[ Process PID=\d+ runs in (64 bit|32 bit|x32) mode\. \]$/;
const ABI_OF_MODE: Record<string, ForeignAbi | undefined> = { '32 bit': 'i386', x32: 'x32' };

interface PendingCall {
  /** Text of the first half, without the unfinished marker. */
  text: string;
  /** Index in events reserved for this call. */
  slot: number;
  abi?: ForeignAbi;
}

/** `compatTable`: the table of `int $0x80` calls (see PERSONALITY). */
export function parseStraceLog(text: string, table: SyscallTable = X86_64, compatTable: SyscallTable = I386): ParsedTrace {
  const events: (SyscallEvent | undefined)[] = [];
  const processes = new Map<number, ProcessRecord>();
  const pending = new Map<number, PendingCall>();
  const unrecognisedLines: string[] = [];
  const unknownSyscallNames = new Set<string>();
  /** Per thread: the ABI of its calls since its last personality line (absent: native). */
  const abiOf = new Map<number, ForeignAbi>();

  const processOf = (pid: number): ProcessRecord => {
    let record = processes.get(pid);
    if (!record) {
      record = { pid, thread: false, executables: [] };
      processes.set(pid, record);
    }
    return record;
  };

  const complete = (pid: number, callText: string, slot: number, abi: ForeignAbi | undefined): void => {
    const event = parseCall(pid, callText, abi === 'i386' ? compatTable : table, unknownSyscallNames);
    if (event && abi) event.abi = abi;
    events[slot] = event;
    if (event && !abi) applyToProcesses(event, processOf);
  };

  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const match = LINE.exec(line);
    if (!match) {
      unrecognisedLines.push(line);
      continue;
    }
    const pid = Number(match[1]);
    const rest = match[2]!;
    processOf(pid);

    if (rest.startsWith('--- ')) continue;
    const personality = PERSONALITY.exec(rest);
    if (personality) {
      const abi = ABI_OF_MODE[personality[1]!];
      if (abi) abiOf.set(pid, abi);
      else abiOf.delete(pid);
      continue;
    }
    if (rest.startsWith('+++ ') && rest.endsWith(' +++')) {
      const message = rest.slice(4, -4);
      const superseded = SUPERSEDED.exec(message);
      if (superseded) {
        const execingThread = Number(superseded[1]);
        const call = pending.get(execingThread);
        if (call) {
          pending.delete(execingThread);
          pending.set(pid, call);
        }
        processOf(execingThread).exitStatus = `became pid ${pid} by execve`;
      } else {
        processOf(pid).exitStatus = message;
      }
      continue;
    }

    const resumed = RESUMED.exec(rest);
    let callText: string;
    let slot: number;
    // A call belongs to the ABI it was made through, even if the thread switched before it resumed.
    let abi = abiOf.get(pid);
    if (resumed) {
      const call = pending.get(pid);
      pending.delete(pid);
      // A resumed half without its first half (log started mid-call) still names the call.
      callText = call ? call.text + resumed[2]! : `${resumed[1]!}(${resumed[2]!}`;
      slot = call ? call.slot : events.push(undefined) - 1;
      if (call) abi = call.abi;
    } else if (CALL_START.test(rest)) {
      callText = rest;
      slot = events.push(undefined) - 1;
    } else {
      unrecognisedLines.push(line);
      continue;
    }

    if (callText.endsWith(UNFINISHED)) {
      pending.set(pid, { text: callText.slice(0, -UNFINISHED.length), slot, ...(abi ? { abi } : {}) });
    } else {
      complete(pid, callText, slot, abi);
    }
  }

  // Calls still unfinished at the end of the log (killed tracee, truncated log): keep what was seen.
  for (const [pid, call] of pending) complete(pid, call.text, call.slot, call.abi);

  return {
    events: events.filter((event): event is SyscallEvent => event !== undefined),
    processes: [...processes.values()],
    unrecognisedLines,
    unknownSyscallNames: [...unknownSyscallNames].sort(),
  };
}

function parseCall(pid: number, callText: string, table: SyscallTable, unknownNames: Set<string>): SyscallEvent | undefined {
  const start = CALL_START.exec(callText);
  if (!start) return undefined;
  const name = start[1]!;
  const nr = syscallNumber(name, table);
  if (nr === undefined) {
    unknownNames.add(name);
    return undefined;
  }
  const { args, end } = splitArguments(callText, start[0].length);
  const event: SyscallEvent = { pid, nr, name: displayName(table, nr), args };
  if (end !== undefined) {
    const result = /^\s*=\s*(.*)$/s.exec(callText.slice(end));
    if (result) event.result = result[1]!.trim();
  }
  return event;
}

function syscallNumber(name: string, table: SyscallTable): number | undefined {
  const unnamed = UNNAMED_SYSCALL.exec(name);
  if (!unnamed) return table.number(name);
  // strace could not name it: a number newer than the table is still a syscall, kept under its
  // number; negative numbers (syscall(-1), shown as 0xffffffffffffffff) and the x32 range are not.
  const nr = parseInt(unnamed[1]!, 16);
  return nr < X32_SYSCALL_BIT ? nr : undefined;
}

/** Process bookkeeping a completed call implies: creation of a child, or a new executable. */
function applyToProcesses(event: SyscallEvent, processOf: (pid: number) => ProcessRecord): void {
  const child = createdChild(event);
  if (child !== undefined) {
    const record = processOf(child);
    record.parent = event.pid;
    record.thread = event.name.startsWith('clone') && event.args.some((arg) => /\bCLONE_THREAD\b/.test(arg));
  }
  const started = startedExecutable(event);
  if (started !== undefined) processOf(event.pid).executables.push(started);
}

/** The pid a successful call that creates a process (clone, clone3, fork, vfork: the table's createsProcess) returned. */
export function createdChild(event: SyscallEvent, table: SyscallTable = X86_64): number | undefined {
  if (event.abi || !table.row(event.name)?.createsProcess || event.result === undefined) return undefined;
  const child = /^\d+/.exec(event.result);
  return child && Number(child[0]) > 0 ? Number(child[0]) : undefined;
}

/** The program path of a successful execve or execveat (the table's executesProgram, path in its first path argument). */
export function startedExecutable(event: SyscallEvent, table: SyscallTable = X86_64): string | undefined {
  const row = table.row(event.name);
  const pathIndex = row?.executesProgram ? row.pathArguments?.[0] : undefined;
  if (event.abi || pathIndex === undefined || event.result !== '0') return undefined;
  // fexecve (execveat with an empty path) does not say which file ran.
  return decodeStringLiteral(event.args[pathIndex] ?? '') || undefined;
}
