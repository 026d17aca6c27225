// passagectl on chunked tables (issue 19): publish writes chunks (only new ones) and a manifest;
// show, diff, history and rollback work as for one envelope; gc removes only chunks no version names;
// a router's DynamoDB and file sources read what publish wrote.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { run as keysGenerate } from '../../../cli/commands/keys-generate.ts';
import { run as publish } from '../../../cli/commands/table-publish.ts';
import { run as show } from '../../../cli/commands/table-show.ts';
import { run as history } from '../../../cli/commands/table-history.ts';
import { run as rollback } from '../../../cli/commands/table-rollback.ts';
import { run as diff } from '../../../cli/commands/table-diff.ts';
import { run as gc } from '../../../cli/commands/table-gc.ts';
import { createRoutingTableStore, startLocalDynamoDb, type LocalDynamoDb } from '../../../cli/tables/local-dynamodb.ts';
import { DynamoDbTableSource } from '../../../router/routing/sources/dynamodb.ts';
import { FileTableSource } from '../../../router/routing/sources/file.ts';
import { TablePoller } from '../../../router/routing/sources/poller.ts';
import type { TableSource } from '../../../router/routing/sources/source.ts';
import { TableStore } from '../../../router/routing/store.ts';
import { readPublicKeyFile } from '../../../router/table/keys.ts';
import { bigDocument } from '../../helpers/chunked-tables.ts';
import { fakeContext, localClient, silentLog, trustedBy } from '../../helpers/tables.ts';

const dir = mkdtempSync(join(tmpdir(), 'passage-chunked-cli-'));
const keyFile = join(dir, 'passage-signing.key');
/** Small enough to keep the tests quick: 1,500 routes (~150 KiB) are chunked above 16 KiB. */
const CHUNK_ABOVE = 16 * 1024;

function tableFile(version: number, edit?: (i: number) => string, count = 1_500): string {
  const file = join(dir, `routes-${version}-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(bigDocument('prod', count, version, edit)));
  return file;
}

async function publishFile(file: string, to: string): Promise<Record<string, unknown>> {
  const ctx = fakeContext({ json: true });
  await publish({ file, to, keys: [keyFile], expiresInMs: 3_600_000, ...trustedBy(keyFile), chunkAboveBytes: CHUNK_ABOVE }, ctx);
  return JSON.parse(ctx.out()) as Record<string, unknown>;
}

async function routerApplies(source: TableSource): Promise<TableStore> {
  const store = new TableStore();
  const poller = new TablePoller({ source, store, trustedKeys: [await readPublicKeyFile(keyFile.replace(/\.key$/, '.pub'))], expectedTableId: 'prod', allowUnsigned: false, maxBytes: 16 * 1024 * 1024, intervalMs: 1_000, log: silentLog });
  const outcome = await poller.pollOnce();
  assert.equal(outcome.kind, 'applied', JSON.stringify(outcome));
  return store;
}

before(async () => {
  await keysGenerate({ out: dir }, fakeContext());
});

describe('passagectl on chunked tables (DynamoDB)', () => {
  let db: LocalDynamoDb;
  let client: DynamoDBClient;
  let to: string;
  before(async () => {
    db = await startLocalDynamoDb();
    client = localClient(db.endpoint);
    await createRoutingTableStore(client, 'passage');
    to = `dynamodb://passage/prod?region=local&endpoint=${encodeURIComponent(db.endpoint)}`;
  });
  after(async () => {
    client.destroy();
    await db.close();
  });

  test('publish writes the chunks and a manifest; a one-route change writes one chunk; a router reads it from DynamoDB', async () => {
    const first = await publishFile(tableFile(1), to);
    assert.equal(typeof first.chunks, 'number');
    assert.ok((first.chunks as number) > 3);
    assert.equal(first.chunksWritten, first.chunks);
    const second = await publishFile(tableFile(2, (i) => (i === 700 ? ' edited' : '')), to);
    assert.equal(second.chunksWritten, 1);

    const store = await routerApplies(new DynamoDbTableSource({ client, table: 'passage', tableId: 'prod', maxBytes: 16 * 1024 * 1024 }));
    assert.equal(store.current!.table.version, 2);
    assert.equal(store.current!.resolve('play700.example.com')?.status.motd, 'Route 700 edited');
  });

  test('show, diff and history read a chunked table as they read one envelope', async () => {
    const shown = fakeContext({ json: true });
    await show({ from: to }, shown);
    const doc = JSON.parse(shown.out()).document as { routes: unknown[]; version: number };
    assert.equal(doc.version, 2);
    assert.equal(doc.routes.length, 1_500);

    const diffed = fakeContext({ json: true });
    await diff({ file: tableFile(3, (i) => (i === 700 ? ' edited' : i === 5 ? ' also' : '')), from: to }, diffed);
    assert.match(diffed.out(), /route-5/);
    assert.doesNotMatch(diffed.out(), /route-700/);

    const listed = fakeContext({ json: true });
    await history({ from: to, limit: 10 }, listed);
    const versions = JSON.parse(listed.out()).versions as { version: number; routes: number; chunks: number | null }[];
    assert.deepEqual(versions.map((v) => [v.version, v.routes]), [[2, 1_500], [1, 1_500]]);
    assert.ok(versions.every((v) => typeof v.chunks === 'number'));
  });

  test('rollback republishes an old chunked version as latest + 1 without writing its chunks again', async () => {
    const ctx = fakeContext({ json: true });
    await rollback({ version: 1, from: to, keys: [keyFile], expiresInMs: 3_600_000, ...trustedBy(keyFile), chunkAboveBytes: CHUNK_ABOVE }, ctx);
    const result = JSON.parse(ctx.out()) as { version: number; chunksWritten: number };
    assert.equal(result.version, 3);
    assert.equal(result.chunksWritten, 0);
    const store = await routerApplies(new DynamoDbTableSource({ client, table: 'passage', tableId: 'prod', maxBytes: 16 * 1024 * 1024 }));
    assert.equal(store.current!.resolve('play700.example.com')?.status.motd, 'Route 700');
  });
});

describe('passagectl table gc', () => {
  test('removes only chunks no published version names, and none younger than the grace period', async () => {
    const latest = join(dir, 'gc', 'table.json');
    const to = `file://${latest}`;
    await publishFile(tableFile(1), to);
    await publishFile(tableFile(2, (i) => (i === 10 ? ' v2' : '')), to);
    const chunkDir = `${latest}.chunks`;
    const orphans = ['a', 'b'].map((c) => join(chunkDir, `${c.repeat(64)}.json`));
    for (const file of orphans) writeFileSync(file, '[]');
    const old = new Date(Date.now() - 2 * 3_600_000);
    utimesSync(orphans[0]!, old, old);
    const before = readdirSync(chunkDir).length;

    const ctx = fakeContext({ json: true });
    await gc({ from: to, graceMs: 3_600_000, dryRun: false }, ctx);
    const result = JSON.parse(ctx.out()) as { removed: number; keptRecent: number; versions: number };
    assert.deepEqual([result.removed, result.keptRecent, result.versions], [1, 1, 2]);
    assert.equal(readdirSync(chunkDir).length, before - 1);
    // Every version still assembles, and a router reads the latest from the file source.
    for (const version of [1, 2]) await show({ from: to, version }, fakeContext({ json: true }));
    const store = await routerApplies(new FileTableSource(latest));
    assert.equal(store.current!.resolve('play10.example.com')?.status.motd, 'Route 10 v2');
  });

  test('a small table is still published as one envelope', async () => {
    const result = await publishFile(tableFile(1, undefined, 5), `file://${join(dir, 'small', 'table.json')}`);
    assert.equal('chunks' in result, false);
    assert.equal('chunksWritten' in result, false);
  });
});
