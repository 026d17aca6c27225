// What crosses between router/, cli/ and infra/ goes through router/contracts/ (and router/table/):
// infra and the router import nothing from cli/, and the contracts import nothing from cli/ or infra/.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.tsx?$/.test(f))
    .map((f) => join(ROOT, dir, f));
}

/** Repository-relative targets of the file's relative imports (static, dynamic and re-exports). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]!);
  return specs.map((s) => relative(ROOT, resolve(dirname(file), s)));
}

function offenders(dir: string, forbidden: readonly string[]): string[] {
  return sources(dir).flatMap((file) =>
    importsOf(file)
      .filter((target) => forbidden.some((f) => target === f || target.startsWith(`${f}/`)))
      .map((target) => `${relative(ROOT, file)} → ${target}`),
  );
}

test('infra imports nothing from cli/', () => {
  assert.deepEqual(offenders('infra', ['cli']), []);
});

test('the router imports nothing from cli/ or infra/', () => {
  assert.deepEqual(offenders('router', ['cli', 'infra']), []);
});

test('the import scan sees relative imports into cli/ (it would catch a regression)', () => {
  // cli/ itself imports router/contracts; a scan that found nothing anywhere would prove nothing.
  assert.ok(offenders('cli', ['router/contracts']).length > 0);
});
