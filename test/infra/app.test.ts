// The real CDK entry point against the real regions file, as `npx cdk synth` runs it: offline, with no
// credentials, writing a cloud assembly. One process, one synth.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { loadRegionsFile } from '../../cli/aws/regions.ts';
import { controlPlaneStackName, edgeStackName, regionStackName } from '../../cli/aws/stacks.ts';
import { writeFiles } from '../../infra/docker/write-files.ts';
import { renderRouterConfig } from '../../infra/constructs/router-config.ts';
import { parse } from 'smol-toml';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;

test('infra/bin/app.ts synthesizes every stack of passage.regions.toml without credentials', async (t) => {
  const out = await mkdtemp(join(tmpdir(), 'passage-cdk-'));
  t.after(() => rm(out, { recursive: true, force: true }));
  const env: NodeJS.ProcessEnv = { ...process.env, CDK_OUTDIR: out, AWS_ACCESS_KEY_ID: '', AWS_PROFILE: 'passage-test-none' };
  delete env.PASSAGE_IMAGE;
  delete env.PASSAGE_AWS_ACCOUNT;
  await run(process.execPath, ['infra/bin/app.ts'], { cwd: root, env, timeout: 60_000 });

  const regions = await loadRegionsFile(join(root, 'passage.regions.toml'));
  const expected = [
    edgeStackName(regions.tableId),
    controlPlaneStackName(regions.tableId),
    ...regions.regions.map((r) => regionStackName(regions.tableId, r.name)),
  ];
  const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'));
  const stacks = Object.entries(manifest.artifacts as Record<string, { type: string; environment: string }>)
    .filter(([, a]) => a.type === 'aws:cloudformation:stack');
  assert.deepEqual(stacks.map(([id]) => id).sort(), [...expected].sort());
  assert.equal(manifest.artifacts[edgeStackName(regions.tableId)].environment, 'aws://unknown-account/us-east-1');
  // Without an image reference the Dockerfile becomes an asset, staged from the allow-listed files only.
  const staged = (await readdir(out)).filter((f) => f.startsWith('asset.'));
  const docker = [];
  for (const dir of staged) {
    const files = await readdir(join(out, dir));
    if (files.includes('Dockerfile')) docker.push(files.sort());
  }
  assert.ok(docker.length >= 1, 'a Docker image asset is staged');
  assert.ok(!docker[0].includes('node_modules') && !docker[0].includes('test'), `staged: ${docker[0].join(', ')}`);
});

test('the rendered router config is valid TOML with the contract keys', () => {
  const text = renderRouterConfig({
    trustedProxyCidr: '10.80.0.0/16',
    tableName: 'passage',
    tableId: 'prod',
    region: 'eu-west-1',
    publicKeyPaths: ['/etc/passage/keys/a.pub'],
  });
  const config = JSON.parse(JSON.stringify(parse(text))) as Record<string, any>;
  assert.equal(config.address, '0.0.0.0:25565');
  assert.deepEqual(config.proxy_protocol, { enabled: true, trusted_proxies: ['10.80.0.0/16'] });
  assert.equal(config.admin.address, '0.0.0.0:9565');
  assert.deepEqual(config.table.dynamodb, { table: 'passage', id: 'prod', region: 'eu-west-1' });
  assert.equal(config.table.source, 'dynamodb');
  assert.deepEqual(config.table.public_keys, ['/etc/passage/keys/a.pub']);
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
