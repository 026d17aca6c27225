// The real passagectl binary in a broken environment, as a new operator meets it: no AWS credentials,
// an AWS endpoint that does not answer, a port that is taken. Every command prints one line that says
// what to do (no stack), --json prints one JSON error object on stdout, and the exit code is 1.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeKeyPair } from '../../router/table/keys.ts';

const MAIN = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'passagectl-env-'));

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function passagectl(args: readonly string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { cwd: dir, env, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
    });
  });
}

/** The process environment without any AWS settings of the machine running the tests. */
function withoutAws(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_')) env[k] = v;
  return {
    ...env,
    AWS_CONFIG_FILE: join(dir, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-aws-credentials'),
    // Off EC2 the instance-metadata lookup only costs seconds of timeouts.
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_REGION: 'eu-west-1',
    AWS_MAX_ATTEMPTS: '1',
    ...extra,
  };
}

/** Runs the jobs a few at a time: every one is a Node process on a shared machine. */
async function inBatches<T, R>(items: readonly T[], size: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return out;
}

function assertOneLine(r: Run, label: string, line: RegExp, code: string): void {
  assert.equal(r.code, 1, `${label}: exit code (stderr: ${r.stderr})`);
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  const ours = lines.filter((l) => l.startsWith('passagectl: '));
  assert.equal(ours.length, 1, `${label}: one passagectl line on stderr:\n${r.stderr}`);
  assert.match(ours[0]!, line, label);
  assert.doesNotMatch(r.stderr, /\n\s+at |unexpected failure/, `${label}: no stack`);
  const last = r.stdout.trim().split('\n').at(-1) ?? '';
  const doc = JSON.parse(last) as { ok?: boolean; error?: { code?: string; message?: string } };
  assert.equal(doc.ok, false, `${label}: JSON ok`);
  assert.equal(doc.error?.code, code, `${label}: JSON code`);
  assert.match(doc.error?.message ?? '', line, `${label}: JSON message`);
}

let closedEndpoint: string;
let routes: string;
let key: string;
let publicKey: string;

before(async () => {
  const keys = await writeKeyPair(join(dir, 'keys'));
  key = keys.privateKeyPath;
  publicKey = keys.publicKeyPath;
  routes = join(dir, 'routes.toml');
  writeFileSync(routes, 'table_id = "prod"\nversion = 2\n[[routes]]\nid = "main"\nhosts = ["*"]\n[[routes.targets]]\nid = "a"\naddress = "127.0.0.1:25566"\n');
  writeFileSync(join(dir, 'passage.regions.toml'), [
    'home_region = "eu-west-1"', 'default_region = "eu-west-1"', 'domain = "play.test.example"', 'hosted_zone = "test.example"',
    'table_id = "prod"', 'table_name = "passage"', 'public_keys = ["keys/passage-signing.pub"]',
    '[regions.eu-west-1]', 'continents = ["EU"]', 'countries = []', 'desired_count = 1', 'max_count = 2', 'cpu = 512', 'memory = 1024', '',
  ].join('\n'));
  // A port that was just free: nothing answers there.
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  closedEndpoint = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
  await new Promise((r) => probe.close(r));
});

/** Every command that talks to AWS, as an operator would type it. */
const awsCommands = (): [string, string[]][] => [
  ['table show (dynamodb)', ['table', 'show', '--from', 'dynamodb://passage/prod?region=eu-west-1']],
  ['table show (s3)', ['table', 'show', '--from', 's3://passage-tables/table.json?region=eu-west-1']],
  ['table history', ['table', 'history', '--from', 'dynamodb://passage/prod?region=eu-west-1']],
  ['table diff', ['table', 'diff', routes, '--from', 's3://passage-tables/table.json?region=eu-west-1']],
  ['table publish', ['table', 'publish', routes, '--to', 'dynamodb://passage/prod?region=eu-west-1', '--key', key, '--public-key', publicKey]],
  ['table rollback', ['table', 'rollback', '1', '--from', 'dynamodb://passage/prod?region=eu-west-1', '--key', key]],
  ['dns plan', ['dns', 'plan']],
  ['dns apply', ['dns', 'apply']],
  ['waf plan', ['waf', 'plan']],
  ['waf apply', ['waf', 'apply']],
  ['deploy --dry-run', ['deploy', '--region', 'eu-west-1', '--dry-run']],
  ['deploy --all-regions --yes', ['deploy', '--all-regions', '--yes']],
];

describe('without AWS credentials', () => {
  test('every command that talks to AWS says the credentials are missing, once, in one line and in the JSON, and exits 1', async () => {
    const env = withoutAws({ AWS_PROFILE: 'passage-test-no-such-profile', AWS_ENDPOINT_URL: closedEndpoint });
    const results = await inBatches(awsCommands(), 3, async ([label, args]) => [label, await passagectl(['--json', ...args], env)] as const);
    for (const [label, r] of results) {
      assertOneLine(r, label, /no AWS credentials found \(AWS_PROFILE=passage-test-no-such-profile\): run `aws configure` or `aws sso login`/, 'PASSAGE_AWS_NO_CREDENTIALS');
      assert.equal(r.stderr.match(/credentials/g)?.length, 1, `${label}: said once:\n${r.stderr}`);
    }
  });

  test('status reads nothing and says why once; --json carries the error object beside the snapshot', async () => {
    const env = withoutAws({ AWS_PROFILE: 'passage-test-no-such-profile' });
    const plain = await passagectl(['status', '--table-store', 'dynamodb://passage/prod?region=eu-west-1'], env);
    assert.equal(plain.code, 1);
    assert.equal(plain.stdout.match(/no AWS credentials found/g)?.length, 1, plain.stdout);
    assert.doesNotMatch(plain.stdout + plain.stderr, /CredentialsProviderError|\n\s+at /);
    const json = await passagectl(['--json', 'status', '--table-store', 'dynamodb://passage/prod?region=eu-west-1'], env);
    assert.equal(json.code, 1);
    const doc = JSON.parse(json.stdout) as { ok: boolean; error: { code: string; message: string }; problems: string[] };
    assert.equal(doc.ok, false);
    assert.equal(doc.error.code, 'PASSAGE_FLEET_UNREADABLE');
    assert.match(doc.error.message, /^dynamodb:\/\/passage\/prod: no AWS credentials found/);
    assert.equal(doc.problems.length, 1);
  });
});

describe('with credentials but an AWS endpoint that does not answer', () => {
  test('the commands say which endpoint cannot be reached, in one line and in the JSON, and exit 1', async () => {
    const env = withoutAws({ AWS_ACCESS_KEY_ID: 'AKIDPASSAGETEST', AWS_SECRET_ACCESS_KEY: 'not-a-secret', AWS_ENDPOINT_URL: closedEndpoint });
    const host = closedEndpoint.replace('http://', '').replace(/\./g, '\\.');
    const picked = awsCommands().filter(([label]) => ['table show (dynamodb)', 'table history', 'table diff', 'dns plan', 'waf plan'].includes(label));
    const results = await inBatches(picked, 3, async ([label, args]) => [label, await passagectl(['--json', ...args], env)] as const);
    for (const [label, r] of results) assertOneLine(r, label, new RegExp(`cannot reach ${host} \\(ECONNREFUSED\\): check the network`), 'PASSAGE_ENDPOINT_UNREACHABLE');
  });
});

describe('when the port is taken', () => {
  let blocker: Server;
  let taken: number;
  before(async () => {
    blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    taken = (blocker.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((r) => blocker.close(() => r())));

  test('dev and deploy --local say the address is in use and how to pick another, and exit 1', async () => {
    const env = withoutAws({});
    const [dev, local] = await Promise.all([
      passagectl(['--json', 'dev', '--port', String(taken), '--admin-port', '0', '--log-level', 'silent'], env),
      passagectl(['--json', 'deploy', '--local', '1', '--routes', routes, '--listen', `127.0.0.1:${taken}`, '--no-hold'], env),
    ]);
    const line = new RegExp(`127\\.0\\.0\\.1:${taken} is already in use: stop whatever listens there, or choose another port`);
    assertOneLine(dev, 'dev', line, 'PASSAGE_ADDRESS_IN_USE');
    assertOneLine(local, 'deploy --local', line, 'PASSAGE_ADDRESS_IN_USE');
  });
});

describe('usage mistakes', () => {
  test('table show --version N is refused (exit 2) instead of printing the CLI version; the version is an argument', async () => {
    const env = withoutAws({});
    const swallowed = await passagectl(['--json', 'table', 'show', '--from', `file://${join(dir, 'published.json')}`, '--version', '1'], env);
    assert.equal(swallowed.code, 2);
    assert.doesNotMatch(swallowed.stdout, /^\d+\.\d+\.\d+\n$/);
    assert.equal(JSON.parse(swallowed.stdout).error.code, 'PASSAGE_USAGE');
    assert.match(swallowed.stderr, /^passagectl: -v, --version prints passagectl's own version and goes before the command/);
    const asArgument = await passagectl(['--json', 'table', 'show', '--from', `file://${join(dir, 'published.json')}`, '1'], env);
    assert.equal(asArgument.code, 1);
    assert.equal(JSON.parse(asArgument.stdout).error.code, 'PASSAGE_NOT_PUBLISHED');
    const version = await passagectl(['--version'], env);
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
  });

  test('a commander usage error (unknown option, missing argument) also prints a JSON error object under --json', async () => {
    const env = withoutAws({});
    for (const args of [['table', 'sign', routes], ['table', 'show', '--form', 'x'], ['nonsense']]) {
      const r = await passagectl(['--json', ...args], env);
      assert.equal(r.code, 2, args.join(' '));
      const doc = JSON.parse(r.stdout) as { ok: boolean; error: { code: string; message: string } };
      assert.equal(doc.ok, false);
      assert.equal(doc.error.code, 'PASSAGE_USAGE');
      assert.ok(doc.error.message.length > 0);
    }
  });
});
