import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { ANALYSIS_OPTIONS, analysisOptionArgs } from '../../src/explore/options.js';
import { addAnalysisOptions, analysisOptionsFrom } from '../../src/cli/analysis-options.js';

function parse(argv: string[]): Record<string, unknown> {
  const cmd = addAnalysisOptions(new Command().exitOverride()).argument('[args...]');
  cmd.parse(argv, { from: 'user' });
  return analysisOptionsFrom(cmd.opts()) as unknown as Record<string, unknown>;
}

test('defaults come from the one table and are left out of forwarded arguments', () => {
  const values = parse([]);
  for (const spec of ANALYSIS_OPTIONS) assert.equal(values[spec.key], spec.default, spec.key);
  assert.deepEqual(analysisOptionArgs(values), []);
});

test('given options are forwarded in table order, whatever the order typed', () => {
  const values = parse(['--writable', '/srv/a', '--final-check', '--timeout', '12.5', '--only-consider', '/bin/x', '--test-sequential', '--attempts', '3', '--writable', '/srv/b']);
  assert.equal(values.timeoutSec, 12.5);
  assert.deepEqual(analysisOptionArgs(values), ['--timeout', '12.5', '--test-sequential', '--only-consider', '/bin/x', '--final-check', '--attempts', '3', '--writable', '/srv/a', '--writable', '/srv/b']);
});

test('a bad number is a usage error', () => {
  assert.throws(() => parse(['--timeout', '-1']), /positive number/);
  assert.throws(() => parse(['--attempts', '1.5']), /whole number/);
});
