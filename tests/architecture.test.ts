/**
 * The layering of src/ (docs/architecture.md): layers import downward only, the CLI sits on top
 * and nothing imports it, and no two modules import each other (directly or through others,
 * type-only imports and `import('…')` types included).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../src');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Module (path relative to src/, without .ts) → the src modules it imports. */
const graph = new Map<string, string[]>();
for (const file of files(root)) {
  const text = readFileSync(file, 'utf8');
  const deps = new Set<string>();
  for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)) {
    deps.add(relative(root, resolve(dirname(file), m[1]!)).replace(/\.(js|ts)$/, ''));
  }
  graph.set(relative(root, file).replace(/\.ts$/, ''), [...deps]);
}

/** The layer of a module: its folder, or its file name at the top. */
const layer = (m: string) => (m.includes('/') ? m.split('/')[0]! : m);

/** What each layer may import, besides itself (bottom first). */
const ALLOWED: Record<string, string[]> = {
  validate: [],
  bytes: ['validate'],
  fields: ['validate'],
  util: ['validate'],
  native: [],
  backend: ['native', 'validate'],
  asm: [],
  graph: ['util', 'validate'],
  models: ['graph', 'util', 'validate'],
  algos: ['graph', 'util', 'validate', 'fields'],
  nes: ['native', 'backend', 'bytes', 'validate'],
  games: ['asm', 'native'],
  env: ['native', 'backend', 'bytes', 'validate', 'games'],
  replay: ['native', 'validate', 'algos', 'util'],
  runtime: ['graph', 'models', 'algos', 'util', 'validate', 'bytes', 'fields'],
  run: ['util', 'validate', 'bytes'],
  distributed: ['validate', 'fields', 'bytes'],
  train: ['backend', 'distributed', 'env', 'replay', 'runtime', 'run', 'algos', 'models', 'graph', 'util', 'validate', 'bytes', 'fields', 'games', 'nes'],
  web: ['backend', 'train', 'runtime', 'run', 'env', 'graph', 'models', 'games', 'native', 'validate'],
  cli: ['web', 'backend', 'distributed', 'train', 'runtime', 'run', 'env', 'graph', 'models', 'util', 'validate', 'native', 'nes', 'bytes', 'fields'],
  index: Object.keys({}),
};

describe('src/ layering', () => {
  it('every module imports only its own layer and the layers below it', () => {
    const bad: string[] = [];
    for (const [m, deps] of graph) {
      const from = layer(m);
      if (from === 'index') continue; // the barrel re-exports the library (not the CLI: checked below)
      const allowed = ALLOWED[from];
      expect(allowed, `layer of ${m} is listed`).toBeDefined();
      for (const d of deps) if (layer(d) !== from && !allowed!.includes(layer(d))) bad.push(`${m} → ${d}`);
    }
    expect(bad).toEqual([]);
  });

  it('nothing imports the CLI, and the CLI does not import the library barrel', () => {
    const intoCli = [...graph].flatMap(([m, deps]) => (layer(m) !== 'cli' ? deps.filter((d) => layer(d) === 'cli').map((d) => `${m} → ${d}`) : []));
    expect(intoCli).toEqual([]);
    const barrel = [...graph].filter(([m, deps]) => layer(m) === 'cli' && deps.includes('index')).map(([m]) => m);
    expect(barrel).toEqual([]);
  });

  it('has no import cycles', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (m: string) => {
      if (state.get(m) === 'done') return;
      if (state.get(m) === 'open') {
        cycles.push([...stack.slice(stack.indexOf(m)), m].join(' → '));
        return;
      }
      state.set(m, 'open');
      stack.push(m);
      for (const d of graph.get(m) ?? []) visit(d);
      stack.pop();
      state.set(m, 'done');
    };
    for (const m of graph.keys()) visit(m);
    expect(cycles).toEqual([]);
  });
});
