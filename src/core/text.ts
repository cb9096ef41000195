/**
 * `n` and the noun, plural unless `n` is 1: `counted(1, 'syscall')` is "1 syscall",
 * `counted(3, 'call site')` is "3 call sites". `plural` for nouns that do not take an s.
 */
export function counted(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}
