// /status shows the table in use as it was published: chunked or not, its chunks, its size, and the
// chunks the last poll read (0 when nothing changed, 1 for a one-route change).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { createAdminServer } from '../../router/admin/server.ts';
import { RouterMetrics } from '../../router/metrics/registry.ts';
import { buildConfig } from '../../router/config/load.ts';
import { NewerProtocols } from '../../router/connection/newer-protocols.ts';
import type { TableInUseStatus } from '../../router/routing/sources/poller.ts';
import type { FetchResult, TableSource } from '../../router/routing/sources/source.ts';
import { TableStore } from '../../router/routing/store.ts';
import type { Router } from '../../router/server.ts';
import { bigDocument, ChunkedSource } from '../helpers/chunked-tables.ts';
import { envelopeFor, newKey, signedTablePoller, silentLog, tableDocument } from '../helpers/tables.ts';

const key = newKey();
const store = new TableStore();
const chunked = new ChunkedSource();
let single: Buffer | undefined;
// Serves the chunked source's manifest until a single envelope is set.
const source: TableSource = {
  description: 'scripted://chunks',
  fetch: async (): Promise<FetchResult> => (single === undefined ? chunked.fetch() : { kind: 'envelope', bytes: single }),
  fetchChunk: (ref) => chunked.fetchChunk(ref),
};
const poller = signedTablePoller({ source, store, trustedKeys: [key.publicKey] });
const metrics = new RouterMetrics({ defaultMetrics: false });
// The admin server reads only these fields of the router (and its context), built from the real parts;
// extraStatus is what router/app.ts passes.
const defaults = buildConfig({}, '/etc/passage/passage.toml', {});
const router = { draining: false, ctx: { tables: store, newerProtocols: new NewerProtocols(defaults.protocol, silentLog) }, uptimeSeconds: 1, activeConnections: 0 } as unknown as Router;
const server = createAdminServer({ router, metrics, version: 'test', extraStatus: () => ({ tableSource: poller.status() }) });
await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
after(() => server.close());

async function inUse(): Promise<TableInUseStatus | null> {
  const status = (await (await fetch(`${base}/status`)).json()) as { tableSource: { inUse: TableInUseStatus | null } };
  return status.tableSource.inUse;
}

test('before any table: inUse is null', async () => {
  assert.equal(await inUse(), null);
});

test('a chunked table: its chunks, its bytes (manifest and chunks), and the chunks each poll read', async () => {
  const chunks = chunked.publish(bigDocument('prod', 2_000, 1), key.privateKey);
  assert.equal((await poller.pollOnce()).kind, 'applied');
  const bytes = chunked.envelope!.length + chunks.reduce((n, c) => n + c.bytes.length, 0);
  assert.deepEqual(await inUse(), { format: 'chunked', chunks: chunks.length, bytes, chunksFetchedLastPoll: chunks.length });

  assert.equal((await poller.pollOnce()).kind, 'unchanged');
  assert.equal((await inUse())?.chunksFetchedLastPoll, 0);

  const next = chunked.publish(bigDocument('prod', 2_000, 2, (i) => (i === 1_500 ? ' edited' : '')), key.privateKey);
  assert.equal((await poller.pollOnce()).kind, 'applied');
  assert.deepEqual(await inUse(), { format: 'chunked', chunks: next.length, bytes: chunked.envelope!.length + next.reduce((n, c) => n + c.bytes.length, 0), chunksFetchedLastPoll: 1 });
});

test('a single envelope: not chunked, its envelope size', async () => {
  single = Buffer.from(envelopeFor(tableDocument('prod', 3, [25565]), key.privateKey));
  assert.equal((await poller.pollOnce()).kind, 'applied');
  assert.deepEqual(await inUse(), { format: 'envelope', chunks: 0, bytes: single.length, chunksFetchedLastPoll: 0 });
});
