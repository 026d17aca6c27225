// `passagectl deploy` through the real binary: usage errors exit 2 before any work.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const CLI = new URL('../../../cli/main.ts', import.meta.url).pathname;
const run = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'] });

test('deploy --help lists the flags and the exit codes', () => {
  const r = run(['deploy', '--help']);
  assert.equal(r.status, 0);
  for (const flag of ['--region', '--all-regions', '--image', '--dry-run', '--detailed-exitcode', '--yes', '--detach', '--local']) assert.match(r.stdout, new RegExp(flag));
  assert.match(r.stdout, /4 failed and rolled back/);
});

test('without a terminal and without --yes, deploy refuses with exit 2 and no stack trace', () => {
  const r = run(['deploy', '--region', 'eu-west-1']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /passagectl: refusing to deploy without confirmation: no terminal to ask on; pass --yes/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});
