import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCorpus, parseDeclaration } from '../helpers/corpus.js';

test('a declaration block becomes the expectations of a corpus program', () => {
  const program = parseDeclaration('demo.c', `/* Demo.
 *
 * @kind server
 * @build -static -pthread
 * @args 7411 quiet
 * @test exec 3<>/dev/tcp/127.0.0.1/7411 || exit 1
 * @test-interpreter /bin/bash
 * @explore --partial-support
 * @setup file notes.txt alpha beta
 * @setup setuid-copy child 65534
 * @expect clone3 stubOnly
 * @expect-subfeature mmap 3 bit 0x20 works broken
 * @expect-reason fake:write hang limit
 * @expect-not-analysed i386 getpid
 * @expect-unchanged notes.txt
 * @no-inject clone3 a reason in words
 * @fallback clone3 clone
 */
int main(void) { return 0; }
`);
  assert.equal(program.name, 'demo');
  assert.equal(program.kind, 'server');
  assert.deepEqual(program.build, ['-static', '-pthread']);
  assert.deepEqual(program.args, ['7411', 'quiet']);
  assert.deepEqual(program.test, ['exec 3<>/dev/tcp/127.0.0.1/7411 || exit 1']);
  assert.equal(program.testInterpreter, '/bin/bash');
  assert.deepEqual(program.exploreOptions, ['--partial-support']);
  assert.deepEqual(program.setup, [{ kind: 'file', name: 'notes.txt', text: 'alpha beta' }, { kind: 'setuid-copy', name: 'child', uid: 65534 }]);
  assert.deepEqual(program.expect, [{ syscall: 'clone3', class: 'stubOnly', noInject: 'a reason in words' }]);
  assert.deepEqual(program.expectSubfeatures, [{ syscall: 'mmap', argIndex: 3, bit: true, label: '0x20', stub: 'works', fake: 'broken' }]);
  assert.equal(program.expectReasons[0]!.experiment, 'fake:write');
  assert.ok(program.expectReasons[0]!.pattern.test('program still running after 1000 ms (hang limit, set from the unperturbed run)'));
  assert.deepEqual(program.expectNotAnalysed, [{ abi: 'i386', name: 'getpid' }]);
  assert.deepEqual(program.expectUnchanged, ['notes.txt']);
  assert.deepEqual(program.fallbacks, [{ syscall: 'clone3', replacements: ['clone'] }]);
});

test('defaults: a static build and a test script that looks for "ok"', () => {
  const program = parseDeclaration('min.c', '/* @kind sequential\n * @expect getppid both */');
  assert.deepEqual(program.build, ['-static']);
  assert.deepEqual(program.test, ['grep -qx ok "$1"']);
  assert.equal(program.expect[0]!.noInject, undefined);
});

test('malformed declarations are refused, naming the file', () => {
  assert.throws(() => parseDeclaration('a.c', 'int main;'), /test\/corpus\/a\.c: no leading comment/);
  assert.throws(() => parseDeclaration('b.c', '/* @expect getpid stubOnly */'), /b\.c: no @kind/);
  assert.throws(() => parseDeclaration('c.c', '/* @kind sequential\n * @expect getpid sometimes */'), /@expect getpid sometimes/);
  assert.throws(() => parseDeclaration('d.c', '/* @kind sequential\n * @expects getpid both */'), /unknown declaration @expects/);
  assert.throws(() => parseDeclaration('e.c', '/* @kind daemon */'), /@kind daemon/);
  assert.throws(() => parseDeclaration('f.c', '/* @kind sequential\n * @fallback clone3 */'), /@fallback clone3: expected SYSCALL and its replacements/);
});

test('the corpus on disk parses, with one program per file and unique names', () => {
  const corpus = loadCorpus();
  assert.ok(corpus.length >= 25);
  assert.equal(new Set(corpus.map((p) => p.name)).size, corpus.length);
});
