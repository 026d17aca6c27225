// Every router config the CDK app renders is loaded by the router's own loader while the stacks are
// defined; a refusal names the regions-file key to change. Key files are read with the router's parser.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { App } from 'aws-cdk-lib';
import { ContainerImage } from 'aws-cdk-lib/aws-ecs';
import { parseRegionsFile, readTrustedKeyFiles, RegionsFileError } from '../../router/contracts/regions-file.ts';
import { checkRouterConfig } from '../../infra/constructs/router-config-check.ts';
import { renderRouterConfig } from '../../infra/constructs/router-config.ts';
import { definePassage } from '../../infra/stacks/passage.ts';
import { generateSigningKey } from '../../router/table/keys.ts';

const REGIONS = `
home_region = "eu-west-1"
domain = "play.example.com"
hosted_zone = "example.com"
table_id = "prod"
[regions.eu-west-1]
continents = ["EU"]
`;

const rendered = (publicKeyPaths: string[]) =>
  renderRouterConfig({ trustedProxyCidrs: ['10.80.0.0/24'], tableName: 'passage', tableId: 'prod', region: 'eu-west-1', publicKeyPaths });

test('defining the stacks with no trusted key fails with the router\'s own message, naming public_keys and the fix', () => {
  const define = () => definePassage(new App({ autoSynth: false }), { regions: parseRegionsFile(REGIONS), image: ContainerImage.fromRegistry('passage:test'), publicKeys: [] });
  assert.throws(define, (err: unknown) =>
    err instanceof RegionsFileError && err.key === 'public_keys' &&
    /the routers in eu-west-1 would refuse their config \(table\.public_keys: required when table\.source = "dynamodb" \(remote tables must be signed\)\)/.test(err.message) &&
    /npx passagectl keys generate --out keys/.test(err.message));
});

test('a rendered config the router accepts passes; a refusal that no regions-file key decides is reported as a bug', () => {
  checkRouterConfig(rendered(['/etc/passage/keys/a.pub']), 'eu-west-1');
  assert.throws(() => checkRouterConfig(`${rendered(['/etc/passage/keys/a.pub'])}\n[admin]\naddress = "nope"\n`, 'eu-west-1'), (err: unknown) =>
    !(err instanceof RegionsFileError) && /a bug; please report it/.test((err as Error).message));
});

test('readTrustedKeyFiles reads public_keys relative to the regions file and names the entry it cannot use', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'passage-keys-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const pem = generateSigningKey().publicKey.export({ format: 'pem', type: 'spki' }).toString();
  await writeFile(join(dir, 'a.pub'), pem);
  const file = (keys: string) => parseRegionsFile(`${REGIONS.replace('table_id = "prod"', `table_id = "prod"\npublic_keys = ${keys}`)}`);
  const regionsPath = join(dir, 'passage.regions.toml');
  const [key] = await readTrustedKeyFiles(regionsPath, file('["a.pub"]'));
  assert.deepEqual([key!.entry, key!.path, key!.name, key!.pem], ['a.pub', join(dir, 'a.pub'), 'a.pub', pem]);
  assert.equal(key!.key.asymmetricKeyType, 'ed25519');
  await assert.rejects(readTrustedKeyFiles(regionsPath, file('["a.pub", "missing.pub"]')), (err: unknown) =>
    err instanceof RegionsFileError && err.key === 'public_keys[1]' && /missing\.pub: file not found; create a key pair/.test(err.message));
  await writeFile(join(dir, 'not-a-key.pub'), 'hello');
  await assert.rejects(readTrustedKeyFiles(regionsPath, file('["not-a-key.pub"]')), (err: unknown) =>
    err instanceof RegionsFileError && err.key === 'public_keys[0]' && /is not a PEM file/.test(err.message));
  // The routers hold every key in one directory, under its file name.
  await assert.rejects(readTrustedKeyFiles(regionsPath, file('["a.pub", "other/a.pub"]')), (err: unknown) =>
    err instanceof RegionsFileError && err.key === 'public_keys[1]' && /same file name/.test(err.message));
});
