import { TREATMENTS, type Treatment } from '../core/verdict.js';
import { compareFallbackKeys, fallbackKey, parseFallbackKey, type Fallbacks } from '../core/fallbacks.js';
import { CsvFormatError } from './csv.js';

/**
 * fallbacks.csv, next to dyn.csv: what the application executed instead when a perturbation
 * worked (see docs/explore.md, "Fallbacks").
 *
 *   # syscall, argument, scope, value, treatment, added, dropped
 *   435,,,,stub,56,435
 *   16,1,value,21505,fake,,
 *
 * One row per working perturbation that was measured. `syscall` is the perturbed syscall's
 * number; for a sub-feature, `argument` is the argument index, `scope` is `value` (the argument
 * equals `value`) or `bit` (the flag bit `value` is set), values unsigned decimals; all three
 * are empty for the whole syscall. `treatment` is stub or fake. `added` and `dropped` are
 * syscall numbers separated by spaces, sorted, possibly none. A run without the file had no
 * fallback measurement (older runs, the original tool, containers without BPF).
 */

export const FALLBACKS_CSV = 'fallbacks.csv';
export const FALLBACKS_CSV_HEADER = '# syscall, argument, scope, value, treatment, added, dropped';

export function formatFallbacksCsv(fallbacks: Fallbacks): string {
  const lines = [FALLBACKS_CSV_HEADER];
  for (const [key, entry] of Object.entries(fallbacks).sort(([a], [b]) => compareFallbackKeys(a, b))) {
    const t = parseFallbackKey(key);
    if (!t) continue;
    for (const treatment of TREATMENTS) {
      const sets = entry[treatment];
      if (!sets) continue;
      const sub = t.argIndex === undefined ? ['', '', ''] : [String(t.argIndex), t.bit ? 'bit' : 'value', t.value ?? ''];
      lines.push([t.nr, ...sub, treatment, sets.added.join(' '), sets.dropped.join(' ')].join(','));
    }
  }
  return lines.join('\n') + '\n';
}

const numbers = (field: string, file: string, line: number): number[] => {
  const text = field.trim();
  if (text === '') return [];
  return text.split(/\s+/).map((n) => {
    if (!/^\d+$/.test(n)) throw new CsvFormatError(file, line, `not a syscall number: ${n}`);
    return Number(n);
  });
};

/** Parses fallbacks.csv; throws CsvFormatError naming file and line. */
export function parseFallbacksCsv(text: string, file: string): Fallbacks {
  const out: Fallbacks = {};
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(',');
    if (fields.length !== 7) throw new CsvFormatError(file, index + 1, `expected 7 fields, found ${fields.length}`);
    const [nr, argIndex, scope, value, treatment, added, dropped] = fields as [string, string, string, string, string, string, string];
    if (!/^\d+$/.test(nr)) throw new CsvFormatError(file, index + 1, `not a syscall number: ${nr}`);
    if (!(TREATMENTS as readonly string[]).includes(treatment)) throw new CsvFormatError(file, index + 1, `treatment must be stub or fake, not ${treatment}`);
    const whole = argIndex === '' && scope === '' && value === '';
    if (!whole && (!/^\d+$/.test(argIndex) || !/^\d+$/.test(value) || (scope !== 'value' && scope !== 'bit'))) {
      throw new CsvFormatError(file, index + 1, 'a sub-feature needs an argument index, a scope (value or bit) and a decimal value');
    }
    const key = whole ? nr : fallbackKey({ nr: Number(nr), argIndex: Number(argIndex), value, bit: scope === 'bit' });
    const entry = out[key] ?? {};
    entry[treatment as Treatment] = { added: numbers(added, file, index + 1), dropped: numbers(dropped, file, index + 1) };
    out[key] = entry;
  });
  return out;
}
