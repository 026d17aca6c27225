// Applying a chunked table in slices (issue 19): the work between two slices is one route's, whatever
// the size of a chunk, and the ActiveTable built in slices is the one built in one go.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ActiveTable } from '../../../router/routing/active-table.ts';
import { buildActiveTable } from '../../../router/routing/build-active.ts';
import { assembleChunkedTable } from '../../../router/routing/sources/chunked.ts';
import { SliceClock } from '../../../router/routing/slices.ts';
import { canonicalBytes } from '../../../router/table/canonical.ts';
import { splitTableDocument, type ChunkRef } from '../../../router/table/manifest.ts';
import { TableChunkError, TableValidationError } from '../../../router/table/errors.ts';
import { parseRoutingTable } from '../../../router/table/schema.ts';
import type { RoutingTable } from '../../../router/table/types.ts';
import { manyRoutes } from '../../helpers/chunked-tables.ts';
import { readFileSync } from 'node:fs';

const header: RoutingTable = { tableId: 'prod', version: 1, routes: [] };

function chunkOf(text: string, routes: number): { ref: ChunkRef; bytes: Buffer } {
  const bytes = Buffer.from(text);
  return { ref: { sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length, routes }, bytes };
}

/** A clock whose budget is spent after every step: `yields` counts the steps. */
function everyStep(): SliceClock {
  return new SliceClock(0);
}

describe('applying a chunked table in slices', () => {
  test('every route of a chunk is its own step (validated, indexed and written as bytes together)', async () => {
    const routes = manyRoutes(500);
    const chunk = chunkOf(`[${routes.map((r) => canonicalBytes(r).toString()).join(',')}]`, routes.length);
    const clock = everyStep();
    const assembled = await assembleChunkedTable(header, [chunk.ref], new Map(), async () => chunk.bytes, clock);
    assert.equal(assembled.active.table.routes.length, 500);
    assert.ok(clock.yields >= 500, `yields: ${clock.yields}`);
  });

  test('a chunk is not checked whole before its first route: a bad last route is found after a slice per route before it', async () => {
    const routes = manyRoutes(300);
    const { id, ...rest } = routes[299]!;
    const parts = [...routes.slice(0, 299).map((r) => canonicalBytes(r).toString()), JSON.stringify({ ...rest, id })];
    const chunk = chunkOf(`[${parts.join(',')}]`, routes.length);
    const clock = everyStep();
    await assert.rejects(assembleChunkedTable(header, [chunk.ref], new Map(), async () => chunk.bytes, clock), { code: 'ERR_TABLE_CHUNK', message: /canonical/ });
    assert.ok(clock.yields >= 299, `yields before the refusal: ${clock.yields}`);
  });

  test('the ActiveTable built in slices resolves every host as the one built in one go, and lists the same adapter routes', async () => {
    const table = parseRoutingTable({
      table_id: 'prod',
      version: 1,
      routes: [
        ...manyRoutes(50),
        { id: 'adapted', hosts: ['adapted.example.com'], status_adapter: { type: 'http', url: 'https://status.example.com/s', cache_ttl: '5s', timeout: '1s' } },
        { id: 'default', hosts: ['*'] },
      ],
    });
    const sliced = await buildActiveTable(table, everyStep());
    const whole = new ActiveTable(table);
    assert.deepEqual(sliced.adapterRoutes.map((r) => r.id), ['adapted']);
    assert.deepEqual(whole.adapterRoutes.map((r) => r.id), ['adapted']);
    for (const host of ['play7.example.com', 'x.net7.example.org', 'a.b.net49.example.org', 'adapted.example.com', 'nowhere.example.net', 'net7.example.org']) {
      assert.equal(sliced.resolve(host)?.id, whole.resolve(host)?.id, host);
    }
    assert.equal(sliced.resolve('x.net7.example.org')?.id, 'route-7');
    assert.equal(sliced.resolve('net7.example.org')?.id, 'default');
    assert.equal(sliced.onlinePlayers(sliced.resolve('play7.example.com')!), 10);
  });
});

describe('building a big table in a worker thread', () => {
  const FAVICON = `data:image/png;base64,${readFileSync(new URL('../../../docs/favicon.png', import.meta.url)).toString('base64')}`;

  /** 3,000 routes over several chunks, with a route using adapters, favicons, wildcards and a fallback. */
  function document(edit: (i: number) => string = () => ''): Record<string, unknown> {
    const routes: Record<string, unknown>[] = manyRoutes(3_000, edit);
    routes[10] = { ...routes[10], status: { motd: 'with icon', max_players: 5, favicon: FAVICON } };
    routes[2_500] = { id: 'adapted', hosts: ['adapted.example.com'], status_adapter: { type: 'http', url: 'https://status.example.com/s', cache_ttl: '5s', timeout: '1s' } };
    routes.push({ id: 'default', hosts: ['*'] });
    return { table_id: 'prod', version: 1, routes };
  }

  async function build(doc: Record<string, unknown>, offThreadMinRoutes: number, held: Map<string, import('../../../router/routing/compact-routes.ts').RouteSegment> = new Map()) {
    const { chunks } = splitTableDocument(doc);
    const bytes = new Map(chunks.map((c) => [c.ref.sha256, Buffer.from(c.bytes)] as const));
    const reads: string[] = [];
    const assembled = await assembleChunkedTable(header, chunks.map((c) => c.ref), held, async (ref) => (reads.push(ref.sha256), bytes.get(ref.sha256)!), new SliceClock(), { offThreadMinRoutes });
    return { assembled, reads, chunks };
  }

  test('gives the table a build on the loop gives: every route, every host, the adapter routes, favicons; and reuses held chunks', async () => {
    const doc = document();
    const loop = await build(doc, Number.POSITIVE_INFINITY);
    const thread = await build(doc, 0);
    assert.equal(loop.assembled.offThread, false);
    assert.equal(thread.assembled.offThread, true);
    assert.ok(thread.chunks.length > 3, `chunks: ${thread.chunks.length}`);
    assert.deepEqual([...thread.assembled.active.table.routes], [...loop.assembled.active.table.routes]);
    assert.equal(thread.assembled.active.table.routes.at(10).status.favicon, FAVICON);
    assert.deepEqual(thread.assembled.active.adapterRoutes.map((r) => r.id), ['adapted']);
    // The route with adapters is one object, whoever asks (RouteAdapters binds it by identity).
    assert.equal(thread.assembled.active.resolve('adapted.example.com'), thread.assembled.active.adapterRoutes[0]);
    for (const host of ['play7.example.com', 'x.net7.example.org', 'a.b.net2999.example.org', 'adapted.example.com', 'nowhere.example.net', 'net7.example.org', 'play2999.example.com']) {
      assert.equal(thread.assembled.active.resolve(host)?.id, loop.assembled.active.resolve(host)?.id, host);
    }
    assert.equal(thread.assembled.active.resolve('net7.example.org')?.id, 'default');

    // A one-route change: the thread reads the segments the loop holds (shared memory) and builds one.
    const changed = await build(document((i) => (i === 1_234 ? ' (new)' : '')), 0, new Map(thread.assembled.chunks));
    assert.equal(changed.reads.length, 1);
    assert.equal(changed.assembled.active.resolve('play1234.example.com')?.status.motd, 'Route 1234 (new)');
    assert.equal(changed.assembled.active.resolve('play1233.example.com')?.status.motd, 'Route 1233');
    // A held route keeps its favicon (the thread is sent held segments without them).
    assert.equal(changed.assembled.active.table.routes.at(10).status.favicon, FAVICON);
    const unchanged = [...changed.assembled.chunks.values()].filter((segment) => [...thread.assembled.chunks.values()].includes(segment));
    assert.equal(unchanged.length, changed.chunks.length - 1, 'the unchanged chunks are the held segments, not copies');
  });

  test('refuses what a build on the loop refuses, with the same problems', async () => {
    const doc = document();
    const routes = doc.routes as Record<string, unknown>[];
    routes[2_999] = { ...routes[2_999], hosts: ['play3.example.com'] };
    routes[1_000] = { ...routes[1_000], id: 'route-7' };
    const loop = await build(doc, Number.POSITIVE_INFINITY).catch((err: unknown) => err);
    const thread = await build(doc, 0).catch((err: unknown) => err);
    assert.ok(loop instanceof TableValidationError);
    assert.ok(thread instanceof TableValidationError);
    assert.deepEqual(thread.problems, loop.problems);
    assert.equal(thread.problems.length, 2);

    const { chunks } = splitTableDocument(document());
    const bad = Buffer.from(chunks[1]!.bytes);
    bad[bad.length - 2] = 0x20;
    const refs = chunks.map((c) => c.ref);
    const read = async (ref: ChunkRef): Promise<Buffer> => (ref === refs[1] ? bad : Buffer.from(chunks.find((c) => c.ref === ref)!.bytes));
    await assert.rejects(assembleChunkedTable(header, refs, new Map(), read, new SliceClock(), { offThreadMinRoutes: 0 }), (err: unknown) => {
      assert.ok(err instanceof TableChunkError);
      assert.equal(err.check, 'sha256');
      assert.equal(err.sha256, refs[1]!.sha256);
      return true;
    });
  });

  test('aborting the apply ends it and its thread', async () => {
    const { chunks } = splitTableDocument(document());
    const controller = new AbortController();
    const reason = new Error('stopping');
    const pending = assembleChunkedTable(header, chunks.map((c) => c.ref), new Map(), async (ref) => {
      setImmediate(() => controller.abort(reason));
      return Buffer.from(chunks.find((c) => c.ref.sha256 === ref.sha256)!.bytes);
    }, new SliceClock(), { offThreadMinRoutes: 0, signal: controller.signal });
    await assert.rejects(pending, (err: unknown) => err === reason);
  });
});
