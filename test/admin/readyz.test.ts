// /readyz and the expiry metric while a frozen source leaves an expired table in use: the router keeps
// serving (the load balancer keeps it), and says so to operators (body, header, /status, gauge).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { createAdminServer, TABLE_EXPIRED_HEADER } from '../../router/admin/server.ts';
import { RouterMetrics } from '../../router/metrics/registry.ts';
import { buildConfig } from '../../router/config/load.ts';
import { NewerProtocols } from '../../router/connection/newer-protocols.ts';
import { TablePoller } from '../../router/routing/sources/poller.ts';
import type { FetchResult, TableSource } from '../../router/routing/sources/source.ts';
import { TableStore } from '../../router/routing/store.ts';
import type { Router } from '../../router/server.ts';
import { envelopeFor, newKey, silentLog, tableDocument } from '../helpers/tables.ts';

const key = newKey();
const issued = Date.parse('2030-01-01T00:00:00Z');
let now = issued;
const clock = (): number => now;
const store = new TableStore();
const eventSource = {};
const metrics = new RouterMetrics({ defaultMetrics: false, now: clock });
metrics.attach(eventSource);
let answer: FetchResult = { kind: 'envelope', bytes: Buffer.from(envelopeFor(tableDocument('prod', 7, [1]), key.privateKey, { now: issued, expiresInMs: 60_000 })) };
const source: TableSource = { description: 'scripted://freeze', fetch: async () => answer };
const poller = new TablePoller({
  source, store, trustedKeys: [key.publicKey], expectedTableId: 'prod', allowUnsigned: false,
  maxBytes: 64 * 1024, intervalMs: 1_000, log: silentLog, now: clock, eventSource,
});
// The admin server reads only these fields of the router (and its context), built from the real parts.
const defaults = buildConfig({}, '/etc/passage/passage.toml', {});
const ctx = { tables: store, newerProtocols: new NewerProtocols(defaults.protocol, silentLog) };
const router = { draining: false, ctx, uptimeSeconds: 1, activeConnections: 0 } as unknown as Router;
const server = createAdminServer({ router, metrics, version: 'test', now: clock });
await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
after(() => {
  server.close();
  metrics.detach();
});

const metricValue = async (name: string): Promise<number | undefined> => (await metrics.registry.getSingleMetric(name)?.get())?.values[0]?.value;

test('a current table: /readyz is a plain 200 and passage_table_expired is 0', async () => {
  assert.equal((await poller.pollOnce()).kind, 'applied');
  const res = await fetch(`${base}/readyz`);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'ready\n');
  assert.equal(res.headers.get(TABLE_EXPIRED_HEADER), null);
  assert.equal(await metricValue('passage_table_expired'), 0);
});

test('an expired table while the source is withheld: /readyz stays 200 but says expired, with the expiry in a header, on /status and in the gauge', async () => {
  answer = { kind: 'not_modified' };
  now = issued + 5 * 60_000;
  await poller.pollOnce();
  assert.equal(store.current?.table.version, 7, 'the expired table is still served');
  const res = await fetch(`${base}/readyz`);
  assert.equal(res.status, 200, 'kept in the load balancer: every router expires at once, so a 503 would be an outage');
  assert.match(await res.text(), /^ready, table expired: prod@7 expired at 2030-01-01T00:01:00.000Z/);
  assert.equal(res.headers.get(TABLE_EXPIRED_HEADER), '2030-01-01T00:01:00.000Z');
  const status = await (await fetch(`${base}/status`)).json() as { tableExpired: boolean; ready: boolean };
  assert.equal(status.tableExpired, true);
  assert.equal(status.ready, true);
  assert.equal(await metricValue('passage_table_expired'), 1);
});
