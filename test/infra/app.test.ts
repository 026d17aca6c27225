// The real CDK entry point, as `npx cdk synth` runs it: offline, with no credentials, writing a cloud
// assembly. The test regions file (test/fixtures/aws) for what the stacks hold; the repository's own
// regions file only for validity, so operators can edit it.

import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadRegionsFile } from '../../router/contracts/regions-file.ts';
import { edgeStackName } from '../../router/contracts/stacks.ts';
import { writeFiles } from '../../infra/docker/write-files.ts';
import { renderRouterConfig } from '../../infra/constructs/router-config.ts';
import { parseConfigText } from '../../router/config/load.ts';
import { parse } from 'smol-toml';
import { addGeneratedKey, assertSynthesized, dockerAssets, REPO_ROOT as root, synth } from '../helpers/examples.ts';

const TEST_IMAGE = 'public.ecr.aws/example/passage:test';

test('infra/bin/app.ts synthesizes every stack of the test regions file without credentials, each router config loading', async (t) => {
  const out = await mkdtemp(join(tmpdir(), 'passage-cdk-'));
  t.after(() => rm(out, { recursive: true, force: true }));
  const regionsFile = join(root, 'test/fixtures/aws/passage.regions.toml');
  const result = await synth(regionsFile, out);
  assert.equal(result.code, 0, result.stderr);
  await assertSynthesized(regionsFile, out);
  const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'));
  assert.equal(manifest.artifacts[edgeStackName('prod')].environment, 'aws://unknown-account/us-east-1');
  // Without an image reference the Dockerfile becomes an asset, staged from the allow-listed files only.
  const docker = await dockerAssets(out);
  assert.ok(docker.length >= 1, 'a Docker image asset is staged');
  assert.ok(!docker[0].includes('node_modules') && !docker[0].includes('test'), `staged: ${docker[0].join(', ')}`);
});

test('the repository regions file synthesizes; while its public_keys is empty, synth refuses in one line saying how to add a key', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'passage-shipped-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const shipped = join(root, 'passage.regions.toml');
  let regionsFile = shipped;
  if ((await loadRegionsFile(shipped)).publicKeys.length === 0) {
    const refused = await synth(shipped, join(dir, 'refused'), TEST_IMAGE);
    assert.equal(refused.code, 2);
    const lines = refused.stderr.trim().split('\n');
    assert.equal(lines.length, 1, refused.stderr);
    assert.match(lines[0]!, /^passage synth: .*passage\.regions\.toml: public_keys: the routers in [a-z0-9-]+ would refuse their config \(table\.public_keys: required when table\.source = "dynamodb".*npx passagectl keys generate --out keys/);
    // A new operator's first step, as docs/AWS.md gives it; then the same file synthesizes.
    regionsFile = join(dir, 'passage.regions.toml');
    await copyFile(shipped, regionsFile);
    await addGeneratedKey(regionsFile);
  }
  const out = join(dir, 'out');
  const result = await synth(regionsFile, out, TEST_IMAGE);
  assert.equal(result.code, 0, result.stderr);
  await assertSynthesized(regionsFile, out);
});

test('the rendered router config is valid TOML with the contract keys', () => {
  const text = renderRouterConfig({
    trustedProxyCidrs: ['10.80.0.0/24', '10.80.1.0/24'],
    tableName: 'passage',
    tableId: 'prod',
    region: 'eu-west-1',
    publicKeyPaths: ['/etc/passage/keys/a.pub'],
  });
  const config = JSON.parse(JSON.stringify(parse(text))) as Record<string, any>;
  assert.equal(config.address, '0.0.0.0:25565');
  assert.deepEqual(config.proxy_protocol, { enabled: true, trusted_proxies: ['10.80.0.0/24', '10.80.1.0/24'] });
  assert.equal(config.admin.address, '0.0.0.0:9565');
  assert.deepEqual(config.table.dynamodb, { table: 'passage', id: 'prod', region: 'eu-west-1' });
  assert.equal(config.table.source, 'dynamodb');
  assert.deepEqual(config.table.public_keys, ['/etc/passage/keys/a.pub']);
  assert.equal(config.table.min_version, undefined, 'no floor before anything was published');
});

test('the rendered router config carries the deploy-time table version as table.min_version, and the router loads it', () => {
  const text = renderRouterConfig({
    trustedProxyCidrs: ['10.80.0.0/24'],
    tableName: 'passage',
    tableId: 'prod',
    region: 'eu-west-1',
    publicKeyPaths: ['/etc/passage/keys/a.pub'],
    minTableVersion: 42,
  });
  assert.equal(parseConfigText(text, '/etc/passage/passage.toml', {}).table.minVersion, 42);
});

test('write-files writes only under /etc/passage/ and refuses anything else', () => {
  const written: [string, string][] = [];
  const write = (path: string, content: string) => written.push([path, content]);
  const paths = writeFiles(JSON.stringify({ '/etc/passage/passage.toml': 'a = 1', '/etc/passage/keys/k.pub': 'PEM' }), '/etc/passage/', write);
  assert.deepEqual(paths, ['/etc/passage/passage.toml', '/etc/passage/keys/k.pub']);
  assert.deepEqual(written[0], ['/etc/passage/passage.toml', 'a = 1']);
  assert.throws(() => writeFiles(JSON.stringify({ '/etc/passage/../passwd': 'x' }), '/etc/passage/', write), /outside \/etc\/passage\//);
  assert.throws(() => writeFiles('[]', '/etc/passage/', write), /JSON object/);
  assert.deepEqual(writeFiles(undefined, '/etc/passage/', write), []);
});
