// Adapters start when a table that names them is applied, are carried over to a new table version
// that names them the same way, and stop when a table without them replaces it. Plus the table keys.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { STRICT_ADAPTER_POLICY } from '../../router/adapters/policy.ts';
import { RouteAdapters } from '../../router/adapters/route-adapters.ts';
import { TableStore } from '../../router/routing/store.ts';
import { parseRoutingTable } from '../../router/table/schema.ts';
import { TableValidationError } from '../../router/table/errors.ts';
import { startJsonServer, waitFor } from '../helpers/adapters.ts';
import type { JsonServer } from '../helpers/adapters.ts';

function table(version: number, discovery: object | undefined): ReturnType<typeof parseRoutingTable> {
  return parseRoutingTable({
    table_id: 't', version,
    routes: [{ id: 'main', hosts: ['*'], targets: [{ id: 'seed', address: '127.0.0.1:1' }], ...(discovery === undefined ? {} : { discovery }) }],
  });
}

describe('adapter lifecycle', () => {
  let api: JsonServer;
  before(async () => {
    api = await startJsonServer(() => ({ status: 200, body: { targets: [{ id: 'd1', address: '127.0.0.1:2' }] } }));
  });
  after(() => api.close());

  test('apply starts, a same-options table keeps, a table without adapters stops', async () => {
    const store = new TableStore();
    const adapters = new RouteAdapters({ source: {}, log: pino({ level: 'silent' }), policy: { ...STRICT_ADAPTER_POLICY, allowPlainHttp: ['127.0.0.1'] } });
    store.onSwap((t) => adapters.apply(t));
    const discovery = { type: 'http', url: `${api.url}/t`, refresh_interval: '100ms', timeout: '500ms' };
    try {
      const first = store.swap(table(1, discovery));
      const route = first.table.routes.at(0);
      // Until discovery answers, the route's own targets serve (the hook has nothing yet).
      assert.equal(first.adapters?.targets(route), undefined);
      await waitFor('discovery', () => first.adapters?.targets(route)?.[0]?.id === 'd1');
      const second = store.swap(table(2, discovery));
      // Carried over: the new table has the targets at once, no cold start.
      assert.equal(second.adapters?.targets(second.table.routes.at(0))?.[0]?.id, 'd1');
      assert.equal(adapters.states().length, 1);
      const third = store.swap(table(3, undefined));
      assert.equal(third.adapters, undefined);
      assert.equal(adapters.states().length, 0);
      const seen = api.requests.length;
      await sleep(300);
      assert.equal(api.requests.length, seen, 'no more requests after the adapter stopped');
      // A connection that began on an older table still reads its adapter's last good targets.
      assert.equal(first.adapters?.targets(route)?.[0]?.id, 'd1');
    } finally {
      adapters.stop();
    }
  });
});

describe('adapter keys in the routing table', () => {
  const problems = (route: object): string[] => {
    try {
      parseRoutingTable({ table_id: 't', version: 1, routes: [{ id: 'r', hosts: ['*'], ...route }] });
      return [];
    } catch (err) {
      return (err as TableValidationError).problems.map((p) => `${p.path}: ${p.message}`);
    }
  };

  test('each discovery type takes its own keys and defaults', () => {
    const t = parseRoutingTable({ table_id: 't', version: 1, routes: [
      { id: 'a', hosts: ['a.test'], discovery: { type: 'dns', name: '_minecraft._tcp.Example.com.' } },
      { id: 'b', hosts: ['b.test'], discovery: { type: 'kubernetes', resource: 'gameservers', label_selector: 'app=mc' } },
    ] });
    assert.deepEqual(t.routes[0].discovery, { type: 'dns', refreshInterval: 10_000, timeout: 5_000, name: '_minecraft._tcp.example.com', recordType: 'srv' });
    assert.deepEqual(t.routes[1].discovery, { type: 'kubernetes', refreshInterval: 10_000, timeout: 5_000, resource: 'gameservers', labelSelector: 'app=mc', namespace: 'default' });
  });

  test('options of another type, missing required ones and bad values are reported with their path', () => {
    assert.deepEqual(problems({ discovery: { type: 'http', name: 'x.test' } }), [
      'routes[0].discovery.url: is required for type "http"',
      'routes[0].discovery.name: does not apply to type "http"',
    ]);
    assert.deepEqual(problems({ discovery: { type: 'dns', name: 'x.test', record_type: 'a' } }), ['routes[0].discovery.port: is required for record_type "a"']);
    assert.deepEqual(problems({ discovery: { type: 'dns', name: 'x.test', servers: ['dns.google'] } }).length, 1);
    assert.deepEqual(problems({ status_adapter: { type: 'grpc' } }), ['routes[0].status_adapter.address: is required for type "grpc"']);
    assert.match(problems({ strategy_adapter: { type: 'http', address: '127.0.0.1:1' } })[0], /strategy_adapter\.type: must be one of "grpc"/);
    assert.match(problems({ discovery: { type: 'grpc', address: '127.0.0.1:1', timeout: '5ms' } })[0], /timeout: must be a duration from 100ms/);
  });
});
