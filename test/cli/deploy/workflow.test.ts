// .github/workflows/deploy.yml as docs/AWS.md ("CI") promises it: OIDC credentials for a role (no stored
// keys), then `passagectl deploy --all-regions --yes --json` with flags the real command accepts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { buildProgram } from '../../../cli/main.ts';
import { CI_SESSION } from '../../../infra/stacks/access-stack.ts';

const text = readFileSync(new URL('../../../.github/workflows/deploy.yml', import.meta.url), 'utf8');
const workflow = parse(text) as Record<string, any>;
type Job = { steps: Record<string, any>[]; permissions?: Record<string, string>; needs?: string | string[] };
const jobs = workflow.jobs as Record<string, Job>;
const steps = Object.values(jobs).flatMap((job) => job.steps);
/** The job that holds the production token: the one that trades it for AWS credentials. */
const [deployName, deployJob] = Object.entries(jobs).find(([, job]) => job.steps.some((s) => String(s.uses ?? '').startsWith('aws-actions/configure-aws-credentials@')))!;
/** The pull-request plan: the only other job with a token, for the read-only plan role. */
const planJob = jobs.plan! as Job & { if?: string; 'timeout-minutes'?: number };
const isCreds = (s: Record<string, any>): boolean => String(s.uses ?? '').startsWith('aws-actions/configure-aws-credentials@');

test('the deploy workflow trades the GitHub OIDC token for a role session, with no stored keys', () => {
  assert.equal(deployJob.permissions?.['id-token'], 'write');
  const creds = deployJob.steps.filter(isCreds);
  // The deploy role for the stacks, then the operator role for GeoDNS (issue 20: DNS is not the deploy role's).
  assert.deepEqual(creds.map((c) => c.with?.['role-to-assume']), ['${{ vars.PASSAGE_DEPLOY_ROLE_ARN }}', '${{ vars.PASSAGE_OPERATOR_ROLE_ARN }}']);
  for (const cred of steps.filter(isCreds)) {
    for (const key of ['aws-access-key-id', 'aws-secret-access-key', 'aws-session-token']) assert.equal(cred.with?.[key], undefined, key);
  }
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

test('only the deploy job and the pull-request plan can mint the OIDC token; the workflow grants nothing by default', () => {
  assert.deepEqual(workflow.permissions, {}, 'top-level permissions are empty');
  // The plan job trades it for the read-only plan role only, and only on pull requests.
  assert.deepEqual(planJob.steps.filter(isCreds).map((c) => c.with?.['role-to-assume']), ['${{ vars.PASSAGE_PLAN_ROLE_ARN }}']);
  assert.equal(planJob.if, "github.event_name == 'pull_request'");
  for (const [name, job] of Object.entries(jobs)) {
    if (name === deployName || name === 'plan') continue;
    assert.equal(job.permissions?.['id-token'], undefined, `${name} has no id-token permission`);
  }
});

test('the tests (npm ci with install scripts, npm test) run in a job without the token, and the deploy waits for them', () => {
  const testJobs = Object.entries(jobs).filter(([, job]) => job.steps.some((s) => /\bnpm (test|run test)\b/.test(String(s.run ?? ''))));
  assert.ok(testJobs.length > 0, 'some job runs the tests');
  for (const [name, job] of testJobs) {
    assert.notEqual(name, deployName);
    assert.equal(job.permissions?.['id-token'], undefined);
  }
  const needs = [deployJob.needs ?? []].flat();
  for (const [name] of testJobs) assert.ok(needs.includes(name), `${deployName} needs ${name}`);
});

test('the deploy job runs no dependency code before passagectl: npm ci --ignore-scripts, no tests, no dependency cache', () => {
  const runs = deployJob.steps.filter((s) => s.run !== undefined).map((s) => String(s.run));
  for (const run of runs) assert.doesNotMatch(run, /\bnpm (test|run)\b/, 'no tests or npm scripts in the deploy job');
  const installs = runs.filter((r) => /\bnpm (ci|install|i)\b/.test(r));
  assert.equal(installs.length, 1);
  assert.match(installs[0]!, /npm ci\b.*--ignore-scripts/);
  assert.ok(runs.every((r) => /npm ci|passagectl/.test(r)), `only the install and passagectl run: ${runs.join(' | ')}`);
  const setupNode = deployJob.steps.find((s) => String(s.uses ?? '').startsWith('actions/setup-node@'));
  assert.equal(setupNode?.with?.cache, undefined, 'no npm cache restored into the job that holds the token');
  for (const job of Object.values(jobs)) {
    const checkout = job.steps.find((s) => String(s.uses ?? '').startsWith('actions/checkout@'));
    assert.equal(checkout?.with?.['persist-credentials'], false, 'the GITHUB_TOKEN is not left in .git/config');
  }
});

test('every action is pinned by a full commit SHA, with its release tag in a comment', () => {
  const uses = [...text.matchAll(/^\s*-?\s*uses:\s*(\S+)(.*)$/gm)];
  assert.ok(uses.length >= 4);
  for (const [, ref, rest] of uses) {
    assert.match(ref!, /^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/, `${ref} is pinned by commit SHA`);
    assert.match(rest!, /#\s*v\d+\.\d+\.\d+/, `${ref} names its release tag`);
  }
});

/** GitHub's `paths` globs: `**` crosses folders, `*` does not. */
function matchesPaths(path: string, patterns: readonly string[]): boolean {
  const re = (p: string) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*/g, '\u0000').replace(/\*/g, '[^/]*').replace(/\u0000/g, '.*')}$`);
  return patterns.some((p) => re(p).test(path));
}

test('a push that changes only documentation deploys nothing; code, the regions file, keys and the image do', () => {
  const paths = workflow.on.push.paths as string[];
  for (const path of ['README.md', 'docs/AWS.md', 'docs/favicon.png', 'deploy/kubernetes/deployment.yaml', 'test/infra/app.test.ts', 'scripts/bench/run.ts']) assert.ok(!matchesPaths(path, paths), `${path} does not deploy`);
  for (const path of ['router/main.ts', 'cli/deploy/aws.ts', 'infra/constructs/router-fleet.ts', 'passage.regions.toml', 'keys/passage-signing.pub', 'Dockerfile', 'package-lock.json', 'cdk.json', '.github/workflows/deploy.yml']) assert.ok(matchesPaths(path, paths), `${path} deploys`);
});

test('each AWS session lasts as long as its job may run, within what the access roles allow', () => {
  const deployCreds = deployJob.steps.find((s) => String(s.uses ?? '').startsWith('aws-actions/configure-aws-credentials@'))!;
  const seconds = Number(deployCreds.with?.['role-duration-seconds']);
  const timeout = Number((deployJob as { 'timeout-minutes'?: number })['timeout-minutes']);
  assert.ok(timeout > 0, 'the deploy job has a timeout');
  assert.ok(seconds >= timeout * 60, `role-duration-seconds ${seconds} covers timeout-minutes ${timeout}`);
  assert.ok(seconds <= CI_SESSION.toSeconds(), `the deploy role's maximum session (${CI_SESSION.toSeconds()} s) allows ${seconds}`);
});

test('GeoDNS follows the stacks: after the deploy, dns plan --detailed-exitcode runs under the operator role and applies when it exits 3', () => {
  const at = deployJob.steps.findIndex((s) => /passagectl dns plan/.test(String(s.run ?? '')));
  assert.ok(at > deployJob.steps.findIndex((s) => /passagectl "\$\{args\[@\]\}"/.test(String(s.run ?? ''))), 'after the deploy');
  const creds = deployJob.steps.slice(0, at).filter((s) => String(s.uses ?? '').startsWith('aws-actions/configure-aws-credentials@')).at(-1)!;
  assert.match(String(creds.with?.['role-to-assume']), /PASSAGE_OPERATOR_ROLE_ARN/);
  const run = String(deployJob.steps[at]!.run);
  assert.match(run, /passagectl dns plan --detailed-exitcode/);
  assert.match(run, /"\$code" = 3 \]; then npx --no-install passagectl dns apply/);
  const program = buildProgram(async () => {});
  const plan = program.commands.find((c) => c.name() === 'dns')!.commands.find((c) => c.name() === 'plan')!;
  assert.ok(plan.options.some((o) => o.long === '--detailed-exitcode'));
});

test('a pull request gets a plan, never a deploy: the deploy job skips pull requests, the plan job runs on them after the tests', () => {
  assert.equal((deployJob as { if?: string }).if, "github.event_name != 'pull_request'");
  assert.deepEqual([planJob.needs].flat(), ['test']);
  const prPaths = workflow.on.pull_request.paths as string[];
  for (const path of workflow.on.push.paths as string[]) assert.ok(prPaths.includes(path), `${path} is planned too`);
  assert.ok(matchesPaths('routes.toml', prPaths), 'a routes change gets a table diff');
  assert.ok(!matchesPaths('docs/AWS.md', prPaths), 'a docs change is not planned');
  const seconds = Number(planJob.steps.find(isCreds)!.with?.['role-duration-seconds']);
  assert.ok(seconds >= Number(planJob['timeout-minutes']) * 60 && seconds <= CI_SESSION.toSeconds());
});

test('the plan runs deploy --dry-run, dns plan, waf plan and table diff with flags passagectl has, and writes the summary', () => {
  const run = String(planJob.steps.find((s) => /passagectl plan-summary/.test(String(s.run ?? '')))?.run);
  const program = buildProgram(async () => {});
  const command = (path: string[]) => path.reduce((c, name) => c.commands.find((x) => x.name() === name)!, program);
  const invocations = [...run.matchAll(/passagectl ((?:--json )?)([a-z-]+(?: (?:plan|diff))?)([^\n;>|]*)/g)];
  const planned = invocations.map((m) => m[2]);
  assert.deepEqual(planned, ['deploy', 'dns plan', 'waf plan', 'table diff', 'plan-summary']);
  for (const m of invocations) {
    const cmd = command(m[2]!.split(' '));
    const known = new Set([...program.options, ...cmd.options].map((o) => o.long));
    for (const flag of [...m[3]!.matchAll(/(--[a-z-]+)/g)].map((f) => f[1]!)) assert.ok(known.has(flag), `${flag} is a flag of passagectl ${m[2]}`);
  }
  assert.match(run, /passagectl deploy --all-regions --dry-run --json/);
  assert.match(run, /cat plan\.md >> "\$GITHUB_STEP_SUMMARY"/);
  const comment = String(planJob.steps.find((s) => /gh pr comment/.test(String(s.run ?? '')))?.run);
  assert.match(comment, /startswith\("<!-- passage-plan -->"\)/, 'edits the comment that carries the marker');
  assert.equal(planJob.permissions?.['pull-requests'], 'write');
});
