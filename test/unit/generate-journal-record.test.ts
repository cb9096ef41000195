import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { interruptedAnalyses, whyNotResumed, writeJournalRecord, type DockerJournalRecord } from '../../src/generate/journal-record.js';
import { journalFile } from '../../src/generate/replicas.js';
import { tempDir } from '../helpers/temp-dirs.js';

const id = (c: string): string => `sha256:${c.repeat(64)}`;
const record = (imageId: string, ancestry: string[], baseImageId?: string): DockerJournalRecord => ({
  db: '/db', app: 'memcached', workload: 'suite-debian', kind: 'docker', runName: 'a081b7f7bf1d4c6defcf64833ee0f559',
  image: { id: imageId, ancestry: [imageId, ...ancestry], ...(baseImageId === undefined ? {} : { baseImageId }) },
});
const earlier = (r: DockerJournalRecord) => ({ dir: '/cache/journal/600b', record: r, experiments: 132 });

test('a rebuilt loupe-base is named, with the tag that resumes the earlier analysis while its image exists', () => {
  const before = record(id('1'), [id('2'), id('b')], id('b'));
  const now = record(id('3'), [id('4'), id('c')], id('c'));
  const message = whyNotResumed(now, earlier(before), true);
  assert.match(message, /recorded 132 experiments \(journal \/cache\/journal\/600b\) in image 111111111111; this analysis runs in image 333333333333, so it starts afresh/);
  assert.match(message, /loupe-base:latest was rebuilt since \(it was bbbbbbbbbbbb\); to resume it instead, stop this one \(Ctrl-C\), run `docker tag bbbbbbbbbbbb loupe-base:latest`, then the same command/);
  assert.match(whyNotResumed(now, earlier(before), false), /that loupe-base image is gone, so it cannot be resumed/);
});

test('an image rebuilt on the same loupe-base, or one not built on it, is not blamed on loupe-base', () => {
  const before = record(id('1'), [id('2'), id('b')], id('b'));
  assert.match(whyNotResumed(record(id('3'), [id('b')], id('b')), earlier(before), true), /built again with other layers/);
  // loupe-base changed, but neither image was built on it (a Dockerfile FROM another image).
  assert.match(whyNotResumed(record(id('3'), [id('d')], id('c')), earlier(record(id('1'), [id('e')], id('b'))), true), /built again with other layers/);
});

test('interrupted analyses: the same run\'s other journal folders with recorded experiments, and only those', () => {
  const root = tempDir('journals');
  const current = record(id('3'), [id('c')], id('c'));
  const folder = (name: string, r: DockerJournalRecord | undefined, lines: number): string => {
    const dir = join(root, name);
    mkdirSync(dir);
    if (r) writeJournalRecord(dir, r);
    if (lines > 0) writeFileSync(journalFile(dir, 1), '{"id":"x"}\n'.repeat(lines));
    return dir;
  };
  const resumable = folder('old', record(id('1'), [id('b')], id('b')), 3);
  folder('empty', record(id('5'), [id('b')], id('b')), 0);
  folder('other-run', { ...record(id('6'), [id('b')], id('b')), runName: 'ffff' }, 4);
  folder('other-db', { ...record(id('7'), [id('b')], id('b')), db: '/elsewhere' }, 4);
  folder('no-record', undefined, 5);
  writeFileSync(join(folder('damaged', undefined, 2), 'analysis.json'), '{"db":');
  const currentDir = folder('current', current, 2);
  assert.deepEqual(interruptedAnalyses(root, current, currentDir).map((a) => [a.dir, a.experiments]), [[resumable, 3]]);
  assert.deepEqual(interruptedAnalyses(join(root, 'absent'), current, currentDir), []);
});
