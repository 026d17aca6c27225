// A mistyped option to a bench script is one line and the usage, exit code 2, never a stack.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = (p: string): string => fileURLToPath(new URL(`../../scripts/${p}`, import.meta.url));

for (const [name, path] of [['cpu', 'bench/cpu.ts'], ['bench:paired', 'bench/paired.ts'], ['reliability', 'reliability/run.ts']] as const) {
  test(`${path}: an unknown option is named in one line with the usage, exit 2`, () => {
    const r = spawnSync(process.execPath, [script(path), '--no-such-option'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 2, r.stderr);
    const first = r.stderr.split('\n')[0];
    assert.equal(first, `${name}: Unknown option '--no-such-option'`);
    assert.match(r.stderr, /Usage: node scripts\//);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
}
