// No Docker engine runs here, so the image is checked from its parts: everything the Dockerfile copies
// passes the .dockerignore allow-list, and everything the router imports at runtime is a production
// dependency (the image installs with --omit=dev).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';

const ROOT = new URL('../../', import.meta.url).pathname;
const read = (p: string): string => readFileSync(join(ROOT, p), 'utf8');

function filesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const p = join(dir, name);
    return statSync(join(ROOT, p)).isDirectory() ? filesUnder(p) : [p];
  });
}

/** The allow-list semantics the file uses: `*` excludes all, `!path` re-includes a file or folder. */
function allowed(path: string): boolean {
  const rules = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  let included = true;
  for (const rule of rules) {
    const negate = rule.startsWith('!');
    const pattern = (negate ? rule.slice(1) : rule).replace(/\/$/, '');
    const matches = pattern === '*' || path === pattern || path.startsWith(`${pattern}/`);
    if (matches) included = negate;
  }
  return included;
}

test('every file the Dockerfile copies from the build context passes .dockerignore', () => {
  const copies = [...read('Dockerfile').matchAll(/^COPY (?!--from)(.+)$/gm)].flatMap((m) => m[1].trim().split(/\s+/).slice(0, -1));
  assert.ok(copies.length >= 4, copies.join(' '));
  for (const source of copies) {
    const files = statSync(join(ROOT, source)).isDirectory() ? filesUnder(source) : [source];
    for (const file of files.filter((f) => !f.endsWith('.test.ts'))) assert.ok(allowed(file), `${file} is copied but excluded by .dockerignore`);
  }
});

test('everything the router imports at runtime is a production dependency', () => {
  const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string> };
  const builtins = new Set(builtinModules);
  const missing: string[] = [];
  for (const file of [...filesUnder('router'), 'infra/docker/write-files.ts'].filter((f) => f.endsWith('.ts'))) {
    const source = read(file);
    // Static and dynamic imports; `import type` is erased at runtime and needs nothing installed.
    for (const m of source.matchAll(/^\s*import\s+(?!type\s)[^'"]*?from\s+'([^']+)'|import\('([^']+)'\)|^\s*import\s+'([^']+)'/gm)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (spec.startsWith('.') || spec.startsWith('node:') || builtins.has(spec)) continue;
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
      if (!(name in pkg.dependencies)) missing.push(`${relative(ROOT, join(ROOT, file))}: ${name}`);
    }
  }
  assert.deepEqual(missing, []);
});

test('every base image is pinned by digest, so a moved tag cannot change what the router runs on', () => {
  const dockerfile = read('Dockerfile');
  const args = new Map([...dockerfile.matchAll(/^ARG (\w+)=(\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
  const bases = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]!.replace(/^\$\{(\w+)\}$/, (_, name: string) => args.get(name) ?? name));
  assert.ok(bases.length >= 2, bases.join(' '));
  for (const base of bases) assert.match(base, /^[\w./-]+:[\w.-]+@sha256:[0-9a-f]{64}$/, `${base} is pinned by digest`);
});
