// Signed tables end to end: dynalite in-process as the control plane, passagectl's publisher, real
// routers polling it, and minecraft-protocol clients that must land on whatever the table says.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KeyObject } from 'node:crypto';
import { startTestRouter, type TestRouter } from '../helpers/router.ts';
import { followTransfer, login, startBackend, type Backend } from '../helpers/minecraft.ts';
import { envelopeFor, eventually, fakeContext, localClient, newKey, tableDocument, trustedBy } from '../helpers/tables.ts';
import { createRoutingTableStore, startLocalDynamoDb, type LocalDynamoDb } from '../../cli/tables/local-dynamodb.ts';
import { run as rollback } from '../../cli/commands/table-rollback.ts';
import { canonicalize } from '../../router/table/canonical.ts';

const VERSION = '1.21.4';
const POLL = 200;
/** Waits are generous (a loaded CI machine); "within one poll interval" is counted in polls. */
const WAIT = 5_000;
const ID = 'prod';

describe('routers polling a signed table from DynamoDB', () => {
  const dir = mkdtempSync(join(tmpdir(), 'passage-tables-'));
  const keyA = newKey();
  const keyB = newKey();
  const pubA = join(dir, 'a.pub');
  const pubB = join(dir, 'b.pub');
  const privA = join(dir, 'a.key');
  const cacheFile = join(dir, 'cache', 'table.json');
  let db: LocalDynamoDb;
  let client: DynamoDBClient;
  let oldBackend: Backend;
  let newBackend: Backend;
  let router: TestRouter;
  let players = 0;

  const putLatest = (envelope: string, version: number): Promise<unknown> =>
    client.send(new PutItemCommand({ TableName: 'passage', Item: { pk: { S: `TABLE#${ID}` }, sk: { S: 'LATEST' }, envelope: { S: envelope }, version: { N: String(version) } } }));
  const location = (): string => `dynamodb://passage/${ID}?region=local&endpoint=${db.endpoint}`;
  const startRouter = (publicKeys: string[], endpoint = db.endpoint): Promise<TestRouter> =>
    startTestRouter({
      routes: '',
      config: {
        auth: { mode: 'offline' },
        table: { source: 'dynamodb', dynamodb: { table: 'passage', id: ID, region: 'local', endpoint }, public_keys: publicKeys, poll_interval: `${POLL}ms`, cache_file: cacheFile, max_bytes: 8192 },
      },
    });
  /** A real login; resolves with the port the router transferred the player to (after following it). */
  const landsOn = async (r: TestRouter): Promise<number> => {
    const username = `Player${++players}`;
    const result = await login({ port: r.port, host: 'play.test', version: VERSION, username });
    assert.ok(result.transfer, `no transfer: ${result.disconnect}`);
    await followTransfer(result.transfer, VERSION, username);
    return result.transfer.port;
  };
  const readyz = async (r: TestRouter): Promise<number> => (await fetch(`${r.adminUrl}/readyz`)).status;
  const status = async (r: TestRouter): Promise<any> => (await fetch(`${r.adminUrl}/status`)).json();

  before(async () => {
    writeFileSync(pubA, keyA.publicKey.export({ format: 'pem', type: 'spki' }));
    writeFileSync(pubB, keyB.publicKey.export({ format: 'pem', type: 'spki' }));
    writeFileSync(privA, keyA.privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
    db = await startLocalDynamoDb();
    client = localClient(db.endpoint);
    await createRoutingTableStore(client, 'passage');
    [oldBackend, newBackend] = await Promise.all([startBackend(VERSION), startBackend(VERSION)]);
  });
  after(async () => {
    await router?.stop(0);
    client.destroy();
    await db.close();
    await Promise.all([oldBackend.close(), newBackend.close()]);
  });

  test('with nothing published and no cache the router starts, but /readyz stays 503', async () => {
    router = await startRouter([pubA]);
    assert.equal(await readyz(router), 503);
    await eventually(async () => (await status(router)).tableSource.lastError?.code === 'ERR_SOURCE_NOT_FOUND', 2_000, 'not-found error on /status');
    assert.equal(await readyz(router), 503);
  });

  test('a published table is applied within one poll interval and players are transferred to its target', async () => {
    await putLatest(envelopeFor(tableDocument(ID, 1, [oldBackend.port]), keyA.privateKey), 1);
    await eventually(async () => (await readyz(router)) === 200, WAIT, 'ready');
    assert.equal(await landsOn(router), oldBackend.port);

    // "Within one poll interval" counted in polls, not milliseconds (a loaded machine stretches time):
    // the poll in flight when the table was written may miss it, the next one must apply it.
    const fetches = (): Promise<number> => router.counter('passage_table_fetch_duration_seconds');
    const before = await fetches();
    await putLatest(envelopeFor(tableDocument(ID, 2, [newBackend.port]), keyA.privateKey), 2);
    await eventually(() => router.router.ctx.tables.current?.table.version === 2, WAIT, 'version 2 applied');
    const polls = (await fetches()) - before;
    assert.ok(polls >= 1 && polls <= 2, `applied after ${polls} polls`);
    assert.equal(await landsOn(router), newBackend.port);
    assert.equal(await router.counter('passage_table_version'), 2);
  });

  const oversized = (): string => {
    const doc = tableDocument(ID, 20, [oldBackend.port]);
    const routes = doc.routes as Record<string, unknown>[];
    for (let i = 0; i < 80; i++) routes.push({ id: `filler-${i}`, hosts: [`filler-${i}.example.com`], targets: [{ id: 'x', address: `10.0.0.${i}:25565` }] });
    return envelopeFor(doc, keyA.privateKey);
  };
  const tampered = (): string => {
    const env = JSON.parse(envelopeFor(tableDocument(ID, 10, [newBackend.port]), keyA.privateKey));
    const doc = JSON.parse(Buffer.from(env.payload, 'base64').toString());
    doc.routes[0].targets[0].address = `127.0.0.1:${oldBackend.port}`;
    env.payload = Buffer.from(canonicalize(doc)).toString('base64');
    return JSON.stringify(env);
  };
  const refusals: [string, string, () => string][] = [
    ['a tampered payload', 'ERR_TABLE_SIGNATURE', tampered],
    ['a table signed by an untrusted key', 'ERR_TABLE_UNTRUSTED_KEY', () => envelopeFor(tableDocument(ID, 11, [oldBackend.port]), keyB.privateKey)],
    ['a lower version', 'ERR_TABLE_STALE_VERSION', () => envelopeFor(tableDocument(ID, 1, [oldBackend.port]), keyA.privateKey)],
    ['an expired table', 'ERR_TABLE_EXPIRED', () => envelopeFor(tableDocument(ID, 12, [oldBackend.port]), keyA.privateKey, { now: Date.now() - 7_200_000 })],
    ['a table for another table id', 'ERR_TABLE_WRONG_ID', () => envelopeFor(tableDocument('staging', 13, [oldBackend.port]), keyA.privateKey)],
    ['an oversized item', 'ERR_TABLE_TOO_LARGE', oversized],
  ];
  for (const [what, reason, make] of refusals) {
    test(`${what} is refused (${reason}) while the old table keeps serving logins`, async () => {
      await putLatest(make(), 99);
      await eventually(async () => (await router.counter('passage_table_rejections_total', { reason })) === 1, WAIT, `${reason} counted`);
      assert.equal(router.router.ctx.tables.current?.table.version, 2);
      assert.equal(await landsOn(router), newBackend.port);
      const s = await status(router);
      assert.equal(s.tableSource.lastRejection.code, reason);
      assert.equal(s.ready, true);
    });
  }

  test('a refused table is counted once, however often the router polls it', async () => {
    await new Promise((r) => setTimeout(r, 3 * POLL));
    assert.equal(await router.counter('passage_table_rejections_total', { reason: 'ERR_TABLE_TOO_LARGE' }), 1);
  });

  test('rollback republishes an older version\'s routes as a higher version and players go back to its target', async () => {
    // Rollback reads the history, so versions 3 and 4 go through the publisher (LATEST + V# items).
    const { DynamoDbTableStore } = await import('../../cli/tables/dynamodb-store.ts');
    const store = new DynamoDbTableStore(client, 'passage', ID, Date.now);
    await putLatest(envelopeFor(tableDocument(ID, 2, [newBackend.port]), keyA.privateKey), 2);
    await store.publish({ version: 3, envelope: envelopeFor(tableDocument(ID, 3, [oldBackend.port]), keyA.privateKey) }, 2);
    await eventually(() => router.router.ctx.tables.current?.table.version === 3, WAIT, 'version 3');
    await store.publish({ version: 4, envelope: envelopeFor(tableDocument(ID, 4, [newBackend.port]), keyA.privateKey) }, 3);
    await eventually(() => router.router.ctx.tables.current?.table.version === 4, WAIT, 'version 4');
    assert.equal(await landsOn(router), newBackend.port);

    const ctx = fakeContext();
    await rollback({ version: 3, from: location(), keys: [privA], expiresInMs: 3_600_000, ...trustedBy(privA) }, ctx);
    assert.match(ctx.out(), /routes of version 3 as prod@5/);
    await eventually(() => router.router.ctx.tables.current?.table.version === 5, WAIT, 'version 5');
    assert.equal(await landsOn(router), oldBackend.port);
  });

  test('with the control plane down at start, a new router serves the cached table', async () => {
    await router.stop(0);
    router = await startRouter([pubA], 'http://127.0.0.1:1');
    assert.equal(await readyz(router), 200);
    assert.equal(router.router.ctx.tables.current?.table.version, 5);
    assert.equal(await landsOn(router), oldBackend.port);
    const s = await status(router);
    assert.equal(s.tableSource.loadedFrom, 'cache');
    await eventually(async () => (await status(router)).tableSource.lastError?.code === 'ERR_SOURCE_UNREACHABLE', 3_000, 'unreachable error');
  });

  test('key rotation: trust both keys, publish with the new one, then retire the old one', async () => {
    await router.stop(0);
    router = await startRouter([pubA, pubB]);
    await eventually(async () => (await readyz(router)) === 200, WAIT, 'ready');
    const store = new (await import('../../cli/tables/dynamodb-store.ts')).DynamoDbTableStore(client, 'passage', ID, Date.now);
    // During the rotation a table carries both signatures, so routers trusting either accept it.
    await store.publish({ version: 6, envelope: envelopeFor(tableDocument(ID, 6, [newBackend.port]), [keyA.privateKey, keyB.privateKey]) }, 5);
    await eventually(() => router.router.ctx.tables.current?.table.version === 6, WAIT, 'version 6');
    await store.publish({ version: 7, envelope: envelopeFor(tableDocument(ID, 7, [oldBackend.port]), keyB.privateKey) }, 6);
    await eventually(() => router.router.ctx.tables.current?.table.version === 7, WAIT, 'version 7 (new key only)');
    assert.equal(await landsOn(router), oldBackend.port);

    await router.stop(0);
    router = await startRouter([pubB]);
    await eventually(async () => (await readyz(router)) === 200, WAIT, 'ready with the new key only');
    await store.publish({ version: 8, envelope: envelopeFor(tableDocument(ID, 8, [newBackend.port]), keyA.privateKey as KeyObject) }, 7);
    await eventually(async () => (await router.counter('passage_table_rejections_total', { reason: 'ERR_TABLE_UNTRUSTED_KEY' })) === 1, WAIT, 'retired key refused');
    assert.equal(await landsOn(router), oldBackend.port);
  });
});
