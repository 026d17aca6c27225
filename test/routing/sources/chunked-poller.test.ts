// A router applying chunked (and big single-envelope) tables (issue 19): same table as one envelope,
// only changed chunks fetched, every defence kept, chunks cached, and the event loop never held.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TableCache } from '../../../router/routing/sources/cache.ts';
import type { PollerOptions, TablePoller } from '../../../router/routing/sources/poller.ts';
import type { FetchResult, TableSource } from '../../../router/routing/sources/source.ts';
import { TableStore } from '../../../router/routing/store.ts';
import { parseRoutingTable } from '../../../router/table/schema.ts';
import { signTable } from '../../../router/table/envelope.ts';
import { bigDocument, ChunkedSource } from '../../helpers/chunked-tables.ts';
import { newKey, signedTablePoller } from '../../helpers/tables.ts';

const key = newKey();

// Every test runs twice: with the routes built on the event loop in slices, and in a worker thread
// (assemble-off-thread.ts), which must give the same tables, refusals and chunk reads.
for (const where of ['on the event loop', 'in a worker thread'] as const) {
  const offThread = where === 'in a worker thread';

  function setup(source: TableSource, overrides: Partial<PollerOptions> = {}): { poller: TablePoller; store: TableStore } {
    const store = new TableStore();
    const poller = signedTablePoller({ source, store, trustedKeys: [key.publicKey], assembleOffThreadMinRoutes: offThread ? 0 : Number.POSITIVE_INFINITY, ...overrides });
    return { poller, store };
  }

  describe(`chunked tables in the poller, built ${where}`, () => {
    test('a chunked table is applied as the same table its single envelope gives, and resolves hosts', async () => {
      const source = new ChunkedSource();
      source.publish(bigDocument('prod', 2_000), key.privateKey);
      const { poller, store } = setup(source);
      assert.deepEqual(await poller.pollOnce(), { kind: 'applied', version: 1 });
      const expected = signTable(bigDocument('prod', 2_000), key.privateKey, { now: store.current!.table.issuedAt!, expiresInMs: 3_600_000 }).table;
      assert.deepEqual([...store.current!.table.routes], expected.routes);
      assert.equal(store.current!.resolve('play1999.example.com')?.id, 'route-1999');
      assert.equal(store.current!.resolve('mc.net7.example.org')?.id, 'route-7');
      assert.equal(poller.lastApply()?.format, 'chunked');
      assert.equal(poller.lastApply()?.chunksRead, poller.lastApply()?.chunks);
      assert.equal(poller.lastApply()?.offThread, offThread);
    });

    test('a manifest too big to verify on the event loop is verified in a worker, with the same checks', async () => {
      const source = new ChunkedSource();
      source.publish(bigDocument('prod', 2_000, 1), key.privateKey);
      const { poller, store } = setup(source, { inlineVerifyMaxBytes: 100 });
      assert.deepEqual(await poller.pollOnce(), { kind: 'applied', version: 1 });
      assert.equal(poller.lastApply()?.format, 'chunked');
      assert.equal(store.current!.resolve('play42.example.com')?.id, 'route-42');
      const other = setup(source, { inlineVerifyMaxBytes: 100, expectedTableId: 'staging' });
      const refused = await other.poller.pollOnce();
      assert.equal(refused.kind === 'rejected' && refused.reason, 'ERR_TABLE_WRONG_ID');
    });

    test('a one-route change reads one chunk; an unchanged poll reads none', async () => {
      const source = new ChunkedSource();
      source.publish(bigDocument('prod', 3_000, 1), key.privateKey);
      const { poller, store } = setup(source);
      await poller.pollOnce();
      const before = source.chunkReads.length;
      assert.deepEqual(await poller.pollOnce(), { kind: 'unchanged' });
      assert.equal(source.chunkReads.length, before);
      source.publish(bigDocument('prod', 3_000, 2, (i) => (i === 2_500 ? ' (new)' : '')), key.privateKey);
      assert.deepEqual(await poller.pollOnce(), { kind: 'applied', version: 2 });
      assert.equal(source.chunkReads.length - before, 1);
      assert.equal(poller.lastApply()?.chunksRead, 1);
      assert.equal(store.current!.resolve('play2500.example.com')?.status.motd, 'Route 2500 (new)');
    });

    test('a chunk whose bytes do not match the manifest is refused (ERR_TABLE_CHUNK) and the last good table kept', async () => {
      const source = new ChunkedSource();
      source.publish(bigDocument('prod', 500, 1), key.privateKey);
      const { poller, store } = setup(source);
      await poller.pollOnce();
      source.publish(bigDocument('prod', 500, 2, () => ' v2'), key.privateKey, { corrupt: true });
      const outcome = await poller.pollOnce();
      assert.equal(outcome.kind, 'rejected');
      assert.equal(outcome.kind === 'rejected' && outcome.reason, 'ERR_TABLE_CHUNK');
      assert.equal(store.current!.table.version, 1);
      assert.equal(poller.status().rejections.ERR_TABLE_CHUNK, 1);
    });

    test('a chunk not there yet (replication) is a failed poll that the next poll retries, not a refusal', async () => {
      const source = new ChunkedSource();
      const chunks = source.publish(bigDocument('prod', 500, 1), key.privateKey, { withhold: true });
      const { poller, store } = setup(source);
      const first = await poller.pollOnce();
      assert.equal(first.kind === 'error' && first.code, 'ERR_SOURCE_NOT_FOUND');
      assert.equal(store.current, undefined);
      for (const chunk of chunks) source.chunks.set(chunk.ref.sha256, chunk.bytes);
      assert.deepEqual(await poller.pollOnce(), { kind: 'applied', version: 1 });
    });

    test('a chunked table with a route problem is refused with the problems a single envelope would give', async () => {
      const source = new ChunkedSource();
      const doc = bigDocument('prod', 400, 1);
      const routes = doc.routes as Record<string, unknown>[];
      routes[399]!.hosts = ['play3.example.com'];
      routes[250]!.id = 'route-7';
      // The rules between a route's fields hold in chunks too: a relay cannot honour a whitelist.
      routes[120]!.mode = 'passthrough';
      routes[120]!.access = { allow_players: ['Notch'] };
      source.publishUnchecked(doc, key.privateKey);
      const { poller, store } = setup(source);
      const outcome = await poller.pollOnce();
      assert.equal(outcome.kind === 'rejected' && outcome.reason, 'ERR_TABLE_INVALID');
      let single = '';
      try {
        parseRoutingTable({ ...doc, issued_at: '2025-01-01T00:00:00Z', expires_at: '2099-01-01T00:00:00Z' }, { requireExpiry: true });
      } catch (err) {
        single = (err as Error).message;
      }
      assert.match(single, /duplicate host "play3.example.com" \(already listed at routes\[3\]\.hosts\[0\]\)/);
      assert.match(single, /routes\[120\]\.access\.allow_players: does not apply to passthrough routes/);
      assert.equal(outcome.kind === 'rejected' && outcome.message, single);
      assert.equal(store.current, undefined);
    });

    test('chunks are cached beside the manifest: a restart during an outage serves the chunked table', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'passage-chunks-'));
      const cache = new TableCache(join(dir, 'cache.json'));
      const source = new ChunkedSource();
      source.publish(bigDocument('prod', 1_500, 1), key.privateKey);
      const first = setup(source, { cache });
      await first.poller.pollOnce();
      const cached = readdirSync(cache.chunkDir).filter((n) => n.endsWith('.json'));
      assert.equal(cached.length, first.poller.lastApply()!.chunks);

      const down: TableSource = { description: 'down://', fetch: (): Promise<FetchResult> => Promise.reject(new Error('down')) };
      const restarted = setup(down, { cache });
      assert.equal(await restarted.poller.loadCache(), true);
      assert.equal(restarted.store.current!.table.routes.length, 1_500);

      // A newer table replaces the cached chunks it no longer uses.
      source.publish(bigDocument('prod', 1_500, 2, (i) => (i < 10 ? ' v2' : '')), key.privateKey);
      await first.poller.pollOnce();
      const after = readdirSync(cache.chunkDir).filter((n) => n.endsWith('.json'));
      assert.equal(after.length, first.poller.lastApply()!.chunks);
      assert.ok(after.some((n) => !cached.includes(n)));
    });

    test('a big single envelope is verified off the event loop and gives the same table; its refusals keep their codes', async () => {
      const doc = bigDocument('prod', 1_200, 1);
      const envelope = Buffer.from(JSON.stringify(signTable(doc, key.privateKey, { now: Date.now(), expiresInMs: 3_600_000 }).envelope));
      const source: TableSource = { description: 'single://', fetch: async () => ({ kind: 'envelope', bytes: envelope }) };
      const { poller, store } = setup(source, { inlineVerifyMaxBytes: 1024 });
      assert.deepEqual(await poller.pollOnce(), { kind: 'applied', version: 1 });
      assert.equal(poller.lastApply()?.format, 'envelope');
      const current = store.current!.table;
      assert.deepEqual({ ...current, routes: [...current.routes] }, parseRoutingTable(JSON.parse(Buffer.from(JSON.parse(envelope.toString()).payload, 'base64').toString()), { requireExpiry: true }));

      const stranger = setup(source, { inlineVerifyMaxBytes: 1024, trustedKeys: [newKey().publicKey] });
      const refused = await stranger.poller.pollOnce();
      assert.equal(refused.kind === 'rejected' && refused.reason, 'ERR_TABLE_UNTRUSTED_KEY');
    });

    test('applying a big table gives the event loop back between slices: a timer set when it starts fires before it ends', async () => {
      const source = new ChunkedSource();
      source.publish(bigDocument('prod', 2_000, 1), key.privateKey);
      const { poller } = setup(source, { sliceBudgetMs: 0 });
      const order: string[] = [];
      source.onChunkRead = () => {
        source.onChunkRead = undefined;
        setTimeout(() => order.push('timer'), 0);
      };
      await poller.pollOnce().then(() => order.push('applied'));
      assert.deepEqual(order, ['timer', 'applied']);
      // In a worker thread the loop does not build routes at all: it only makes the (here no) routes with adapters.
      if (offThread) assert.equal(poller.lastApply()!.yields, 0);
      else assert.ok(poller.lastApply()!.yields >= 2_000, `yields: ${poller.lastApply()!.yields}`);
    });
  });
}
