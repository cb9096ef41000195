/**
 * Lexical helpers for strace's argument syntax: splitting an argument list at top-level commas,
 * decoding C string literals, and reading numbers printed with `-X verbose`
 * (`0x5401 /* TCGETS *\/`, `-100 /* AT_FDCWD *\/`, `0x1 /* SOCK_STREAM *\/|0x800 /* SOCK_NONBLOCK *\/`).
 */

export interface SplitArguments {
  args: string[];
  /** Index just after the `)` closing the list, or undefined if the text ended first. */
  end?: number;
}

/**
 * Splits `text` from `start` (just after the opening parenthesis) at commas that are outside
 * strings, comments and brackets, up to the matching closing parenthesis.
 */
export function splitArguments(text: string, start: number): SplitArguments {
  const args: string[] = [];
  let depth = 0;
  let current = start;
  let i = start;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      i = skipString(text, i);
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      i = close < 0 ? text.length : close + 2;
      continue;
    }
    if (c === '(' || c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    else if (c === ')') {
      if (depth === 0) {
        pushArgument(args, text.slice(current, i));
        return { args, end: i + 1 };
      }
      depth--;
    } else if (c === ',' && depth === 0) {
      args.push(text.slice(current, i).trim());
      current = i + 1;
    }
    i++;
  }
  pushArgument(args, text.slice(current));
  return { args };
}

// Nothing after the last comma: an empty list `()`, or a call cut short by `<unfinished ...>`
// right after a comma (`wait4(12,  <unfinished ...>`); strace never prints an empty argument.
function pushArgument(args: string[], raw: string): void {
  const trimmed = raw.trim();
  if (trimmed !== '') args.push(trimmed);
}

/** Index just after the closing quote of the string literal starting at `open`. */
function skipString(text: string, open: number): number {
  let i = open + 1;
  while (i < text.length) {
    if (text[i] === '\\') i += 2;
    else if (text[i] === '"') return i + 1;
    else i++;
  }
  return text.length;
}

const SIMPLE_ESCAPES: Record<string, number> = { n: 10, t: 9, v: 11, f: 12, r: 13, '"': 34, '\\': 92 };

/**
 * The content of an argument that is one complete C string literal (`"/proc/self/maps"`), or
 * undefined for anything else, including strings strace truncated (`"abc"...`).
 */
export function decodeStringLiteral(arg: string): string | undefined {
  if (!arg.startsWith('"') || skipString(arg, 0) !== arg.length) return undefined;
  const content = arg.slice(1, -1);
  if (!content.includes('\\')) return content;
  const bytes: number[] = [];
  for (let i = 1; i < arg.length - 1; i++) {
    const c = arg[i]!;
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const next = arg[i + 1]!;
    const octal = /^[0-7]{1,3}/.exec(arg.slice(i + 1, i + 4));
    const hex = /^x([0-9a-fA-F]{2})/.exec(arg.slice(i + 1, i + 4));
    if (octal) {
      bytes.push(parseInt(octal[0], 8));
      i += octal[0].length;
    } else if (hex) {
      bytes.push(parseInt(hex[1]!, 16));
      i += 3;
    } else {
      bytes.push(SIMPLE_ESCAPES[next] ?? next.charCodeAt(0));
      i += 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** One `|`-separated term of a numeric argument: its number and strace's comment, if any. */
export interface NumericTerm {
  value: bigint;
  comment?: string;
}

export interface NumericArgument {
  /** All terms OR-ed together, as a two's-complement 64-bit unsigned value. */
  value: bigint;
  terms: NumericTerm[];
}

const NUMBER = /^(-?)(0x[0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/;
const TERM = /^(\S+)(?:\s*\/\*\s*(.*?)\s*\*\/)?$/s;

/**
 * Reads a numeric argument as strace prints it with `-X verbose`: decimal, hex, octal or
 * negative numbers, each optionally followed by a comment, joined by `|`, possibly prefixed by
 * a field name (`flags=`). Returns undefined when some term has no number (for instance
 * `0 /* FUTEX_OP_SET *\/<<28` or a bare symbol): the caller must not guess.
 */
export function parseNumericArgument(arg: string): NumericArgument | undefined {
  const withoutName = arg.replace(/^[a-z_][a-z0-9_]*=/, '');
  const terms: NumericTerm[] = [];
  for (const rawTerm of splitOutsideComments(withoutName, '|')) {
    const term = TERM.exec(rawTerm.trim());
    const number = term ? NUMBER.exec(term[1]!) : null;
    if (!term || !number) return undefined;
    const digits = number[2]!;
    // C notation: a leading 0 means octal (file modes); BigInt wants the 0o prefix for that.
    const magnitude = BigInt(/^0[0-7]+$/.test(digits) ? `0o${digits.slice(1)}` : digits);
    const value = BigInt.asUintN(64, number[1] === '-' ? -magnitude : magnitude);
    terms.push(term[2] === undefined ? { value } : { value, comment: term[2] });
  }
  if (terms.length === 0) return undefined;
  return { value: terms.reduce((all, term) => all | term.value, 0n), terms };
}

function splitOutsideComments(text: string, separator: string): string[] {
  const pieces: string[] = [];
  let current = 0;
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('/*', i)) {
      const close = text.indexOf('*/', i + 2);
      i = close < 0 ? text.length : close + 2;
    } else if (text[i] === separator) {
      pieces.push(text.slice(current, i));
      current = ++i;
    } else i++;
  }
  pieces.push(text.slice(current));
  return pieces;
}
