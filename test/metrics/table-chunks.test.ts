// The chunk metrics of chunked tables: chunks read (by origin), chunks refused against their manifest
// (by check, counted once per refused table), and chunks held for the table in use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RouterMetrics } from '../../router/metrics/registry.ts';
import { TableCache } from '../../router/routing/sources/cache.ts';
import type { PollerOptions, TablePoller } from '../../router/routing/sources/poller.ts';
import type { FetchResult, TableSource } from '../../router/routing/sources/source.ts';
import { TableStore } from '../../router/routing/store.ts';
import { signTable } from '../../router/table/envelope.ts';
import { bigDocument, ChunkedSource } from '../helpers/chunked-tables.ts';
import { envelopeFor, newKey, signedTablePoller, tableDocument } from '../helpers/tables.ts';

const key = newKey();

/** A poller whose events only `metrics` counts (its own event source). */
function router(source: TableSource, overrides: Partial<PollerOptions> = {}): { poller: TablePoller; metrics: RouterMetrics; [Symbol.dispose](): void } {
  const eventSource = {};
  const metrics = new RouterMetrics({ defaultMetrics: false }).attach(eventSource);
  const poller = signedTablePoller({ source, store: new TableStore(), trustedKeys: [key.publicKey], eventSource, ...overrides });
  return { poller, metrics, [Symbol.dispose]: () => metrics.detach() };
}

async function value(metrics: RouterMetrics, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const { values } = await metrics.registry.getSingleMetric(name)!.get();
  return values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
}

test('chunks fetched count the chunks read, not those held: a one-route change adds one; the gauge holds the table\'s chunks', async () => {
  const source = new ChunkedSource();
  const chunks = source.publish(bigDocument('prod', 2_000, 1), key.privateKey);
  using r = router(source);
  assert.deepEqual(await r.poller.pollOnce(), { kind: 'applied', version: 1 });
  assert.equal(await value(r.metrics, 'passage_table_chunks_fetched_total', { origin: 'source' }), chunks.length);
  assert.equal(await value(r.metrics, 'passage_table_chunks_held'), chunks.length);
  assert.deepEqual(await r.poller.pollOnce(), { kind: 'unchanged' });
  source.publish(bigDocument('prod', 2_000, 2, (i) => (i === 1_234 ? ' edited' : '')), key.privateKey);
  assert.deepEqual(await r.poller.pollOnce(), { kind: 'applied', version: 2 });
  assert.equal(await value(r.metrics, 'passage_table_chunks_fetched_total', { origin: 'source' }), chunks.length + 1);
  assert.equal(await value(r.metrics, 'passage_table_chunks_held'), chunks.length);
  assert.equal(await value(r.metrics, 'passage_table_chunk_failures_total'), undefined, 'no failures');
});

test('a chunk whose hash, or size, does not match its manifest entry is counted by check, once per refused table', async () => {
  const source = new ChunkedSource();
  source.publish(bigDocument('prod', 500, 1), key.privateKey);
  using r = router(source);
  await r.poller.pollOnce();
  // Same length, other bytes: only the hash tells.
  source.publish(bigDocument('prod', 500, 2, () => ' v2'), key.privateKey, { corrupt: true });
  assert.equal((await r.poller.pollOnce()).kind, 'rejected');
  assert.equal((await r.poller.pollOnce()).kind, 'unchanged', 'the same refused manifest is not verified again');
  assert.equal(await value(r.metrics, 'passage_table_chunk_failures_total', { check: 'sha256' }), 1);

  const v3 = source.publish(bigDocument('prod', 500, 3, () => ' v3'), key.privateKey);
  source.chunks.set(v3[0]!.ref.sha256, Buffer.concat([v3[0]!.bytes, Buffer.from(' ')]));
  assert.equal((await r.poller.pollOnce()).kind, 'rejected');
  assert.equal(await value(r.metrics, 'passage_table_chunk_failures_total', { check: 'size' }), 1);
  assert.equal(await value(r.metrics, 'passage_table_rejections_total', { reason: 'ERR_TABLE_CHUNK' }), 2);
  assert.equal(r.poller.status().rejections.ERR_TABLE_CHUNK, 2);
});

test('a restart reads its chunks from the cache: counted with origin "cache"', async () => {
  const cache = new TableCache(join(mkdtempSync(join(tmpdir(), 'passage-chunk-metrics-')), 'cache.json'));
  const source = new ChunkedSource();
  const chunks = source.publish(bigDocument('prod', 1_000, 1), key.privateKey);
  {
    using first = router(source, { cache });
    await first.poller.pollOnce();
  }
  const down: TableSource = { description: 'down://', fetch: (): Promise<FetchResult> => Promise.reject(new Error('down')) };
  using restarted = router(down, { cache });
  assert.equal(await restarted.poller.loadCache(), true);
  assert.equal(await value(restarted.metrics, 'passage_table_chunks_fetched_total', { origin: 'cache' }), chunks.length);
  assert.equal(await value(restarted.metrics, 'passage_table_chunks_fetched_total', { origin: 'source' }), undefined);
  assert.equal(await value(restarted.metrics, 'passage_table_chunks_held'), chunks.length);
});

test('a big single envelope is held as chunks but fetches none; a small one holds none', async () => {
  const big = Buffer.from(JSON.stringify(signTable(bigDocument('prod', 1_200, 1), key.privateKey, { now: Date.now(), expiresInMs: 3_600_000 }).envelope));
  let answer: Buffer = big;
  using r = router({ description: 'single://', fetch: async () => ({ kind: 'envelope', bytes: answer }) }, { inlineVerifyMaxBytes: 1024 });
  assert.equal((await r.poller.pollOnce()).kind, 'applied');
  assert.ok((await value(r.metrics, 'passage_table_chunks_held'))! > 1);
  assert.equal(await value(r.metrics, 'passage_table_chunks_fetched_total'), undefined);
  answer = Buffer.from(envelopeFor(tableDocument('prod', 2, [25565]), key.privateKey));
  assert.equal((await r.poller.pollOnce()).kind, 'applied');
  assert.equal(await value(r.metrics, 'passage_table_chunks_held'), 0);
});

test('a poll that ends with no table is counted by kind: a chunk not there yet, and a table build thread out of memory', async () => {
  const source = new ChunkedSource();
  const chunks = source.publish(bigDocument('prod', 3_000, 1), key.privateKey, { withhold: true });
  // An old generation of 4 MB: the build thread runs out of memory (ERR_WORKER_OUT_OF_MEMORY); the router does not.
  using r = router(source, { assembleOffThreadMinRoutes: 0, assembleThreadHeapMb: 4 });
  const missing = await r.poller.pollOnce();
  assert.equal(missing.kind === 'error' && missing.code, 'ERR_SOURCE_NOT_FOUND');
  assert.equal(await value(r.metrics, 'passage_table_poll_failures_total', { kind: 'ERR_SOURCE_NOT_FOUND' }), 1);
  for (const chunk of chunks) source.chunks.set(chunk.ref.sha256, chunk.bytes);
  const crashed = await r.poller.pollOnce();
  assert.equal(crashed.kind === 'error' && crashed.code, 'ERR_TABLE_THREAD');
  assert.match(crashed.kind === 'error' ? crashed.message : '', /table assembly worker failed/);
  assert.equal(await value(r.metrics, 'passage_table_poll_failures_total', { kind: 'ERR_TABLE_THREAD' }), 1);
  assert.equal(r.poller.status().lastError?.code, 'ERR_TABLE_THREAD');
  assert.equal(r.poller.status().rejections.ERR_TABLE_CHUNK, undefined, 'the table is not refused');
  // The next poll with room to build applies it.
  using roomy = router(source, { assembleOffThreadMinRoutes: 0 });
  assert.deepEqual(await roomy.poller.pollOnce(), { kind: 'applied', version: 1 });
});
