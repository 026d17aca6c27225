// .github/workflows/deploy.yml as docs/AWS.md ("CI") promises it: OIDC credentials for a role (no stored
// keys), then `passagectl deploy --all-regions --yes --json` with flags the real command accepts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { buildProgram } from '../../../cli/main.ts';

const workflow = parse(readFileSync(new URL('../../../.github/workflows/deploy.yml', import.meta.url), 'utf8')) as Record<string, any>;
const steps = Object.values(workflow.jobs as Record<string, { steps: Record<string, any>[] }>).flatMap((job) => job.steps);

test('the deploy workflow trades the GitHub OIDC token for a role session, with no stored keys', () => {
  assert.equal(workflow.permissions?.['id-token'], 'write');
  const creds = steps.filter((s) => String(s.uses ?? '').startsWith('aws-actions/configure-aws-credentials@'));
  assert.equal(creds.length, 1);
  assert.match(String(creds[0]!.with?.['role-to-assume']), /\S/);
  for (const key of ['aws-access-key-id', 'aws-secret-access-key', 'aws-session-token']) assert.equal(creds[0]!.with?.[key], undefined, key);
});

test('the deploy workflow runs passagectl deploy --all-regions --yes --json after the credentials, failing with it', () => {
  const at = steps.findIndex((s) => /passagectl/.test(String(s.run ?? '')));
  assert.ok(at > steps.findIndex((s) => String(s.uses ?? '').startsWith('aws-actions/configure-aws-credentials@')), 'credentials come first');
  const step = steps[at]!;
  // GitHub runs `shell: bash` with -eo pipefail, so `| tee` keeps passagectl's exit code.
  assert.equal(step.shell, 'bash');
  const args = /args=\(([^)]*)\)/.exec(String(step.run))?.[1]?.split(/\s+/).filter(Boolean) ?? [];
  assert.deepEqual(args, ['deploy', '--all-regions', '--yes', '--json']);
  const program = buildProgram(async () => {});
  const deploy = program.commands.find((c) => c.name() === 'deploy')!;
  const known = new Set([...program.options, ...deploy.options].map((o) => o.long));
  for (const flag of [...args.slice(1), ...[...String(step.run).matchAll(/args\+=\((--[a-z-]+)/g)].map((m) => m[1]!)]) assert.ok(known.has(flag), `${flag} is a passagectl deploy flag`);
});
