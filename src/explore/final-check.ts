/**
 * Finds a large set of perturbations that work jointly. The original only reports whether
 * "everything stubbed at once" works; when it does not, we split: a chunk that breaks the
 * workload is halved until the culprits are isolated, and every chunk that works is kept.
 * Runs O(k log n) joint experiments for k culprits among n candidates. The set found is
 * maximal for the order tried (adding any dropped element breaks it), not necessarily maximum.
 */
export async function largestWorkingSet<T>(candidates: readonly T[], works: (set: readonly T[]) => Promise<boolean>): Promise<T[]> {
  const accepted: T[] = [];
  const queue: T[][] = candidates.length > 0 ? [[...candidates]] : [];
  while (queue.length > 0) {
    const chunk = queue.shift()!;
    if (await works([...accepted, ...chunk])) {
      accepted.push(...chunk);
    } else if (chunk.length > 1) {
      const half = Math.ceil(chunk.length / 2);
      queue.unshift(chunk.slice(0, half), chunk.slice(half));
    }
  }
  return accepted;
}
