import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { tablePartitionKey } from '../../../router/contracts/dynamodb-keys.ts';
import { DynamoDbTableSource } from '../../../router/routing/sources/dynamodb.ts';
import { FileTableSource } from '../../../router/routing/sources/file.ts';
import { TableSourceError } from '../../../router/routing/sources/source.ts';
import { TableTooLargeError } from '../../../router/table/errors.ts';
import { createRoutingTableStore, startLocalDynamoDb, type LocalDynamoDb } from '../../../cli/tables/local-dynamodb.ts';
import { envelopeFor, localClient, newKey, tableDocument } from '../../helpers/tables.ts';

const signal = new AbortController().signal;

describe('DynamoDbTableSource against dynalite', () => {
  let db: LocalDynamoDb;
  let client: DynamoDBClient;
  before(async () => {
    db = await startLocalDynamoDb();
    client = localClient(db.endpoint);
    await createRoutingTableStore(client, 'passage');
  });
  after(async () => {
    client.destroy();
    await db.close();
  });

  const put = (id: string, envelope: string): Promise<unknown> =>
    client.send(new PutItemCommand({ TableName: 'passage', Item: { pk: { S: tablePartitionKey(id) }, sk: { S: 'LATEST' }, envelope: { S: envelope }, version: { N: '1' } } }));

  test('reads the envelope string of the LATEST item', async () => {
    const env = envelopeFor(tableDocument('prod', 1, [1]), newKey().privateKey);
    await put('prod', env);
    const source = new DynamoDbTableSource({ client, table: 'passage', tableId: 'prod', maxBytes: 64 * 1024 });
    const result = await source.fetch(signal);
    assert.equal(result.kind === 'envelope' && result.bytes.toString(), env);
    assert.equal(source.description, 'dynamodb://passage/prod');
  });

  test('an item above the size cap is refused as too large', async () => {
    await put('big', 'x'.repeat(5000));
    const source = new DynamoDbTableSource({ client, table: 'passage', tableId: 'big', maxBytes: 4096 });
    await assert.rejects(source.fetch(signal), (err: unknown) => err instanceof TableTooLargeError && err.size === 5000);
  });

  test('nothing published, no such table, and an unreachable endpoint are source errors', async () => {
    const codeOf = async (source: DynamoDbTableSource): Promise<string> => source.fetch(signal).then(() => 'none', (err: TableSourceError) => err.code);
    assert.equal(await codeOf(new DynamoDbTableSource({ client, table: 'passage', tableId: 'nothing', maxBytes: 4096 })), 'ERR_SOURCE_NOT_FOUND');
    assert.equal(await codeOf(new DynamoDbTableSource({ client, table: 'missing', tableId: 'prod', maxBytes: 4096 })), 'ERR_SOURCE_NOT_FOUND');
    const down = localClient('http://127.0.0.1:1');
    assert.equal(await codeOf(new DynamoDbTableSource({ client: down, table: 'passage', tableId: 'prod', maxBytes: 4096, timeoutMs: 2_000 })), 'ERR_SOURCE_UNREACHABLE');
    down.destroy();
  });
});

describe('FileTableSource', () => {
  const dir = mkdtempSync(join(tmpdir(), 'passage-file-source-'));

  test('a plain routes file is an unsigned table, and unchanged bytes are "not modified"', async () => {
    const path = join(dir, 'routes.toml');
    writeFileSync(path, 'table_id = "local"\nversion = 1\n[[routes]]\nid = "a"\nhosts = ["*"]\n');
    const source = new FileTableSource(path);
    const first = await source.fetch();
    assert.equal(first.kind === 'unsigned' && first.table.version, 1);
    assert.deepEqual(await source.fetch(), { kind: 'not_modified' });
    writeFileSync(path, 'table_id = "local"\nversion = 2\n[[routes]]\nid = "a"\nhosts = ["*"]\n');
    const second = await source.fetch();
    assert.equal(second.kind === 'unsigned' && second.table.version, 2);
  });

  test('a JSON file holding an envelope is returned as envelope bytes', async () => {
    const path = join(dir, 'table.json');
    const env = envelopeFor(tableDocument('prod', 1, [1]), newKey().privateKey);
    writeFileSync(path, env);
    const result = await new FileTableSource(path).fetch();
    assert.equal(result.kind === 'envelope' && result.bytes.toString(), env);
  });

  test('a broken or missing file is a source error, read again on the next poll', async () => {
    const path = join(dir, 'broken.toml');
    writeFileSync(path, 'table_id = ');
    const source = new FileTableSource(path);
    await assert.rejects(source.fetch(), (err: unknown) => err instanceof TableSourceError && err.code === 'ERR_SOURCE_FILE' && /invalid TOML/.test(err.message));
    await assert.rejects(source.fetch(), /invalid TOML/);
    await assert.rejects(new FileTableSource(join(dir, 'nope.toml')).fetch(), /file not found/);
  });
});
