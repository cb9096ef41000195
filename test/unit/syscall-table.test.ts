/**
 * The syscall table against its sources: the kernel headers Debian's linux-libc-dev installs,
 * the hand-kept properties, and the sub-feature table.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { I386, X86_64 } from '../../src/syscalls/table.js';
import { X86_64_SYSCALLS } from '../../src/syscalls/x86_64-table.js';
import { SUBFEATURE_ARGUMENTS } from '../../src/syscalls/subfeatures.js';
import { REPO_ROOT } from '../helpers/cli.js';

const HEADER = '/usr/include/x86_64-linux-gnu/asm/unistd_64.h';

test('every syscall of the installed kernel headers is in the table, with the same number', () => {
  assert.ok(existsSync(HEADER), `${HEADER} is missing: apt-get install linux-libc-dev`);
  const defines = [...readFileSync(HEADER, 'utf8').matchAll(/^#define __NR_([a-z0-9_]+)\s+(\d+)\s*$/gm)];
  assert.ok(defines.length > 300, `only ${defines.length} syscalls read from ${HEADER}`);
  for (const [, name, nr] of defines) assert.equal(X86_64.number(name!), Number(nr), name);
});

test('the i386 table (int $0x80 calls) follows <asm/unistd_32.h>, with numbers of its own', () => {
  const header = HEADER.replace('unistd_64', 'unistd_32');
  const defines = [...readFileSync(header, 'utf8').matchAll(/^#define __NR_([a-z0-9_]+)\s+(\d+)\s*$/gm)];
  assert.ok(defines.length > 300, `only ${defines.length} syscalls read from ${header}`);
  for (const [, name, nr] of defines) assert.equal(I386.number(name!), Number(nr), name);
  assert.equal(I386.number('getpid'), 20);
  assert.equal(X86_64.number('getpid'), 39);
  assert.notEqual(I386.auditArch, X86_64.auditArch);
});

test('the committed table is what the generator makes of the headers and the properties today', () => {
  const run = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts/generate-syscall-table.mjs'), '--check'], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
});

test('each row carries the hand-kept properties of its syscall', () => {
  const properties = JSON.parse(readFileSync(join(REPO_ROOT, 'src/syscalls/syscall-properties.json'), 'utf8')) as Record<string, Record<string, number[]> | string[]>;
  const paths = properties.pathArguments as Record<string, number[]>;
  const selectors = properties.subfeatureArguments as Record<string, number[]>;
  for (const row of X86_64_SYSCALLS) {
    assert.deepEqual(row.pathArguments, paths[row.name], `${row.name}: path arguments`);
    assert.deepEqual(row.subfeatureArguments, selectors[row.name], `${row.name}: sub-feature arguments`);
    assert.equal(row.createsProcess === true, (properties.createsProcess as string[]).includes(row.name), `${row.name}: creates a process`);
    assert.equal(row.executesProgram === true, (properties.executesProgram as string[]).includes(row.name), `${row.name}: executes a program`);
  }
  const numbers = X86_64_SYSCALLS.map((r) => r.nr);
  assert.deepEqual(numbers, [...numbers].sort((a, b) => a - b), 'rows sorted by number');
  assert.equal(new Set(numbers).size, numbers.length, 'one row per number');
});

test('the sub-feature table and the syscall table agree on which arguments select a sub-feature', () => {
  const fromSubfeatures = new Map<string, Set<number>>();
  for (const entry of SUBFEATURE_ARGUMENTS) {
    assert.ok(X86_64.row(entry.syscall), `sub-feature row for unknown syscall ${entry.syscall}`);
    fromSubfeatures.set(entry.syscall, (fromSubfeatures.get(entry.syscall) ?? new Set()).add(entry.argIndex));
  }
  const fromTable = new Map(X86_64_SYSCALLS.filter((r) => r.subfeatureArguments).map((r) => [r.name, new Set(r.subfeatureArguments)]));
  assert.deepEqual(fromTable, fromSubfeatures);
});

test('the calls that create processes and execute programs are the ones the kernel has for it', () => {
  const names = (key: 'createsProcess' | 'executesProgram'): string[] => X86_64_SYSCALLS.filter((r) => r[key]).map((r) => r.name);
  assert.deepEqual(names('createsProcess'), ['clone', 'fork', 'vfork', 'clone3']);
  assert.deepEqual(names('executesProgram'), ['execve', 'execveat']);
  assert.deepEqual(X86_64.row('execveat')?.pathArguments, [1]);
});
