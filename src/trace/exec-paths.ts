import { posix } from 'node:path';
import { createdChild, startedExecutable, type ParsedTrace } from './parser.js';
import { decodeStringLiteral } from './strace-text.js';

/**
 * Absolute paths of the programs a traced run executed, with relative paths resolved against
 * the working folder of the process that exec'd them. Pure.
 *
 * The working folder is followed through the trace: the first process starts in `startCwd`; a
 * child created by clone/fork/vfork starts in its parent's folder at that moment (events are in
 * the order the calls started, so the parent's clone comes before the child's first call);
 * `chdir(PATH) = 0` moves it; `fchdir(FD) = 0` moves it to the folder strace shows for FD, which
 * needs strace's `-y` (`fchdir(3</root/src>)`). Threads sharing a working folder (CLONE_FS) are
 * followed as separate processes. Symbolic links are not resolved (the trace may come from
 * another machine or container). The trace should include chdir, fchdir and the process calls,
 * e.g. `strace -f -y -e trace=%process,chdir,fchdir`.
 */
export function executedPaths(parsed: ParsedTrace, startCwd: string): string[] {
  const cwd = new Map<number, string>();
  const folderOf = (pid: number): string => cwd.get(pid) ?? startCwd;
  const executed = new Set<string>();
  for (const event of parsed.events) {
    const child = createdChild(event);
    if (child !== undefined) {
      if (!cwd.has(child)) cwd.set(child, folderOf(event.pid));
      continue;
    }
    if (event.result?.trim() !== '0') continue;
    if (event.name === 'chdir') {
      const path = decodeStringLiteral(event.args[0] ?? '') ?? '';
      if (path !== '') cwd.set(event.pid, posix.resolve(folderOf(event.pid), path));
    } else if (event.name === 'fchdir') {
      const decorated = /^\d+<(.*)>$/.exec(event.args[0] ?? '');
      if (decorated) cwd.set(event.pid, decorated[1]!);
    } else {
      const started = startedExecutable(event);
      if (started !== undefined) executed.add(posix.resolve(folderOf(event.pid), started));
    }
  }
  return [...executed].sort();
}
