import { CLI_PATH } from '../version.js';
import type { ProcessGroups } from '../sandbox/process.js';

/** The static upper bound computed beside a dynamic analysis. */
export interface StaticBeside {
  syscalls: number[];
  unresolvedSites: number;
}

/**
 * Runs `loupe static binary PATH --json` as a process of its own while the experiments run:
 * the analysis is CPU work that would otherwise stall the event loop that times the
 * experiments. A binary it cannot analyse (a script, another architecture) gives a warning,
 * never a failed exploration.
 */
export function startStaticAnalysis(groups: ProcessGroups, binary: string): Promise<StaticBeside | { error: string }> {
  const proc = groups.start({ argv: [process.execPath, CLI_PATH, 'static', 'binary', binary, '--json'], stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return proc.exited.then((status) => {
    if (status.code !== 0) return { error: stderr.trim().split('\n')[0] ?? `exit ${status.code ?? status.signal}` };
    try {
      const parsed = JSON.parse(stdout) as StaticBeside;
      return { syscalls: parsed.syscalls, unresolvedSites: parsed.unresolvedSites };
    } catch {
      return { error: 'unreadable output of loupe static' };
    }
  });
}
