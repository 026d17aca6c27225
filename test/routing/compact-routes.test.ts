import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ActiveTable } from '../../router/routing/active-table.ts';
import { ActiveTableBuilder } from '../../router/routing/build-active.ts';
import { CompactRouteList, readSegmentRoute, SEGMENT_ROUTES, SegmentScratch, SegmentWriter } from '../../router/routing/compact-routes.ts';
import { FifoCache } from '../../router/routing/fifo-cache.ts';
import { parseRoutingTable } from '../../router/table/schema.ts';
import type { Route, RoutingTable } from '../../router/table/types.ts';
import { manyRoutes } from '../helpers/chunked-tables.ts';

const ICON = `data:image/png;base64,${Buffer.alloc(10 * 1024, 7).toString('base64')}`;

/** Parsed routes with what a round trip through JSON could lose: odd keys, text components, non-ASCII, a lone surrogate. */
function richTable(): RoutingTable {
  return parseRoutingTable({
    table_id: 'rich',
    version: 1,
    routes: [
      {
        id: 'rich',
        hosts: ['rich.example.com', '*.rich.example.org'],
        strategy: 'least_players',
        status: { motd: '{"text":"Grüße 🎮","color":"gold","extra":[{"text":"\\ud800"}]}', max_players: 20, version_name: 'Ünï' },
        targets: [
          { id: 'a', address: '[::1]:25566', priority: 2, meta: JSON.parse('{"players":"3","__proto__":"x","constructor":"y"}') as unknown },
          { id: 'b', address: 'backend.internal:25565' },
        ],
        maintenance: true,
        maintenance_bypass: ['Steve'],
        disconnect_message: 'Bye',
      },
      { id: 'relay', hosts: ['relay.example.com'], mode: 'passthrough', targets: [{ id: 'r', address: '10.0.0.1:25565' }], send_proxy_protocol: true, domain_rewrite: { explicit: 'mc.internal' }, timeouts: { connect: '2s' } },
      {
        // Every policy a route can carry: made from bytes, each must come back as parsed.
        id: 'guarded', hosts: ['guarded.example.com'], auth: 'online', wake_timeout: '90s',
        target_filter: [{ key: 'status', op: 'equals', value: 'online' }],
        access: { allow_players: ['Notch'], deny_players: ['Griefer', '069a79f4-44e9-4726-a5be-fca90e38aaf5'], deny_ips: ['203.0.113.0/24', '2001:db8::/32'], message: 'Not you.' },
        login_hook: { url: 'https://bans.internal/passage/login', timeout: '1s', on_error: 'allow' },
        resource_packs: [{ id: '2f1c0e3a-5b7d-4c1e-9a2b-3c4d5e6f7a8b', url: 'https://packs.test/p.zip', hash: 'ab'.repeat(20), prompt: { text: 'Please', color: 'red' }, forced: true }],
        targets: [
          { id: 'w', address: '10.0.0.3:25565', meta: { status: 'online' }, wake: { kind: 'kubernetes', resource: 'statefulsets/survival', namespace: 'minecraft' } },
          { id: 'e', address: '10.0.0.4:25565', meta: { status: 'online' }, wake: { kind: 'ecs', cluster: 'passage-games', service: 'survival' } },
        ],
      },
      { id: 'fallback', hosts: ['*'], status: { motd: 'Default', max_players: 1 }, targets: [{ id: 'f', address: '10.0.0.2:25565' }] },
    ],
  });
}

function withIcon(route: Route): Route {
  return { ...route, status: { ...route.status, favicon: ICON } };
}

function compact(routes: readonly Route[]): ActiveTable {
  const builder = new ActiveTableBuilder();
  for (const route of routes) builder.add(route);
  return builder.finish({ tableId: 't', version: 1 });
}

describe('routes kept as bytes (compact-routes.ts)', () => {
  test('a route made from its bytes equals the parsed route, field for field', () => {
    const table = richTable();
    const routes = [...table.routes, withIcon(table.routes[0]!)];
    const active = compact(routes);
    assert.deepEqual([...active.table.routes], routes);
    for (let i = 0; i < routes.length; i++) assert.deepEqual(active.table.routes.at(i), routes[i]);
    // The meta key "__proto__" stays a key (and no prototype of another object).
    const meta = active.table.routes.at(0).targets[0]!.meta;
    assert.equal(Object.hasOwn(meta, '__proto__'), true);
    assert.equal(Object.getPrototypeOf(meta), Object.prototype);
  });

  test('hosts resolve to the same routes as the table held as objects', () => {
    const table = richTable();
    const whole = new ActiveTable(table);
    const active = compact(table.routes);
    for (const host of ['rich.example.com', 'a.rich.example.org', 'relay.example.com', 'unknown.net', 'rich.example.org']) {
      assert.deepEqual(active.resolve(host), whole.resolve(host), host);
    }
    assert.equal(active.fallback()?.id, 'fallback');
  });

  test('a favicon shared by every route is kept once per segment, not in the routes\' bytes', () => {
    const routes = parseRoutingTable({ table_id: 't', version: 1, routes: manyRoutes(2 * SEGMENT_ROUTES) }).routes.map(withIcon);
    const writer = new SegmentWriter();
    for (const route of routes.slice(0, SEGMENT_ROUTES)) writer.add(route);
    const segment = writer.finish();
    assert.equal(segment.length, SEGMENT_ROUTES);
    assert.deepEqual(segment.favicons, [ICON]);
    assert.ok(segment.bytes.length < SEGMENT_ROUTES * 512, `bytes: ${segment.bytes.length}`);
    assert.equal(segment.bytes.includes('data:image'), false);
    assert.equal(readSegmentRoute(segment, SEGMENT_ROUTES - 1).status.favicon, ICON);
    assert.throws(() => readSegmentRoute(segment, SEGMENT_ROUTES), RangeError);
    const active = compact(routes);
    assert.equal(active.table.routes.length, 2 * SEGMENT_ROUTES);
    assert.equal(active.table.routes.at(2 * SEGMENT_ROUTES - 1).status.favicon, ICON);
  });

  test('segments written one after another in one scratch buffer keep their own bytes, past the buffer\'s first size', () => {
    const routes = parseRoutingTable({ table_id: 't', version: 1, routes: manyRoutes(900) }).routes;
    const scratch = new SegmentScratch();
    const firstSize = scratch.bytes.length;
    const cuts = [0, 1, 600, 900];
    const segments = cuts.slice(1).map((end, k) => {
      const writer = new SegmentWriter(scratch);
      for (const route of routes.slice(cuts[k], end)) writer.add(route);
      return writer.finish();
    });
    assert.ok(scratch.bytes.length > firstSize, 'the 599-route segment outgrew the first buffer');
    assert.ok(segments[1]!.bytes.length > firstSize);
    assert.notEqual(segments[0]!.bytes.buffer, scratch.bytes.buffer);
    assert.deepEqual(segments.flatMap((segment) => Array.from({ length: segment.length }, (_, i) => readSegmentRoute(segment, i))), routes);
  });

  test('`at` keeps what it made (a bounded number of routes); `read` keeps nothing', () => {
    const routes = parseRoutingTable({ table_id: 't', version: 1, routes: manyRoutes(40) }).routes;
    const writer = new SegmentWriter();
    for (const route of routes) writer.add(route);
    const list = new CompactRouteList([writer.finish()], new Map(), 8);
    const first = list.at(0);
    assert.equal(list.at(0), first);
    assert.notEqual(list.read(5), list.read(5));
    for (let i = 1; i <= 8; i++) list.at(i);
    // Route 0 was the oldest of nine: dropped, and made again (equal, not the same object).
    const again = list.at(0);
    assert.notEqual(again, first);
    assert.deepEqual(again, first);
    assert.equal(list.at(8), list.at(8));
    assert.throws(() => list.at(40), RangeError);
    assert.throws(() => list.at(-1), RangeError);
  });

  test('routes with adapters stay the same object (adapters are bound to it), however many others are made', () => {
    const [plain] = richTable().routes;
    const adapted: Route = { ...plain!, id: 'adapted', hosts: ['adapted.example.com'], discovery: { type: 'http', url: 'https://discovery.example.com/t', refreshInterval: 5_000, timeout: 1_000 } };
    const others = parseRoutingTable({ table_id: 't', version: 1, routes: manyRoutes(5_000) }).routes;
    const active = compact([...others.slice(0, 100), adapted, ...others.slice(100)]);
    assert.equal(active.adapterRoutes.length, 1);
    const pinned = active.adapterRoutes[0]!;
    assert.equal(active.resolve('adapted.example.com'), pinned);
    for (let i = 0; i < active.table.routes.length; i++) active.table.routes.at(i);
    assert.equal(active.table.routes.at(100), pinned);
    assert.equal([...active.table.routes][100], pinned);
  });

  test('a segment can be adopted by a later table: shared, not copied, and its routes indexed again', async () => {
    const routes = parseRoutingTable({ table_id: 't', version: 1, routes: manyRoutes(300) }).routes;
    const builder = new ActiveTableBuilder();
    builder.beginSegment();
    for (const route of routes) builder.add(route);
    const segment = builder.endSegment();
    const first = builder.finish({ tableId: 't', version: 1 });
    const seen: string[] = [];
    const next = new ActiveTableBuilder();
    const { SliceClock } = await import('../../router/routing/slices.ts');
    await next.adopt(segment, new SliceClock(0), (route) => seen.push(route.id));
    const second = next.finish({ tableId: 't', version: 2 });
    assert.equal(seen.length, 300);
    assert.deepEqual([...second.table.routes], [...first.table.routes]);
    assert.equal(second.resolve('play299.example.com')?.id, 'route-299');
    assert.equal(second.resolve('x.net7.example.org')?.id, 'route-7');
  });

  test('held as bytes, 20,000 routes cost a fraction of the V8 heap they cost as objects', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const routes = parseRoutingTable({ table_id: 't', version: 1, routes: manyRoutes(20_000) }).routes;
    const documents = JSON.stringify(routes);
    const heapOf = (build: () => unknown): number => {
      gc();
      const before = process.memoryUsage().heapUsed;
      const held = build();
      gc();
      const bytes = process.memoryUsage().heapUsed - before;
      assert.ok(held !== undefined);
      return bytes;
    };
    const asObjects = heapOf(() => new ActiveTable({ tableId: 't', version: 1, routes: JSON.parse(documents) as Route[] }));
    const asBytes = heapOf(() => compact(JSON.parse(documents) as Route[]));
    // Generous: as objects ~560 B per route here; as bytes, with the index in key tables, a few bytes
    // (the segments and the index are ArrayBuffers, outside the V8 heap).
    assert.ok(asBytes * 10 < asObjects, `as bytes ${Math.round(asBytes / 20_000)} B per route, as objects ${Math.round(asObjects / 20_000)} B`);
  });
});

describe('FifoCache', () => {
  test('holds at most its capacity, dropping the oldest key first; setting a held key drops nothing', () => {
    const cache = new FifoCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('a', 3);
    assert.equal(cache.size, 2);
    cache.set('c', 4);
    assert.equal(cache.get('a'), undefined);
    assert.equal(cache.get('b'), 2);
    assert.equal(cache.get('c'), 4);
    assert.equal(cache.size, 2);
    assert.throws(() => new FifoCache(0), RangeError);
  });
});
