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
import type { ChunkRef } from '../../../router/table/manifest.ts';
import { parseRoutingTable } from '../../../router/table/schema.ts';
import type { RoutingTable } from '../../../router/table/types.ts';
import { manyRoutes } from '../../helpers/chunked-tables.ts';

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
