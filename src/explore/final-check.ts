/**
 * Splitting by halves, shared by the final check and group testing. `test` is called on the
 * whole list first; a chunk that fails is halved and both halves are tested in turn (first half
 * first, depth first), down to single elements. Returns the chunks that passed and the single
 * elements that failed. For k failing elements among n, O(k log n) tests.
 */
export async function splitFailures<T>(candidates: readonly T[], test: (chunk: readonly T[]) => Promise<boolean>): Promise<{ passed: T[][]; failed: T[] }> {
  const passed: T[][] = [];
  const failed: T[] = [];
  const queue: T[][] = candidates.length > 0 ? [[...candidates]] : [];
  while (queue.length > 0) {
    const chunk = queue.shift()!;
    if (await test(chunk)) {
      passed.push(chunk);
    } else if (chunk.length > 1) {
      const half = Math.ceil(chunk.length / 2);
      queue.unshift(chunk.slice(0, half), chunk.slice(half));
    } else {
      failed.push(chunk[0]!);
    }
  }
  return { passed, failed };
}

/**
 * Finds a large set of perturbations that work jointly. The original only reports whether
 * "everything stubbed at once" works; when it does not, we split: a chunk that breaks the
 * workload together with what was kept so far is halved until the culprits are isolated, and
 * every chunk that works is kept. Runs O(k log n) joint experiments for k culprits among n
 * candidates. The set found is maximal for the order tried (adding any dropped element breaks
 * it), not necessarily maximum.
 */
export async function largestWorkingSet<T>(candidates: readonly T[], works: (set: readonly T[]) => Promise<boolean>): Promise<T[]> {
  const accepted: T[] = [];
  await splitFailures(candidates, async (chunk) => {
    const ok = await works([...accepted, ...chunk]);
    if (ok) accepted.push(...chunk);
    return ok;
  });
  return accepted;
}
