import { posix } from 'node:path';
import { createdChild, startedExecutable, type ParsedTrace } from './parser.js';
import { decodeStringLiteral } from './strace-text.js';

/**
 * The absolute path of the program each successful execve/execveat of a trace started, keyed by
 * the event's index in `parsed.events`; relative paths are resolved against the working folder of
 * the process that exec'd them. Pure. The one place a trace's working folders are followed: both
 * explore's attribution (discovery.ts) and `loupe debian`'s binary discovery read it.
 *
 * The working folder is followed through the trace: the first process starts in `startCwd` (an
 * absolute path); a child created by clone/fork/vfork starts in its parent's folder at that moment
 * (events are in the order the calls started, so the parent's clone comes before the child's
 * first call); `chdir(PATH) = 0` moves it; `fchdir(FD) = 0` moves it to the folder strace shows
 * for FD, which needs strace's `-y` (`fchdir(3</root/src>)`; without it an fchdir is not
 * followed). Threads sharing a working folder (CLONE_FS) are followed as separate processes. An
 * execveat relative to a directory descriptor is read as relative to the working folder.
 * Symbolic links are not resolved (the trace may come from another machine or container). The
 * trace should include chdir, fchdir and the process calls (`strace -f` with no `-e trace=`, or
 * `-e trace=%process,chdir,fchdir`).
 */
export function startedPrograms(parsed: ParsedTrace, startCwd: string): Map<number, string> {
  const cwd = new Map<number, string>();
  const folderOf = (pid: number): string => cwd.get(pid) ?? startCwd;
  const started = new Map<number, string>();
  parsed.events.forEach((event, index) => {
    const child = createdChild(event);
    if (child !== undefined) {
      if (!cwd.has(child)) cwd.set(child, folderOf(event.pid));
      return;
    }
    if (event.abi || event.result?.trim() !== '0') return;
    if (event.name === 'chdir') {
      const path = decodeStringLiteral(event.args[0] ?? '') ?? '';
      if (path !== '') cwd.set(event.pid, posix.resolve(folderOf(event.pid), path));
    } else if (event.name === 'fchdir') {
      const decorated = /^\d+<(.*)>$/.exec(event.args[0] ?? '');
      if (decorated) cwd.set(event.pid, decorated[1]!);
    } else {
      const program = startedExecutable(event);
      if (program !== undefined) started.set(index, posix.resolve(folderOf(event.pid), program));
    }
  });
  return started;
}

/** The distinct absolute paths of the programs a traced run executed, sorted (see startedPrograms). Pure. */
export function executedPaths(parsed: ParsedTrace, startCwd: string): string[] {
  return [...new Set(startedPrograms(parsed, startCwd).values())].sort();
}
