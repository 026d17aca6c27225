// docs/ARCHITECTURE.md walks a connection through its phases: it stays true to the code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';

const root = new URL('../../', import.meta.url);
const doc = readFileSync(new URL('docs/ARCHITECTURE.md', root), 'utf8');

test('every source file docs/ARCHITECTURE.md names exists', () => {
  const named = [...new Set(doc.match(/router\/[\w/.-]+\.ts/g) ?? [])];
  assert.ok(named.length > 5);
  assert.deepEqual(named.filter((path) => !existsSync(new URL(path, root))), []);
});

test('docs/ARCHITECTURE.md names every phase class with the file it lives in', () => {
  const dir = new URL('router/connection/', root);
  const phases = readdirSync(dir).flatMap((file) =>
    [...readFileSync(new URL(file, dir), 'utf8').matchAll(/export class (\w+) implements Phase\b/g)].map((m) => ({ file: `router/connection/${file}`, name: m[1] })),
  );
  assert.ok(phases.length >= 5);
  const rows = doc.split('\n').filter((line) => line.startsWith('|'));
  const missing = phases.filter((p) => !rows.some((row) => row.includes(`\`${p.file}\``) && row.includes(`\`${p.name}\``)));
  assert.deepEqual(missing, []);
});
