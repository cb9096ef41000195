import { test } from 'node:test';
import assert from 'node:assert/strict';
import { counted } from '../../src/core/text.js';

test('counted: the noun is singular for exactly one', () => {
  assert.equal(counted(1, 'call site'), '1 call site');
  assert.equal(counted(0, 'call site'), '0 call sites');
  assert.equal(counted(13, 'syscall'), '13 syscalls');
  assert.equal(counted(2, 'OS list'), '2 OS lists');
  assert.equal(counted(2, 'child', 'children'), '2 children');
});
