import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileC, runLoupe, tempDir, writeScript } from '../helpers/cli.js';
import type { ExploreReport, SubfeatureVerdict } from '../../src/explore/report.js';

test('--partial-support: pseudo-files absent and empty, argument values, flag bits, with CSV files', async () => {
  const dir = tempDir('subfeatures');
  const prog = compileC('pseudo-files.c', dir);
  const script = writeScript(dir, 'test.sh', `grep -qx ok "$1"`);
  const out = join(dir, 'out');
  const r = await runLoupe(['explore', '-b', prog, '-t', script, '--test-sequential', '--partial-support', '--json', '--out', out], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as ExploreReport;
  const file = (path: string): SubfeatureVerdict | undefined => report.subfeatures.find((f) => f.kind === 'pseudofile' && f.value === path);
  assert.deepEqual([file('/sys/devices/system/cpu/online')?.stub, file('/sys/devices/system/cpu/online')?.fake], ['works', 'works']);
  assert.deepEqual([file('/proc/sys/kernel/pid_max')?.stub, file('/proc/sys/kernel/pid_max')?.fake], ['broken', 'broken']);
  assert.deepEqual([file('/proc/self/status')?.stub, file('/proc/self/status')?.fake], ['broken', 'untested']);

  // fcntl as a whole is not 'both' here (faking F_GETFD is fine, stubbing it is not), so its values are tested.
  const getfd = report.subfeatures.find((f) => f.syscall === 'fcntl' && f.label === 'F_GETFD');
  assert.ok(getfd, 'F_GETFD was tested on its own');
  assert.equal(getfd.value, '1');
  assert.equal(getfd.stub, 'broken');
  // openat flags: O_RDONLY|O_CLOEXEC etc. are values, and each set bit is tested on its own.
  const bits = report.subfeatures.filter((f) => f.syscall === 'openat' && f.bit);
  assert.ok(bits.length > 0, 'flag bits of openat were tested');
  assert.ok(bits.every((b) => /^\d+$/.test(b.value) && (BigInt(b.value) & (BigInt(b.value) - 1n)) === 0n), 'one bit each');

  const pseudoCsv = readFileSync(join(out, 'subfeature-pseudofiles.csv'), 'utf8');
  assert.match(pseudoCsv, /^# path, works absent, works empty\n/);
  assert.match(pseudoCsv, /^\/proc\/sys\/kernel\/pid_max,N,N$/m);
  assert.match(pseudoCsv, /^\/proc\/self\/status,N,-$/m);
  assert.match(readFileSync(join(out, 'subfeature-fcntl.csv'), 'utf8'), /^fcntl,1,value,1,F_GETFD,N,[YN]$/m);
});
