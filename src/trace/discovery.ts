import { effectiveMask, subfeatureArgumentsOf, type ArgumentKind, type SubfeatureArgument } from '../syscalls/subfeatures.js';
import { posix } from 'node:path';
import { createdChild, type ForeignAbi, type ParsedTrace, type ProcessRecord, type SyscallEvent } from './parser.js';
import { startedPrograms } from './exec-paths.js';
import { decodeStringLiteral, parseNumericArgument, type NumericArgument } from './strace-text.js';
import { X86_64 } from '../syscalls/table.js';

/**
 * What one traced run tells: syscalls used, per executable and overall, argument values of
 * sub-feature syscalls, and pseudo-files touched. Pure.
 *
 * Attribution rule (which executable a call counts for):
 * - A process runs the executable of its last successful execve; a process that has not
 *   exec'd runs what its parent ran when it created it (fork, clone, threads).
 * - A successful execve counts for the executable that called it, not for the one it starts:
 *   the caller needed it. So when a test driver (a shell) starts the analysed binary, that
 *   execve belongs to the driver and is never counted under `onlyConsider`.
 * - Exception: the first traced process runs nothing known before its first execve (strace
 *   itself started it), so its calls up to and including that execve count for the
 *   executable that execve starts. Without it, the analysed program's own start-up execve
 *   would be attributed to nobody.
 * - The launcher bound over `onlyConsider` (see src/sandbox/launcher.c) is invisible: its calls,
 *   from the execve that started it up to and including its execve of `launcherTarget`, count
 *   for nobody, and the process then runs `onlyConsider`.
 * Exec'd paths are made absolute against the working folder of the process that exec'd them
 * (followed through chdir, fchdir and process creation from `cwd`, see exec-paths.ts), so a test
 * driver that changes folder and runs `./prog` is attributed; `onlyConsider` is made absolute
 * against `cwd`. Both are then compared after `canonicalPath` (e.g. realpath, so /bin/true and
 * /usr/bin/true are one executable).
 */

export interface ArgumentValue {
  syscall: string;
  nr: number;
  /** Kernel ABI position of the argument (see src/syscalls/subfeatures.ts). */
  argIndex: number;
  /** Exact unsigned decimal of the selecting bits: the argument reduced to its width and mask. */
  value: string;
  /** Symbolic name from strace's verbose comment (`TCGETS`, `O_RDONLY|O_CLOEXEC`), or the hex. */
  label: string;
  kind: ArgumentKind;
  /** Width and mask (decimal) under which `value` must be matched; copied from the table. */
  width: 32 | 64;
  mask: string;
  /** How many calls passed this value. */
  count: number;
}

export interface PseudoFileAccess {
  /** Path as the program passed it (C escapes decoded). */
  path: string;
  /** The same path with the caller's own pid spelled `self` / `thread-self`, so it names the same file in another run. */
  portablePath: string;
  syscall: string;
  succeeded: boolean;
}

/** Calls made through another ABI than the native one (see SyscallEvent.abi): seen, never perturbed. */
export interface ForeignCall {
  abi: ForeignAbi;
  /** Number in that ABI's table (i386: `int $0x80` numbering). */
  nr: number;
  name: string;
  count: number;
}

export interface Discovery {
  /** Per executable (canonical path): sorted syscall numbers of calls attributed to it. */
  usedByExecutable: Record<string, number[]>;
  /** Sorted syscall numbers of all considered calls (all calls without `onlyConsider`). */
  usedByAll: number[];
  /** Values of sub-feature arguments seen in considered calls. */
  argumentValues: ArgumentValue[];
  /** Considered path lookups under /proc, /sys and /dev, one entry per (path, syscall, succeeded). */
  pseudoFiles: PseudoFileAccess[];
  processes: ProcessRecord[];
  /** Sub-feature arguments whose numeric value strace's text did not reveal (skipped, not guessed). */
  unparsedArguments: number;
  /** Considered calls made through another ABI (i386 `int $0x80`, x32), by ABI and number. */
  foreignCalls: ForeignCall[];
}

export interface DiscoverOptions {
  /** Absolute working folder the first traced process started in; `/` by default. */
  cwd?: string;
  /** Only count calls attributed to this executable (compared after canonicalPath). */
  onlyConsider?: string;
  /** Maps an absolute exec'd path to its canonical form; the identity by default (see canonical-path.ts). */
  canonicalPath?: (path: string) => string;
  /** With `onlyConsider`: the path the bound launcher executes the real binary from. */
  launcherTarget?: string;
}

/** Indexes of the events made by the bound launcher (see DiscoverOptions.launcherTarget). */
function launcherEvents(parsed: ParsedTrace, programs: Map<number, string>, launcherTarget: string | undefined): Set<number> {
  const skipped = new Set<number>();
  if (launcherTarget === undefined) return skipped;
  const sinceExec = new Map<number, number[]>();
  parsed.events.forEach((event, index) => {
    const started = programs.get(index);
    if (started === undefined) {
      const calls = sinceExec.get(event.pid) ?? [];
      calls.push(index);
      sinceExec.set(event.pid, calls);
      return;
    }
    if (started === launcherTarget) for (const i of [...(sinceExec.get(event.pid) ?? []), index]) skipped.add(i);
    sinceExec.set(event.pid, []);
  });
  return skipped;
}

const PSEUDO_FILE = /^\/(proc|sys|dev)(\/|$)/;

export function discover(parsed: ParsedTrace, opts: DiscoverOptions = {}): Discovery {
  const canonical = memoised(opts.canonicalPath ?? ((path: string) => path));
  const cwd = opts.cwd ?? '/';
  const onlyConsider = opts.onlyConsider === undefined ? undefined : canonical(posix.resolve(cwd, opts.onlyConsider));
  const records = new Map(parsed.processes.map((record) => [record.pid, record]));
  const programs = startedPrograms(parsed, cwd);
  const firstExecutable = new Map<number, string>();
  for (const [index, program] of programs) {
    const pid = parsed.events[index]!.pid;
    if (!firstExecutable.has(pid)) firstExecutable.set(pid, canonical(program));
  }

  const running = new Map<number, string>();
  const byExecutable = new Map<string, Set<number>>();
  const usedByAll = new Set<number>();
  const values = new Map<string, ArgumentValue>();
  const pseudoFiles = new Map<string, PseudoFileAccess>();
  let unparsedArguments = 0;
  const foreignCalls = new Map<string, ForeignCall>();

  const byLauncher = launcherEvents(parsed, programs, onlyConsider === undefined ? undefined : opts.launcherTarget);
  for (const [index, event] of parsed.events.entries()) {
    const owner = running.get(event.pid) ?? firstExecutable.get(event.pid);
    const started = programs.get(index);
    if (started !== undefined) running.set(event.pid, started === opts.launcherTarget && onlyConsider !== undefined ? onlyConsider : canonical(started));
    if (byLauncher.has(index)) continue;
    const child = createdChild(event);
    const inherited = running.get(event.pid);
    if (child !== undefined && inherited !== undefined) running.set(child, inherited);

    if (owner !== undefined && !event.abi) {
      const used = byExecutable.get(owner) ?? new Set<number>();
      used.add(event.nr);
      byExecutable.set(owner, used);
    }
    if (onlyConsider !== undefined && owner !== onlyConsider) continue;
    if (event.abi) {
      const key = `${event.abi}:${event.nr}`;
      const known = foreignCalls.get(key);
      if (known) known.count++;
      else foreignCalls.set(key, { abi: event.abi, nr: event.nr, name: event.name, count: 1 });
      continue;
    }

    usedByAll.add(event.nr);
    for (const entry of subfeatureArgumentsOf(event.name)) {
      const text = argumentText(event, entry);
      const numeric = text === undefined ? undefined : parseNumericArgument(text);
      if (numeric === undefined) {
        unparsedArguments++;
        continue;
      }
      recordValue(values, event, entry, numeric);
    }
    const access = pseudoFileAccess(event, records);
    if (access) pseudoFiles.set(`${access.path}\0${access.syscall}\0${access.succeeded}`, access);
  }

  return {
    usedByExecutable: Object.fromEntries(
      [...byExecutable].sort(([a], [b]) => compareText(a, b)).map(([path, used]) => [path, sortedNumbers(used)]),
    ),
    usedByAll: sortedNumbers(usedByAll),
    argumentValues: [...values.values()].sort(compareArgumentValues),
    pseudoFiles: [...pseudoFiles.values()].sort(
      (a, b) => compareText(a.path, b.path) || compareText(a.syscall, b.syscall) || Number(a.succeeded) - Number(b.succeeded),
    ),
    processes: parsed.processes,
    unparsedArguments,
    foreignCalls: [...foreignCalls.values()].sort((a, b) => compareText(a.abi, b.abi) || a.nr - b.nr),
  };
}

function argumentText(event: SyscallEvent, entry: SubfeatureArgument): string | undefined {
  if (entry.straceName === undefined) return event.args[entry.argIndex];
  return event.args.find((arg) => arg.startsWith(`${entry.straceName}=`));
}

function recordValue(values: Map<string, ArgumentValue>, event: SyscallEvent, entry: SubfeatureArgument, numeric: NumericArgument): void {
  const widthMask = (1n << BigInt(entry.width)) - 1n;
  const mask = effectiveMask(entry) & widthMask;
  const selected = numeric.value & mask;
  const key = `${event.name}\0${entry.argIndex}\0${entry.kind}\0${mask}\0${selected}`;
  const known = values.get(key);
  if (known) {
    known.count++;
    return;
  }
  values.set(key, {
    syscall: event.name,
    nr: event.nr,
    argIndex: entry.argIndex,
    value: selected.toString(),
    label: labelOf(numeric, selected, mask, widthMask),
    kind: entry.kind,
    width: entry.width,
    mask: mask.toString(),
    count: 1,
  });
}

/**
 * strace's comments for the terms that lie within the mask, when they account for exactly the
 * selected bits (`0x1 /* SOCK_STREAM *\/|0x800 /* SOCK_NONBLOCK *\/` under the type mask gives
 * SOCK_STREAM); otherwise the hex, since a comment covering other bits would mislabel the value.
 */
function labelOf(numeric: NumericArgument, selected: bigint, mask: bigint, widthMask: bigint): string {
  const inside = numeric.terms.filter((term) => (term.value & widthMask & ~mask) === 0n);
  const covered = inside.reduce((all, term) => all | (term.value & widthMask), 0n);
  const comments = inside.map((term) => term.comment);
  const named = comments.every((comment) => comment !== undefined && comment !== '' && !comment.includes('???'));
  if (inside.length > 0 && covered === selected && named) return comments.join('|');
  return `0x${selected.toString(16)}`;
}

function pseudoFileAccess(event: SyscallEvent, records: Map<number, ProcessRecord>): PseudoFileAccess | undefined {
  // Files looked up by name (the table's path arguments), not programs executed.
  const row = X86_64.row(event.name);
  const pathIndex = row?.executesProgram ? undefined : row?.pathArguments?.[0];
  if (pathIndex === undefined) return undefined;
  const path = decodeStringLiteral(event.args[pathIndex] ?? '');
  if (path === undefined || !PSEUDO_FILE.test(path)) return undefined;
  const result = event.result;
  const succeeded = result !== undefined && !result.startsWith('-1') && !result.startsWith('?');
  return { path, portablePath: portableProcPath(path, event.pid, records), syscall: event.name, succeeded };
}

/** `/proc/<own pid>/x` → `/proc/self/x`, `/proc/<own pid>/task/<own tid>/x` → `/proc/thread-self/x`. */
function portableProcPath(path: string, tid: number, records: Map<number, ProcessRecord>): string {
  const threadGroup = threadGroupLeader(tid, records);
  const own = /^\/proc\/(\d+)(\/task\/(\d+))?(?=\/|$)/.exec(path);
  if (!own || Number(own[1]) !== threadGroup) return path;
  if (own[3] !== undefined && Number(own[3]) === tid) return `/proc/thread-self${path.slice(own[0].length)}`;
  return `/proc/self${path.slice(`/proc/${own[1]}`.length)}`;
}

function threadGroupLeader(tid: number, records: Map<number, ProcessRecord>): number {
  let record = records.get(tid);
  while (record?.thread && record.parent !== undefined) record = records.get(record.parent);
  return record?.pid ?? tid;
}

// canonicalPath may touch the filesystem (realpath), and a workload can exec one binary thousands of times.
function memoised(canonicalPath: (path: string) => string): (path: string) => string {
  const known = new Map<string, string>();
  return (path) => {
    let canonical = known.get(path);
    if (canonical === undefined) {
      canonical = canonicalPath(path);
      known.set(path, canonical);
    }
    return canonical;
  };
}

function sortedNumbers(numbers: Set<number>): number[] {
  return [...numbers].sort((a, b) => a - b);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareArgumentValues(a: ArgumentValue, b: ArgumentValue): number {
  const selectedA = BigInt(a.value);
  const selectedB = BigInt(b.value);
  return (
    a.nr - b.nr ||
    a.argIndex - b.argIndex ||
    compareText(a.kind, b.kind) ||
    (selectedA < selectedB ? -1 : selectedA > selectedB ? 1 : 0)
  );
}
