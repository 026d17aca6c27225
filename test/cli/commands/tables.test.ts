// passagectl's table commands, called as `run(opts, ctx)` with a captured context, against files in a
// temp dir and dynalite in-process.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CliError, PublishConflictError, UsageError, parseExpiry } from '../../../cli/context.ts';
import { run as keysGenerate } from '../../../cli/commands/keys-generate.ts';
import { run as validate } from '../../../cli/commands/table-validate.ts';
import { run as sign } from '../../../cli/commands/table-sign.ts';
import { run as diff } from '../../../cli/commands/table-diff.ts';
import { run as publish } from '../../../cli/commands/table-publish.ts';
import { run as show } from '../../../cli/commands/table-show.ts';
import { run as history } from '../../../cli/commands/table-history.ts';
import { run as rollback } from '../../../cli/commands/table-rollback.ts';
import { parseLocation } from '../../../cli/tables/location.ts';
import { openStore } from '../../../cli/tables/store.ts';
import { DynamoDbTableStore } from '../../../cli/tables/dynamodb-store.ts';
import { createRoutingTableStore, startLocalDynamoDb, type LocalDynamoDb } from '../../../cli/tables/local-dynamodb.ts';
import { envelopeFor, fakeContext, localClient, newKey, trustedBy } from '../../helpers/tables.ts';

const dir = mkdtempSync(join(tmpdir(), 'passagectl-'));
const NOW = Date.parse('2030-01-01T00:00:00Z');

function routes(version: number, targets: Record<string, string>, tableId = 'prod'): string {
  const file = join(dir, `routes-${tableId}-${version}-${Object.keys(targets).join('')}.toml`);
  const lines = [`table_id = "${tableId}"`, `version = ${version}`, '[[routes]]', 'id = "lobby"', 'hosts = ["play.example.com"]'];
  for (const [id, address] of Object.entries(targets)) lines.push('[[routes.targets]]', `id = "${id}"`, `address = "${address}"`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

describe('passagectl keys and local table commands', () => {
  let keyFile: string;
  before(async () => {
    const ctx = fakeContext();
    await keysGenerate({ out: join(dir, 'keys') }, ctx);
    keyFile = join(dir, 'keys', 'passage-signing.key');
  });

  test('keys generate writes the private key 0600 and refuses to overwrite it', async () => {
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'keys', 'passage-signing.pub')).mode & 0o777, 0o644);
    await assert.rejects(keysGenerate({ out: join(dir, 'keys') }, fakeContext()), /refusing to overwrite/);
  });

  test('table validate accepts a good routes file and names the path of a bad one', async () => {
    const ctx = fakeContext({ json: true });
    await validate({ file: routes(1, { a: '10.0.0.1:25565' }), publicKeys: [] }, ctx);
    assert.equal(JSON.parse(ctx.out()).routes, 1);
    const bad = join(dir, 'bad.toml');
    writeFileSync(bad, 'table_id = "prod"\nversion = 1\n[[routes]]\nid = "x"\nhosts = ["a.example"]\n[[routes.targets]]\nid = "t"\naddress = "nope"\n');
    await assert.rejects(validate({ file: bad, publicKeys: [] }, fakeContext()), (err: unknown) => err instanceof CliError && err.code === 'ERR_TABLE_INVALID' && /routes\[0\]\.targets\[0\]\.address/.test(err.message));
  });

  test('table sign writes the envelope to stdout; validate verifies it with the public key', async () => {
    const ctx = fakeContext({ now: () => NOW });
    await sign({ file: routes(1, { a: '10.0.0.1:25565' }), keys: [keyFile], expiresInMs: parseExpiry('7d') }, ctx);
    const envelope = JSON.parse(ctx.out());
    assert.equal(envelope.payloadType, 'application/vnd.passage.table+json');
    const document = JSON.parse(Buffer.from(envelope.payload, 'base64').toString());
    assert.equal(document.expires_at, '2030-01-08T00:00:00.000Z');
    const file = join(dir, 'signed.json');
    writeFileSync(file, ctx.out());
    const check = fakeContext({ now: () => NOW });
    await validate({ file, publicKeys: [join(dir, 'keys', 'passage-signing.pub')] }, check);
    assert.match(check.out(), /signature verified/);
    const other = join(dir, 'other-keys');
    await keysGenerate({ out: other }, fakeContext());
    await assert.rejects(validate({ file, publicKeys: [join(other, 'passage-signing.pub')] }, fakeContext({ now: () => NOW })), /ERR_TABLE_UNTRUSTED_KEY|no signature by a trusted key/);
  });

  test('favicon paths are inlined as data URIs before signing, and a bad favicon is refused with its path', async () => {
    const { readTableFile } = await import('../../../cli/tables/document.ts');
    const dir = mkdtempSync(join(tmpdir(), 'passage-fav-'));
    writeFileSync(join(dir, 'icon.png'), readFileSync(new URL('../../../docs/favicon.png', import.meta.url)));
    const routes = (favicon: string) => `table_id = "t"\nversion = 1\n[[routes]]\nid = "r"\nhosts = ["*"]\n[routes.status]\nfavicon = "${favicon}"\n`;
    writeFileSync(join(dir, 'good.toml'), routes('icon.png'));
    const good = await readTableFile(join(dir, 'good.toml'));
    assert.equal(good.kind, 'plain');
    const status = ((good.document as { routes: { status: { favicon: string } }[] }).routes[0]).status;
    assert.match(status.favicon, /^data:image\/png;base64,iVBORw0KGgo/);
    writeFileSync(join(dir, 'bad.toml'), routes('missing.png'));
    await assert.rejects(readTableFile(join(dir, 'bad.toml')), (err: Error) =>
      err instanceof CliError && err.code === 'PASSAGE_FAVICON' && /bad\.toml: routes\[0\]\.status\.favicon: missing\.png: cannot read favicon \(ENOENT\)/.test(err.message));
    writeFileSync(join(dir, 'notpng.txt'), 'not a png at all, long enough to look at its header');
    writeFileSync(join(dir, 'text.toml'), routes('notpng.txt'));
    await assert.rejects(readTableFile(join(dir, 'text.toml')), /notpng\.txt: not a PNG file/);
  });

  test('durations for --expires', () => {
    assert.equal(parseExpiry('1d12h'), 36 * 3_600_000);
    assert.throws(() => parseExpiry('7 days'), UsageError);
    assert.throws(() => parseExpiry('0d'), UsageError);
  });

  test('locations: dynamodb, s3, file, http', () => {
    assert.deepEqual(parseLocation('dynamodb://passage/prod?region=eu-west-1', {}), { kind: 'dynamodb', table: 'passage', tableId: 'prod', region: 'eu-west-1', endpoint: '' });
    assert.deepEqual(parseLocation('dynamodb://passage/prod', { AWS_REGION: 'us-east-1' }), { kind: 'dynamodb', table: 'passage', tableId: 'prod', region: 'us-east-1', endpoint: '' });
    assert.deepEqual(parseLocation('file://./t.json'), { kind: 'file', path: './t.json' });
    assert.throws(() => parseLocation('dynamodb://passage/prod', {}), /region/);
    assert.deepEqual(parseLocation('s3://passage-tables/prod/table.json?region=eu-west-1', {}), { kind: 's3', bucket: 'passage-tables', key: 'prod/table.json', region: 'eu-west-1', endpoint: '' });
    assert.deepEqual(parseLocation('s3://passage-tables?region=eu-west-1&endpoint=http://127.0.0.1:9000', {}), { kind: 's3', bucket: 'passage-tables', key: 'table.json', region: 'eu-west-1', endpoint: 'http://127.0.0.1:9000' });
    assert.deepEqual(parseLocation('s3://passage-tables/', { AWS_REGION: 'us-east-1' }), { kind: 's3', bucket: 'passage-tables', key: 'table.json', region: 'us-east-1', endpoint: '' });
    assert.throws(() => parseLocation('s3://passage-tables/table.json', {}), (err: unknown) => err instanceof UsageError && /region/.test(err.message));
    assert.throws(() => parseLocation('s3://passage-tables/tables/?region=eu-west-1', {}), (err: unknown) => err instanceof UsageError && /must name an object/.test(err.message));
    assert.throws(() => parseLocation('s3://Not_A_Bucket/t.json?region=eu-west-1', {}), (err: unknown) => err instanceof UsageError && /bucket name/.test(err.message));
    assert.throws(() => parseLocation('s3://passage-tables/t.json?region=eu-west-1&acl=public', {}), (err: unknown) => err instanceof UsageError && /unknown parameter "acl"/.test(err.message));
    assert.throws(() => parseLocation('ftp://x'), UsageError);
  });
});

describe('passagectl table publishing to DynamoDB (dynalite)', () => {
  let db: LocalDynamoDb;
  let client: DynamoDBClient;
  let keyFile: string;
  let to: string;
  before(async () => {
    db = await startLocalDynamoDb();
    client = localClient(db.endpoint);
    await createRoutingTableStore(client, 'passage');
    await keysGenerate({ out: join(dir, 'ddb-keys') }, fakeContext());
    keyFile = join(dir, 'ddb-keys', 'passage-signing.key');
    to = `dynamodb://passage/prod?region=local&endpoint=${db.endpoint}`;
  });
  after(async () => {
    client.destroy();
    await db.close();
  });

  test('publish signs and writes LATEST and the history item; a version that is not higher is refused', async () => {
    const ctx = fakeContext({ json: true });
    await publish({ file: routes(1, { a: '10.0.0.1:25565' }), to, keys: [keyFile], expiresInMs: 3_600_000, ...trustedBy(keyFile) }, ctx);
    const published = JSON.parse(ctx.out());
    assert.deepEqual({ ...published, expiresAt: undefined, keyids: undefined, verifiedBy: undefined }, { location: 'dynamodb://passage/prod', tableId: 'prod', version: 1, previousVersion: null, expiresAt: undefined, keyids: undefined, verifiedBy: undefined });
    assert.equal(published.verifiedBy, published.keyids[0], 'checked against the trusted key before writing');
    await assert.rejects(publish({ file: routes(1, { b: '10.0.0.2:25565' }), to, keys: [keyFile], expiresInMs: 3_600_000, ...trustedBy(keyFile) }, fakeContext()), (err: unknown) => err instanceof CliError && err.code === 'ERR_TABLE_STALE_VERSION');
    await assert.rejects(publish({ file: routes(2, { a: '10.0.0.1:25565' }, 'staging'), to, keys: [keyFile], expiresInMs: 3_600_000, ...trustedBy(keyFile) }, fakeContext()), (err: unknown) => err instanceof CliError && err.code === 'ERR_TABLE_WRONG_ID');
    await assert.rejects(publish({ file: routes(2, { a: '10.0.0.1:25565' }), to, keys: [], expiresInMs: 3_600_000, ...trustedBy(keyFile) }, fakeContext()), UsageError);
  });

  test('diff shows routes and targets added, removed and changed against the published table', async () => {
    const next = join(dir, 'next.toml');
    writeFileSync(next, [
      'table_id = "prod"', 'version = 2',
      '[[routes]]', 'id = "lobby"', 'hosts = ["play.example.com"]',
      '[[routes.targets]]', 'id = "a"', 'address = "10.0.0.9:25565"',
      '[[routes.targets]]', 'id = "c"', 'address = "10.0.0.3:25565"',
      '[[routes]]', 'id = "survival"', 'hosts = ["survival.example.com"]',
    ].join('\n'));
    const ctx = fakeContext();
    await diff({ file: next, from: to }, ctx);
    assert.equal(ctx.out(), [
      'version 1 → 2',
      '+ route survival (survival.example.com), targets: none',
      '~ route lobby',
      '    + target c 10.0.0.3:25565 (priority 0)',
      '    ~ target a: address 10.0.0.1:25565 → 10.0.0.9:25565',
      '',
    ].join('\n'));
    const json = fakeContext({ json: true });
    await diff({ file: next, from: to }, json);
    assert.equal(JSON.parse(json.out()).changed[0].targets.changed[0].id, 'a');
  });

  test('of two publishers racing from the same version, exactly one wins and the other is told who', async () => {
    const key = newKey();
    const store = (): DynamoDbTableStore => new DynamoDbTableStore(localClient(db.endpoint), 'passage', 'race', Date.now);
    const doc = (version: number, address: string): Record<string, unknown> => ({ table_id: 'race', version, routes: [{ id: 'r', hosts: ['*'], targets: [{ id: 't', address }] }] });
    await store().publish({ version: 1, envelope: envelopeFor(doc(1, '10.0.0.1:1'), key.privateKey) }, undefined);
    for (const [va, vb] of [[2, 2], [3, 4]] as const) {
      const prev = (await store().latest())!.version;
      const results = await Promise.allSettled([
        store().publish({ version: va, envelope: envelopeFor(doc(va, '10.0.0.2:1'), key.privateKey) }, prev),
        store().publish({ version: vb, envelope: envelopeFor(doc(vb, '10.0.0.3:1'), key.privateKey) }, prev),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.equal(won.length, 1, `versions ${va}/${vb}: ${results.map((r) => r.status)}`);
      assert.ok(lost[0]!.reason instanceof PublishConflictError, String(lost[0]!.reason));
      const latest = (await store().latest())!;
      assert.match(lost[0]!.reason.message, new RegExp(`someone published version ${latest.version} first`));
      // The winner's history item is intact, the loser left none behind.
      const versions = (await store().history(10)).map((e) => e.version);
      assert.equal(versions[0], latest.version);
      assert.equal(versions.filter((v) => v !== latest.version && v > prev).length, 0);
    }
  });

  test('show, history and rollback', async () => {
    await publish({ file: routes(2, { b: '10.0.0.2:25565' }), to, keys: [keyFile], expiresInMs: 3_600_000, ...trustedBy(keyFile) }, fakeContext());
    const shown = fakeContext();
    await show({ from: to }, shown);
    assert.match(shown.out(), /table {4}prod@2/);
    assert.match(shown.out(), /b {20}10\.0\.0\.2:25565/);

    await rollback({ version: 1, from: to, keys: [keyFile], expiresInMs: 3_600_000, ...trustedBy(keyFile) }, fakeContext());
    const listed = fakeContext({ json: true });
    await history({ from: to, limit: 10 }, listed);
    const versions = JSON.parse(listed.out()).versions as { version: number; latest: boolean }[];
    assert.deepEqual(versions.map((v) => [v.version, v.latest]), [[3, true], [2, false], [1, false]]);
    const latest = fakeContext({ json: true });
    await show({ from: to }, latest);
    assert.equal(JSON.parse(latest.out()).document.routes[0].targets[0].address, '10.0.0.1:25565');
    await assert.rejects(rollback({ version: 42, from: to, keys: [keyFile], expiresInMs: 3_600_000, ...trustedBy(keyFile) }, fakeContext()), /no version 42/);
  });

  test('file:// publishing keeps the latest envelope and a history next to it', async () => {
    const target = `file://${join(dir, 'published', 'table.json')}`;
    await publish({ file: routes(1, { a: '10.0.0.1:25565' }), to: target, keys: [keyFile], expiresInMs: 3_600_000, ...trustedBy(keyFile) }, fakeContext());
    await publish({ file: routes(2, { b: '10.0.0.2:25565' }), to: target, keys: [keyFile], expiresInMs: 3_600_000, ...trustedBy(keyFile) }, fakeContext());
    assert.equal(JSON.parse(readFileSync(join(dir, 'published', 'table.json'), 'utf8')).payloadType, 'application/vnd.passage.table+json');
    const listed = fakeContext({ json: true });
    await history({ from: target, limit: 5 }, listed);
    assert.deepEqual(JSON.parse(listed.out()).versions.map((v: { version: number }) => v.version), [2, 1]);
  });

  test('publish and rollback refuse, before writing, a table the regions file\'s routers would refuse; --force publishes it with a warning', async () => {
    const env = mkdtempSync(join(tmpdir(), 'passage-trust-'));
    const regions = (publicKeys: string, tableId = 'prod') => {
      const file = join(env, `regions-${tableId}-${publicKeys.length}.toml`);
      writeFileSync(file, `home_region = "eu-west-1"\ndomain = "play.example.com"\nhosted_zone = "example.com"\ntable_id = "${tableId}"\npublic_keys = ${publicKeys}\n[regions.eu-west-1]\ncontinents = ["EU"]\n`);
      return { trust: { regionsFile: file }, force: false };
    };
    writeFileSync(join(env, 'trusted.pub'), readFileSync(keyFile.replace(/\.key$/, '.pub')));
    const trusted = regions('["trusted.pub"]');
    await keysGenerate({ out: join(env, 'stranger') }, fakeContext());
    const stranger = join(env, 'stranger', 'passage-signing.key');
    const target = `file://${join(env, 'published', 'table.json')}`;
    const latest = async () => (await openStore(parseLocation(target), fakeContext()).latest())?.version;
    await publish({ file: routes(1, { a: '10.0.0.1:25565' }), to: target, keys: [keyFile], expiresInMs: 3_600_000, ...trusted }, fakeContext());

    // Signed by a key the routers do not trust: refused with the router's own code, nothing written.
    await assert.rejects(publish({ file: routes(2, { b: '10.0.0.2:25565' }), to: target, keys: [stranger], expiresInMs: 3_600_000, ...trusted }, fakeContext()), (err: unknown) =>
      err instanceof CliError && err.code === 'ERR_TABLE_UNTRUSTED_KEY' && /routers trusting .*public_keys would refuse prod@2/.test(err.message) && /nothing was written \(--force publishes anyway\)/.test(err.message));
    // Another environment's table id; a regions file that trusts nothing; no regions file at all.
    await assert.rejects(publish({ file: routes(2, { b: '10.0.0.2:25565' }, 'staging'), to: target, keys: [keyFile], expiresInMs: 3_600_000, ...trusted }, fakeContext()), (err: unknown) => err instanceof CliError && err.code === 'ERR_TABLE_WRONG_ID');
    await assert.rejects(publish({ file: routes(2, { b: '10.0.0.2:25565' }), to: target, keys: [keyFile], expiresInMs: 3_600_000, ...regions('[]') }, fakeContext()), (err: unknown) =>
      err instanceof CliError && err.code === 'PASSAGE_NO_TRUSTED_KEYS' && /public_keys is empty.*passagectl keys generate/.test(err.message));
    await assert.rejects(publish({ file: routes(2, { b: '10.0.0.2:25565' }), to: target, keys: [keyFile], expiresInMs: 3_600_000, trust: { regionsFile: join(env, 'nope.toml') }, force: false }, fakeContext()), (err: unknown) =>
      err instanceof CliError && /nope\.toml does not exist: .*--regions-file FILE or --public-key KEY\.pub/.test(err.message));
    assert.equal(await latest(), 1, 'no refused publish wrote anything');

    const forced = fakeContext({ json: true });
    await publish({ file: routes(2, { b: '10.0.0.2:25565' }), to: target, keys: [stranger], expiresInMs: 3_600_000, ...trusted, force: true }, forced);
    assert.match(forced.err(), /warning: --force: .*ERR_TABLE_UNTRUSTED_KEY|warning: --force: .*would refuse prod@2/);
    assert.equal(JSON.parse(forced.out()).verifiedBy, null);
    assert.equal(await latest(), 2);
    // Rollback republishes through the same check.
    await assert.rejects(rollback({ version: 1, from: target, keys: [stranger], expiresInMs: 3_600_000, ...trusted }, fakeContext()), (err: unknown) => err instanceof CliError && err.code === 'ERR_TABLE_UNTRUSTED_KEY');
    assert.equal(await latest(), 2);
  });
});
