import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { GenerateProgress } from '../../src/generate/progress.js';

/** A stream that is not a terminal, as when stderr goes to a log: phases are plain lines. */
function capture(): { stream: NodeJS.WriteStream; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream: stream as unknown as NodeJS.WriteStream, text: () => text };
}

test('phases are prefixed by the command the user typed', () => {
  for (const command of ['generate', 'reproduce', 'debian'] as const) {
    const out = capture();
    new GenerateProgress(out.stream, false, command).phase('storing the run');
    assert.equal(out.text(), `loupe ${command}: storing the run\n`);
  }
  const quiet = capture();
  new GenerateProgress(quiet.stream, true, 'reproduce').phase('storing the run');
  assert.equal(quiet.text(), '');
});
