/**
 * The import graph of src/ against the layer table of docs/architecture.md: dependencies point
 * one way (cli -> commands -> domain -> platform -> core), no command module imports another,
 * and no two folders import each other, directly or through others.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { REPO_ROOT } from '../helpers/cli.js';

const SRC = join(REPO_ROOT, 'src');
const LAYER_RANK: Record<string, number> = { core: 0, platform: 1, domain: 2, commands: 3, cli: 4 };

/** `| \`src/NAME/\` | LAYER | ...` rows of docs/architecture.md's layer table. */
function documentedLayers(): Map<string, string> {
  const doc = readFileSync(join(REPO_ROOT, 'docs/architecture.md'), 'utf8');
  const layers = new Map<string, string>();
  for (const match of doc.matchAll(/^\|\s*`src\/([a-z0-9-]+)\/`\s*\|\s*([a-z]+)\s*\|/gm)) layers.set(match[1]!, match[2]!);
  return layers;
}

interface Import { from: string; to: string }

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []);
}

/** Relative imports of every module under src/, static, type-only and dynamic alike, as paths relative to src/. */
function importsOfSrc(): Import[] {
  const imports: Import[] = [];
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/(?:from\s+|import\s*\(?\s*)'(\.{1,2}\/[^']+)'/g)) {
      const target = resolve(dirname(file), match[1]!).replace(/\.js$/, '.ts');
      imports.push({ from: relative(SRC, file), to: relative(SRC, target) });
    }
  }
  return imports;
}

const folderOf = (path: string): string => path.split('/')[0]!;

test('every folder of src/ has a layer in docs/architecture.md, and every file lives in a folder', () => {
  const layers = documentedLayers();
  for (const entry of readdirSync(SRC, { withFileTypes: true })) {
    assert.ok(entry.isDirectory(), `src/${entry.name} is a file outside any folder: move it into the folder of its layer`);
    const layer = layers.get(entry.name);
    assert.ok(layer !== undefined, `src/${entry.name}/ is missing from the layer table of docs/architecture.md`);
    assert.ok(layer in LAYER_RANK, `docs/architecture.md gives src/${entry.name}/ the unknown layer "${layer}"`);
  }
});

test('imports point down the layers, never up', () => {
  const layers = documentedLayers();
  const rank = (path: string): number => LAYER_RANK[layers.get(folderOf(path)) ?? ''] ?? Number.NaN;
  const wrong = importsOfSrc().filter(({ from, to }) => !(rank(to) <= rank(from)));
  assert.deepEqual(wrong.map((i) => `${i.from} -> ${i.to}`), []);
});

test('no command module imports another command module', () => {
  const commands = new Set(readdirSync(join(SRC, 'cli')).map((f) => `commands/${f}`));
  const wrong = importsOfSrc().filter(({ from, to }) => from.startsWith('commands/') && commands.has(to) && from !== to);
  assert.deepEqual(wrong.map((i) => `${i.from} -> ${i.to}`), []);
});

test('no cycle between folders', () => {
  const edges = new Map<string, Set<string>>();
  for (const { from, to } of importsOfSrc()) {
    if (folderOf(from) === folderOf(to)) continue;
    if (!edges.has(folderOf(from))) edges.set(folderOf(from), new Set());
    edges.get(folderOf(from))!.add(folderOf(to));
  }
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (folder: string, path: string[]): void => {
    state.set(folder, 'open');
    for (const next of edges.get(folder) ?? []) {
      if (state.get(next) === 'open') cycles.push([...path.slice(path.indexOf(next)), folder, next].join(' -> '));
      else if (!state.has(next)) visit(next, [...path, folder]);
    }
    state.set(folder, 'done');
  };
  for (const folder of edges.keys()) if (!state.has(folder)) visit(folder, []);
  assert.deepEqual(cycles, []);
});

test('the check sees real imports (a sanity check of the parser)', () => {
  const imports = importsOfSrc();
  assert.ok(imports.some((i) => i.from === 'cli/main.ts' && i.to === 'core/errors.ts'));
  assert.ok(imports.length > 200, `only ${imports.length} imports found`);
});

/**
 * Static imports (not dynamic `import()`) of a compiled module, as TypeScript emitted them (type-only
 * imports are gone): relative ones as absolute paths, bare ones as package names.
 */
function emittedStaticImports(file: string): { modules: string[]; packages: string[] } {
  const text = readFileSync(file, 'utf8');
  const modules: string[] = [];
  const packages: string[] = [];
  for (const match of text.matchAll(/^\s*(?:import|export)\s+(?:[^'";]*?\s+from\s+)?'([^']+)';/gm)) {
    const spec = match[1]!;
    if (spec.startsWith('.')) modules.push(resolve(dirname(file), spec));
    else if (!spec.startsWith('node:')) packages.push(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
  }
  return { modules, packages };
}

test('starting the CLI loads no library but commander: commands and their libraries load on demand', () => {
  const entry = join(REPO_ROOT, 'dist/src/cli/main.js');
  const seen = new Set<string>();
  const loaded: string[] = [];
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const { modules, packages } = emittedStaticImports(file);
    queue.push(...modules);
    loaded.push(...packages.filter((p) => p !== 'commander').map((p) => `${relative(join(REPO_ROOT, 'dist'), file)} loads ${p}`));
  }
  assert.ok(seen.size > 10, `only ${seen.size} modules reached from ${entry}: is the parser right?`);
  // Why it matters: every analysis pays this start-up (iced-x86, @stdlib, simple-git took ~0.4 s).
  assert.deepEqual(loaded, []);
});
