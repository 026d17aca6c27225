// The router's modules form no import cycle (type-only imports aside): a phase never imports the
// connection back, a worker's admin endpoint never imports its supervisor. A cycle is how one concept
// ends up with two shapes; this test names it when one appears (issue 15).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

const ROOT = join(import.meta.dirname, '..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** Value imports and re-exports of a file (`import type` and `export type` carry nothing at run time). */
function valueImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)(?!\s+type\b)[^'"]*?\sfrom\s+'(\.[^']+)'/gm)) found.push(normalize(join(dirname(file), m[1])));
  for (const m of text.matchAll(/^import\s+'(\.[^']+)'/gm)) found.push(normalize(join(dirname(file), m[1])));
  return found;
}

function cycles(files: readonly string[]): string[][] {
  const graph = new Map(files.map((f) => [f, valueImports(f).filter((d) => files.includes(d))]));
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const found: string[][] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    path.push(file);
    for (const dep of graph.get(file) ?? []) {
      if (state.get(dep) === 'open') found.push([...path.slice(path.indexOf(dep)), dep]);
      else if (state.get(dep) === undefined) visit(dep);
    }
    path.pop();
    state.set(file, 'done');
  };
  for (const file of files) if (state.get(file) === undefined) visit(file);
  return found;
}

test('the cycle finder finds a cycle (so the next test can fail)', () => {
  const dir = join(ROOT, 'test/fixtures/import-cycle');
  assert.equal(cycles(sources(dir)).length, 1);
});

test('router/ has no import cycle', () => {
  const found = cycles(sources(join(ROOT, 'router'))).map((c) => c.map((f) => relative(ROOT, f)).join(' → '));
  assert.deepEqual(found, []);
});
