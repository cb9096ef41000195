import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeStringLiteral, parseNumericArgument, splitArguments } from '../../src/trace/strace-text.js';

test('numbers in every notation strace uses, exact to 64 bits', () => {
  assert.equal(parseNumericArgument('0x5401 /* TCGETS */')?.value, 0x5401n);
  assert.equal(parseNumericArgument('-100 /* AT_FDCWD */')?.value, 0xffffffffffffff9cn);
  assert.equal(parseNumericArgument('-1')?.value, 0xffffffffffffffffn);
  assert.equal(parseNumericArgument('0644')?.value, 0o644n);
  assert.equal(parseNumericArgument('33 /* SIGRT_1 */')?.value, 33n);
  assert.equal(parseNumericArgument('0')?.value, 0n);
  assert.equal(parseNumericArgument('18446744073709551615 /* RLIM64_INFINITY */')?.value, 0xffffffffffffffffn);
  assert.equal(parseNumericArgument('0xfffffffffffff000')?.value, 0xfffffffffffff000n);
});

test('terms joined by | are OR-ed and keep their comments; field names are dropped', () => {
  const parsed = parseNumericArgument('flags=0x1200000 /* CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID */|17 /* SIGCHLD */');
  assert.equal(parsed?.value, 0x1200011n);
  assert.deepEqual(parsed?.terms, [
    { value: 0x1200000n, comment: 'CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID' },
    { value: 17n, comment: 'SIGCHLD' },
  ]);
});

test('symbolic forms without a number are refused', () => {
  assert.equal(parseNumericArgument('0 /* FUTEX_OP_SET */<<28|0x1<<12|0 /* FUTEX_OP_CMP_EQ */<<24|0'), undefined);
  assert.equal(parseNumericArgument('NULL'), undefined);
  assert.equal(parseNumericArgument('TCGETS'), undefined);
  assert.equal(parseNumericArgument('089'), undefined);
  assert.equal(parseNumericArgument(''), undefined);
});

test('string literals decode C escapes; truncated strings are not literals', () => {
  assert.equal(decodeStringLiteral(String.raw`"/proc/a, \"{b}(c)\\d"`), '/proc/a, "{b}(c)\\d');
  assert.equal(decodeStringLiteral(String.raw`"a\nb\tc\0\303\251"`), 'a\nb\tc\0é');
  assert.equal(decodeStringLiteral('""...'), undefined);
  assert.equal(decodeStringLiteral('"abc"...'), undefined);
  assert.equal(decodeStringLiteral('0x7ffd'), undefined);
});

test('argument lists split only at top-level commas and stop at the closing parenthesis', () => {
  const text = String.raw`f("a,\")", {x=1, y=[2, 3]}, 0x1 /* A, B */|0x2, g(4, 5)) = 0`;
  const { args, end } = splitArguments(text, 2);
  assert.deepEqual(args, [String.raw`"a,\")"`, '{x=1, y=[2, 3]}', '0x1 /* A, B */|0x2', 'g(4, 5)']);
  assert.equal(text.slice(end), ' = 0');
  assert.deepEqual(splitArguments('getpid() = 1', 7).args, []);
  assert.deepEqual(splitArguments('wait4(12,  ', 6), { args: ['12'] });
});
