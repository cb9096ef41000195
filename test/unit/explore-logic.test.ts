import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { largestWorkingSet } from '../../src/explore/final-check.js';
import { planArgumentExperiments, planPseudoFileExperiments, planSyscallExperiments, setBits } from '../../src/explore/plan.js';
import { subfeatureVerdicts, syscallVerdicts } from '../../src/explore/classify.js';
import { classFromVerdicts } from '../../src/core/verdict.js';
import { Journal, workloadFingerprint } from '../../src/explore/journal.js';
import { LoupeError } from '../../src/core/errors.js';
import type { ExperimentResult, JudgeSettings, Workload } from '../../src/explore/experiment.js';
import { X86_64 } from '../../src/syscalls/table.js';
import { safeDirName } from '../../src/explore/run-experiment.js';
import { tempDir } from '../helpers/temp-dirs.js';

const workload: Workload = { program: '/bin/true', args: [], cwd: '/', sequential: true, timeoutMs: 1000 };
const judge: JudgeSettings = { attempts: 2, inconclusiveRetries: 3, readyListeners: 0, readyWaitMs: 0 };
const result = (id: string, verdict: 'works' | 'broken'): ExperimentResult => ({ id, verdict, attempts: 1, durationMs: 1, workloadMs: 1 });

test('classes follow the two verdicts', () => {
  assert.equal(classFromVerdicts(false, false), 'required');
  assert.equal(classFromVerdicts(true, false), 'stubOnly');
  assert.equal(classFromVerdicts(false, true), 'fakeOnly');
  assert.equal(classFromVerdicts(true, true), 'both');
});

test('one stub and one fake experiment per used syscall, with stable ids and serialisable values', () => {
  const planned = planSyscallExperiments([0, 435], X86_64, workload, judge);
  assert.deepEqual(planned.map((p) => p.experiment.id), ['stub:read', 'fake:read', 'stub:clone3', 'fake:clone3']);
  const roundTrip = JSON.parse(JSON.stringify(planned.map((p) => p.experiment)));
  assert.deepEqual(roundTrip, planned.map((p) => p.experiment));
  const results = new Map(['stub:read', 'fake:read', 'stub:clone3', 'fake:clone3'].map((id) => [id, result(id, id === 'stub:clone3' ? 'works' : 'broken')]));
  assert.deepEqual(syscallVerdicts(planned, results, X86_64).map((v) => [v.name, v.class]), [['read', 'required'], ['clone3', 'stubOnly']]);
});

test('argument values: exact value under the mask, plus every flag bit once', () => {
  assert.deepEqual(setBits(0x80042n), [0x2n, 0x40n, 0x80000n]);
  assert.deepEqual(setBits(1n << 63n), [1n << 63n]);
  const planned = planArgumentExperiments(
    [
      { syscall: 'openat', nr: 257, argIndex: 2, value: String(0x80000), label: 'O_RDONLY|O_CLOEXEC', kind: 'flags', mask: String(0xffffffff) },
      { syscall: 'openat', nr: 257, argIndex: 2, value: String(0x80241), label: 'O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC', kind: 'flags', mask: String(0xffffffff) },
      { syscall: 'ioctl', nr: 16, argIndex: 1, value: '21505', label: 'TCGETS', kind: 'value', mask: String(0xffffffff) },
    ],
    workload,
    judge,
  );
  const ids = planned.map((p) => p.experiment.id);
  assert.ok(ids.includes('stub:ioctl:arg1=21505') && ids.includes('fake:ioctl:arg1=21505'));
  // O_CLOEXEC's bit appears in both values but is tested once.
  assert.equal(ids.filter((id) => id === `stub:openat:arg2&${0x80000}`).length, 1);
  assert.ok(ids.includes(`fake:openat:arg2&${0x200}`));
  const ioctl = planned.find((p) => p.experiment.id === 'stub:ioctl:arg1=21505')!;
  assert.deepEqual(ioctl.experiment.perturbation.rules, [{ nr: 16, action: 'stub', argIndex: 1, equals: '21505', mask: String(0xffffffff) }]);
  const results = new Map(planned.map((p) => [p.experiment.id, result(p.experiment.id, 'works')]));
  const verdicts = subfeatureVerdicts(planned, results);
  assert.equal(verdicts.filter((v) => v.syscall === 'ioctl').length, 1);
  assert.ok(verdicts.every((v) => v.stub === 'works' && v.fake === 'works'));
});

test('a flag bit is labelled with the kernel header\'s name, else the one the labels of the values seen tell, else its hex', () => {
  const flags = (syscall: string, nr: number, argIndex: number, value: number, label: string) => ({ syscall, nr, argIndex, value: String(value), label, kind: 'flags' as const, mask: String(0xffffffff) });
  // What discovery saw for busybox httpd: strace names the whole value (`0x22 /* MAP_PRIVATE|MAP_ANONYMOUS */`), not each bit.
  const planned = planArgumentExperiments(
    [
      flags('mmap', 9, 2, 0x1, 'PROT_READ'),
      flags('mmap', 9, 2, 0x3, 'PROT_READ|PROT_WRITE'),
      flags('mmap', 9, 2, 0x5, 'PROT_READ|PROT_EXEC'),
      flags('mmap', 9, 3, 0x2, 'MAP_PRIVATE'),
      flags('mmap', 9, 3, 0x22, 'MAP_PRIVATE|MAP_ANONYMOUS'),
      flags('mmap', 9, 3, 0x32, 'MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS'),
      flags('mmap', 9, 3, 0x802, 'MAP_PRIVATE|MAP_DENYWRITE'),
      flags('openat', 257, 2, 0x0, 'O_RDONLY'),
      flags('openat', 257, 2, 0x80000, 'O_RDONLY|O_CLOEXEC'),
      // Two bits always seen together, and a value strace could not name: the headers name them.
      flags('socket', 41, 1, 0x80800, 'SOCK_NONBLOCK|SOCK_CLOEXEC'),
      flags('clone', 56, 0, 0x1200000, '0x1200000'),
      // FASYNC (0x2000) is not an O_ name in <linux/fcntl.h>; strace calls it O_ASYNC.
      flags('openat', 257, 2, 0x2000, 'O_RDONLY|O_ASYNC'),
      // A bit of mmap's MAP_HUGE_ size field: neither the headers nor strace name it alone.
      flags('mmap', 9, 3, 0x8040022, '0x8040022'),
    ],
    workload,
    judge,
  );
  const bitLabels = Object.fromEntries(planned.filter((p) => p.subfeature?.bit && p.action === 'stub').map((p) => [`${p.subfeature!.syscall}/${p.subfeature!.argIndex}&0x${Number(p.subfeature!.value).toString(16)}`, p.subfeature!.label]));
  assert.deepEqual(bitLabels, {
    'mmap/2&0x1': 'PROT_READ',
    'mmap/2&0x2': 'PROT_WRITE',
    'mmap/2&0x4': 'PROT_EXEC',
    'mmap/3&0x2': 'MAP_PRIVATE',
    'mmap/3&0x20': 'MAP_ANONYMOUS',
    'mmap/3&0x10': 'MAP_FIXED',
    'mmap/3&0x800': 'MAP_DENYWRITE',
    'mmap/3&0x40000': 'MAP_HUGETLB',
    'mmap/3&0x8000000': '0x8000000',
    'openat/2&0x80000': 'O_CLOEXEC',
    'openat/2&0x2000': 'O_ASYNC',
    'socket/1&0x800': 'SOCK_NONBLOCK',
    'socket/1&0x80000': 'SOCK_CLOEXEC',
    'clone/0&0x200000': 'CLONE_CHILD_CLEARTID',
    'clone/0&0x1000000': 'CLONE_CHILD_SETTID',
  });
  // Experiment ids name the bit by number: a journal written before still resumes.
  assert.ok(planned.some((p) => p.experiment.id === `stub:mmap:arg3&${0x20}` && p.experiment.description === 'stub mmap(arg3 bit MAP_ANONYMOUS)'));
});

test('each experiment gets a folder of its own: ids that differ only in punctuation or past the length limit do not share one', () => {
  // busybox httpd --partial-support: the value MAP_PRIVATE and the bit MAP_PRIVATE ran side by side in
  // one folder, and the value's run read the bit's filter (every private mapping failed: 139).
  const names = ['stub:mmap:arg3=2', 'stub:mmap:arg3&2', 'absent:/proc/self/maps', 'absent:/proc/self_maps'].map(safeDirName);
  assert.equal(new Set(names).size, names.length, names.join(' '));
  const group = (last: string) => `group:stub:${Array.from({ length: 20 }, (_, i) => `set_robust_list${i}`).join('+')}+${last}`;
  assert.notEqual(safeDirName(group('rseq')), safeDirName(group('brk')));
  for (const name of [...names, safeDirName(group('rseq'))]) {
    assert.match(name, /^[A-Za-z0-9._-]{1,128}$/, 'one path component, safe in a shell');
  }
  assert.match(safeDirName('stub:write'), /^stub_write-/, 'still readable');
  assert.equal(safeDirName('baseline'), 'baseline', 'a safe id is its own folder');
  assert.equal(safeDirName('stub:mmap:arg3=2'), safeDirName('stub:mmap:arg3=2'), 'the same id, the same folder (attempts, journal)');
});

test('pseudo-files: absent and empty, but a /proc/self file can only be made absent', () => {
  const planned = planPseudoFileExperiments(['/proc/self/maps', '/sys/devices/system/cpu/online', '/proc/self/maps'], workload, judge);
  assert.deepEqual(planned.map((p) => p.experiment.id), ['absent:/proc/self/maps', 'absent:/sys/devices/system/cpu/online', 'empty:/sys/devices/system/cpu/online']);
  const results = new Map(planned.map((p) => [p.experiment.id, result(p.experiment.id, 'broken')]));
  const maps = subfeatureVerdicts(planned, results).find((v) => v.value === '/proc/self/maps')!;
  assert.equal(maps.stub, 'broken');
  assert.equal(maps.fake, 'untested');
});

test('largest working set: isolates the culprits, keeps everything else', async () => {
  const culprits = new Set([3, 17, 18]);
  const runs: number[][] = [];
  const kept = await largestWorkingSet(Array.from({ length: 32 }, (_, i) => i), async (set) => {
    runs.push([...set]);
    return set.every((x) => !culprits.has(x));
  });
  assert.deepEqual(kept, Array.from({ length: 32 }, (_, i) => i).filter((x) => !culprits.has(x)));
  assert.ok(runs.length < 32, `splitting needs fewer runs than one per element (${runs.length})`);
  assert.deepEqual(await largestWorkingSet([1, 2], async () => true), [1, 2]);
  assert.deepEqual(await largestWorkingSet([], async () => false), []);
});

test('the journal resumes only the same workload and survives a torn last line', () => {
  const file = join(tempDir('journal'), 'journal.jsonl');
  const fp = workloadFingerprint(workload, 'v1');
  const journal = new Journal(file, fp);
  journal.record(result('stub:read', 'broken'));
  journal.record(result('fake:read', 'works'));
  appendFileSync(file, '{"fingerprint":"' + fp + '","result":{"id":"stub:wri');
  const resumed = new Journal(file, fp);
  assert.equal(resumed.size, 2);
  assert.equal(resumed.get('fake:read')?.verdict, 'works');
  assert.equal(new Journal(file, workloadFingerprint({ ...workload, args: ['x'] }, 'v1')).size, 0);
  assert.equal(readFileSync(file, 'utf8').split('\n').filter(Boolean).length, 3);
  // What is recorded after the torn line is read back, not glued to it.
  resumed.record(result('stub:write', 'works'));
  assert.equal(new Journal(file, fp).get('stub:write')?.verdict, 'works');
});

test('a journal that is not one is refused and left as it was', () => {
  const dir = tempDir('journal');
  const script = join(dir, 'hello.lua');
  writeFileSync(script, 'print("hello")\n');
  const fp = workloadFingerprint(workload, 'v1');
  assert.throws(() => new Journal(script, fp), (e: unknown) => e instanceof LoupeError && /hello\.lua is not a loupe journal/.test(e.message) && e.exitCode === 3);
  assert.equal(readFileSync(script, 'utf8'), 'print("hello")\n');
  assert.throws(() => new Journal(dir, fp), (e: unknown) => e instanceof LoupeError && /is not a file/.test(e.message));
  assert.throws(() => new Journal(join(dir, 'missing', 'j.jsonl'), fp), (e: unknown) => e instanceof LoupeError && /folder of the journal .* does not exist/.test(e.message));
  const empty = join(dir, 'empty.jsonl');
  writeFileSync(empty, '');
  assert.equal(new Journal(empty, fp).size, 0);
});
