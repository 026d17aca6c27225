// The real passagectl binary: help text, exit codes, and one command end to end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));

function passagectl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
    });
  });
}

test('passagectl --help lists the commands and documents the exit codes', async () => {
  const { code, stdout } = await passagectl('--help');
  assert.equal(code, 0);
  assert.match(stdout, /^Usage: passagectl/);
  for (const word of ['keys', 'table', 'dev', 'regions', 'dns', 'waf', 'deploy', 'status', '--json', '3  table publish: someone published first', '4  deploy failed and was rolled back']) assert.ok(stdout.includes(word), word);
  const table = await passagectl('table', '--help');
  assert.equal(table.code, 0);
  for (const sub of ['validate', 'sign', 'diff', 'publish', 'show', 'history', 'rollback']) assert.match(table.stdout, new RegExp(`\\n  ${sub} `));
});

test('a usage mistake exits 2 with a short message and no stack', async () => {
  const missing = await passagectl('table', 'sign', 'routes.toml');
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /required option '--key <file>'/);
  const s3 = await passagectl('table', 'show', '--from', 's3://bucket/t.json?regoin=eu-west-1');
  assert.equal(s3.code, 2);
  assert.match(s3.stderr, /^passagectl: "s3:\/\/bucket\/t.json\?regoin=eu-west-1": unknown parameter "regoin"/);
  assert.doesNotMatch(s3.stderr, /\n\s+at /);
});

test('an invalid table exits 1; --json reports the error code', async () => {
  const { code, stdout, stderr } = await passagectl('--json', 'table', 'validate', 'does-not-exist.toml');
  assert.equal(code, 1);
  assert.match(stderr, /file not found/);
  assert.equal(JSON.parse(stdout).error.code, 'PASSAGE_FILE');
});

test('keys generate through the binary writes a 0600 private key', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'passagectl-bin-')), 'keys');
  const { code, stdout } = await passagectl('--json', 'keys', 'generate', '--out', dir);
  assert.equal(code, 0);
  assert.match(JSON.parse(stdout).keyid, /^[0-9a-f]{16}$/);
  assert.equal(statSync(join(dir, 'passage-signing.key')).mode & 0o777, 0o600);
});
