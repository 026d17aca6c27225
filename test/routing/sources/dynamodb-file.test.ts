import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { tablePartitionKey } from '../../../router/contracts/dynamodb-keys.ts';
import { DynamoDbTableSource } from '../../../router/routing/sources/dynamodb.ts';
import { ActiveTable } from '../../../router/routing/active-table.ts';
import { FileTableSource } from '../../../router/routing/sources/file.ts';
import { FILE_INLINE_MAX_BYTES } from '../../../router/routing/sources/file-off-thread.ts';
import { TablePoller } from '../../../router/routing/sources/poller.ts';
import { TableStore } from '../../../router/routing/store.ts';
import { TableSourceError } from '../../../router/routing/sources/source.ts';
import { TableTooLargeError } from '../../../router/table/errors.ts';
import type { RoutingTable } from '../../../router/table/types.ts';
import { createRoutingTableStore, startLocalDynamoDb, type LocalDynamoDb } from '../../../cli/tables/local-dynamodb.ts';
import { envelopeFor, localClient, newKey, silentLog, tableDocument } from '../../helpers/tables.ts';

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

function versionOf(table: RoutingTable | ActiveTable): number {
  return table instanceof ActiveTable ? table.table.version : table.version;
}

// On the loop (a small file) and in a worker thread (a big one: inlineMaxBytes 0 sends every file there).
for (const where of ['on the event loop', 'in a worker thread'] as const) {
  const opts = where === 'in a worker thread' ? { inlineMaxBytes: 0 } : {};
  describe(`FileTableSource, a file read ${where}`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'passage-file-source-'));

    test('a plain routes file is an unsigned table, and unchanged bytes are "not modified"', async () => {
      const path = join(dir, 'routes.toml');
      writeFileSync(path, 'table_id = "local"\nversion = 1\n[[routes]]\nid = "a"\nhosts = ["*"]\n');
      const source = new FileTableSource(path, opts);
      const first = await source.fetch();
      assert.equal(first.kind === 'unsigned' && versionOf(first.table), 1);
      assert.deepEqual(await source.fetch(), { kind: 'not_modified' });
      writeFileSync(path, 'table_id = "local"\nversion = 2\n[[routes]]\nid = "a"\nhosts = ["*"]\n');
      const second = await source.fetch();
      assert.equal(second.kind === 'unsigned' && versionOf(second.table), 2);
    });

    test('a JSON file holding an envelope is returned as envelope bytes', async () => {
      const path = join(dir, 'table.json');
      const env = envelopeFor(tableDocument('prod', 1, [1]), newKey().privateKey);
      writeFileSync(path, env);
      const result = await new FileTableSource(path, opts).fetch();
      assert.equal(result.kind === 'envelope' && result.bytes.toString(), env);
    });

    test('a broken or missing file is a source error, read again on the next poll', async () => {
      const path = join(dir, 'broken.toml');
      writeFileSync(path, 'table_id = ');
      const source = new FileTableSource(path, opts);
      await assert.rejects(source.fetch(), (err: unknown) => err instanceof TableSourceError && err.code === 'ERR_SOURCE_FILE' && /invalid TOML/.test(err.message));
      await assert.rejects(source.fetch(), /invalid TOML/);
      await assert.rejects(new FileTableSource(join(dir, 'nope.toml'), opts).fetch(), /file not found/);
    });
  });
}

test('a big routes file is built in a worker thread into the table the loop builds from a small one: hosts, favicons beside it, routes with adapters', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'passage-big-file-'));
  copyFileSync(new URL('../../../docs/favicon.png', import.meta.url), join(dir, 'icon.png'));
  const lines = ['table_id = "local"', 'version = 1', ''];
  for (let i = 0; i < 2_000; i++) {
    lines.push('[[routes]]', `id = "c${i}"`, `hosts = ["c${i}.host.example", "*.n${i}.host.example"]`);
    if (i === 7) lines.push('[routes.status]', 'motd = "with icon"', 'favicon = "icon.png"');
    if (i === 9) lines.push('[routes.status_adapter]', 'type = "http"', 'url = "https://status.example.com/s"', 'cache_ttl = "5s"', 'timeout = "1s"');
    lines.push('[[routes.targets]]', 'id = "a"', `address = "127.0.0.1:${30000 + (i % 1000)}"`, '');
  }
  lines.push('[[routes]]', 'id = "default"', 'hosts = ["*"]', '[[routes.targets]]', 'id = "a"', 'address = "127.0.0.1:25565"');
  const path = join(dir, 'routes.toml');
  writeFileSync(path, lines.join('\n'));
  assert.ok(statSync(path).size > FILE_INLINE_MAX_BYTES);
  const applied = async (source: FileTableSource) => {
    const store = new TableStore();
    const poller = new TablePoller({ source, store, expectedTableId: 'local', allowUnsigned: true, maxBytes: 16 * 1024 * 1024, intervalMs: 1_000, log: silentLog, trustedKeys: [] });
    assert.deepEqual(await poller.pollOnce(), { kind: 'applied', version: 1 });
    return { active: store.current!, stats: poller.lastApply()! };
  };
  const thread = await applied(new FileTableSource(path));
  const loop = await applied(new FileTableSource(path, { inlineMaxBytes: Number.POSITIVE_INFINITY }));
  assert.equal(thread.stats.offThread, true);
  assert.equal(loop.stats.offThread, false);
  assert.deepEqual([...thread.active.table.routes], [...loop.active.table.routes]);
  for (const host of ['c7.host.example', 'x.n1999.host.example', 'n5.host.example', 'c9.host.example', 'elsewhere.example']) {
    assert.equal(thread.active.resolve(host)?.id, loop.active.resolve(host)?.id, host);
  }
  assert.match(String(thread.active.resolve('c7.host.example')?.status.favicon), /^data:image\/png;base64,/);
  assert.deepEqual(thread.active.adapterRoutes.map((r) => r.id), ['c9']);
  assert.equal(thread.active.resolve('c9.host.example'), thread.active.adapterRoutes[0]);
});
