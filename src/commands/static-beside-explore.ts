import { CLI_PATH } from '../core/version.js';
import { capture } from '../sandbox/capture.js';
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
export async function startStaticAnalysis(groups: ProcessGroups, binary: string): Promise<StaticBeside | { error: string }> {
  const out = await capture([process.execPath, CLI_PATH, 'static', 'binary', binary, '--json'], { groups });
  if (out.code !== 0) return { error: out.stderr.trim().split('\n')[0] || `exit ${out.code}` };
  try {
    const parsed = JSON.parse(out.stdout) as StaticBeside;
    return { syscalls: parsed.syscalls, unresolvedSites: parsed.unresolvedSites };
  } catch {
    return { error: 'unreadable output of loupe static' };
  }
}
