import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X86_64, tableFor } from '../../src/syscalls/table.js';

test('x86_64 table maps well-known numbers both ways', () => {
  assert.equal(X86_64.name(0), 'read');
  assert.equal(X86_64.name(59), 'execve');
  assert.equal(X86_64.name(334), 'rseq');
  assert.equal(X86_64.number('clone3'), 435);
  assert.equal(X86_64.number('close_range'), 436);
  assert.equal(X86_64.number('openat2'), 437);
  assert.equal(X86_64.number('faccessat2'), 439);
  assert.equal(X86_64.number('io_uring_setup'), 425);
});

test('x86_64 table goes past 334 and has no duplicate names', () => {
  assert.ok(X86_64.maxNumber >= 450);
  const names = X86_64.entries().map(([, n]) => n);
  assert.equal(new Set(names).size, names.length);
  assert.equal(X86_64.name(340), undefined, '335..423 is a gap on x86_64');
});

test('tableFor accepts node and uname spellings and refuses others', () => {
  assert.equal(tableFor('x64'), X86_64);
  assert.equal(tableFor('x86_64'), X86_64);
  assert.equal(tableFor('arm64'), undefined);
});
