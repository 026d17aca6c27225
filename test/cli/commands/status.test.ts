// `passagectl status` as a function: which output path it takes, its usage errors, and /status sources.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { run, sourcesFor, type StatusUi } from '../../../cli/commands/status.ts';
import type { FleetSnapshot } from '../../../cli/fleet/aggregate.ts';
import { fakeContext } from '../../helpers/tables.ts';

/** A router's admin /status, as router/admin/server.ts answers it (with the `fleet` section). */
const STATUS = {
  version: '0.1.0', uptimeSeconds: 12, ready: true, draining: false,
  table: { id: 'prod', version: 9, loadedAt: '2025-06-01T11:59:00.000Z', expiresAt: '2025-06-08T12:00:00.000Z' },
  connections: { active: 3 }, counters: { connections: 10, transfers: 4, errors: 0, disconnects: 1 },
  tableSource: { lastRejection: { code: 'ERR_TABLE_EXPIRED', message: 'expired', at: '2025-06-01T11:00:00.000Z' } },
  fleet: {
    region: 'eu-central-1', instance: 'box-1', heartbeat: { sink: null, beats: 0, failures: 0, lastError: null },
    report: { intervalMs: 5000, startedAt: 1, rates: { connections: 2, logins: 1, transfers: 1, errors: 0, rateLimited: 0.5 }, p99LoginSeconds: 0.12 },
  },
};

let server: Server;
let url: string;
let deadUrl: string;
before(async () => {
  server = createServer((req, res) => {
    res.writeHead(req.url === '/status' ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(STATUS));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // A port that was just free: nothing listens there.
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  deadUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
  await new Promise((r) => probe.close(r));
});
after(() => server.close());

test('--json reads a router /status: region, instance, table, rates and last rejection', async () => {
  const ctx = fakeContext({ json: true });
  await run({ adminUrls: [url] }, ctx);
  const s = JSON.parse(ctx.out()) as FleetSnapshot;
  assert.equal(s.instances.length, 1);
  const [i] = s.instances;
  assert.deepEqual([i.region, i.instance, i.state, i.table?.version, i.rates?.rateLimited, i.p99LoginSeconds, i.lastRejection?.code], ['eu-central-1', 'box-1', 'ready', 9, 0.5, 0.12, 'ERR_TABLE_EXPIRED']);
  assert.equal(i.table?.expiresAt, Date.parse('2025-06-08T12:00:00.000Z'));
  assert.equal(s.latest, null, 'no table store: the latest published version is unknown');
});

test('a router that does not answer is listed as stale and reported as a problem', async () => {
  const ctx = fakeContext();
  await run({ adminUrls: [url, deadUrl] }, ctx);
  const text = ctx.out();
  assert.match(text, /^eu-central-1\s+box-1\s+ready\s+v9\s/m);
  assert.match(text, new RegExp(`^local\\s+127\\.0\\.0\\.1:\\d+\\s+stale\\s+-\\s+unreachable`, 'm'));
  assert.match(text, new RegExp(`^! ${deadUrl}/status: ECONNREFUSED$`, 'm'));
});

test('exit code 1 when no source could be read, 0 when at least one could', async () => {
  assert.equal(await run({ adminUrls: [deadUrl] }, fakeContext()), 1);
  assert.equal(await run({ adminUrls: [url, deadUrl] }, fakeContext()), 0);
  assert.equal(await run({ adminUrls: [url] }, fakeContext()), 0);
});

test('on a terminal the interactive view runs; --json and --watch stay plain', async () => {
  const calls: FleetSnapshot[] = [];
  const ui: StatusUi = { interactive: async (load) => void calls.push(await load()) };
  const tty = { ...fakeContext(), isTTY: true };
  await run({ adminUrls: [url] }, tty, ui);
  assert.equal(calls.length, 1);
  assert.equal(calls[0].instances[0].instance, 'box-1');
  const json = { ...fakeContext({ json: true }), isTTY: true };
  await run({ adminUrls: [url] }, json, ui);
  assert.equal(calls.length, 1);
});

test('--json --watch writes one compact JSON document per line, until --count', async () => {
  const ctx = fakeContext({ json: true });
  await run({ adminUrls: [url], watchSeconds: 1, count: 2 }, ctx);
  const lines = ctx.out().trimEnd().split('\n');
  assert.equal(lines.length, 2);
  for (const l of lines) assert.equal((JSON.parse(l) as FleetSnapshot).instances.length, 1);
});

test('--watch stops as soon as Ctrl-C aborts', async () => {
  const abort = new AbortController();
  const ctx = fakeContext({ signal: abort.signal });
  const started = Date.now();
  const done = run({ adminUrls: [url], watchSeconds: 60 }, ctx);
  setTimeout(() => abort.abort(), 200);
  await done;
  assert.ok(Date.now() - started < 5_000);
  assert.equal(ctx.out().match(/^passage fleet at /gm)?.length, 1);
});

test('--count without --watch is a usage error, not snapshots printed back to back', async () => {
  const ctx = fakeContext();
  await assert.rejects(run({ adminUrls: [url], count: 3 }, ctx), (err: Error & { exitCode?: number }) => /--count only applies with --watch/.test(err.message) && err.exitCode === 2);
  assert.equal(ctx.out(), '');
});

test('usage mistakes are UsageErrors (exit 2) that say what to pass', () => {
  const ctx = fakeContext();
  const cases: [Parameters<typeof sourcesFor>[0], RegExp][] = [
    [{ adminUrls: [] }, /nothing to read: give --table-store/],
    [{ adminUrls: ['127.0.0.1:9565'] }, /--admin: expected an http\(s\) URL/],
    [{ tableStore: 'file://./t.json', adminUrls: [] }, /heartbeats live in DynamoDB/],
    [{ tableStore: 'dynamodb://passage/prod?region=eu-west-1', fleetRegions: ['eu west 1'], adminUrls: [] }, /--region: expected a region name like eu-west-1, got "eu west 1"/],
    [{ fleetRegions: ['eu-west-1'], adminUrls: ['http://127.0.0.1:9565'] }, /--region and --file name whose heartbeats --table-store reads/],
  ];
  for (const [opts, message] of cases) {
    assert.throws(() => sourcesFor(opts, ctx), (err: Error & { exitCode?: number }) => message.test(err.message) && err.exitCode === 2, message.source);
  }
});

test('a bare `passagectl status` reads the local router (as npm start and dev run it), and says what to do when none answers', async () => {
  const asked: string[] = [];
  const base = fakeContext({ json: true });
  const ctx = {
    ...base,
    clients: { ...base.clients, fetch: (async (input: string | URL) => {
      asked.push(String(input));
      throw Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    }) as typeof fetch },
  };
  assert.equal(await run({ adminUrls: [] }, ctx), 1);
  assert.deepEqual(asked, ['http://127.0.0.1:9565/status']);
  const doc = JSON.parse(base.out()) as { ok: boolean; error: { code: string; message: string } };
  assert.equal(doc.ok, false);
  assert.equal(doc.error.code, 'PASSAGE_FLEET_UNREADABLE');
  assert.match(doc.error.message, /nothing answers at http:\/\/127\.0\.0\.1:9565: start a router \(npm start, or npx passagectl dev\), or read the fleet with --table-store/);
  assert.match(base.err(), /^passagectl: nothing answers at http:\/\/127\.0\.0\.1:9565/);
});

test('--file must describe the table the store holds: a regions file for another table_id is refused', async () => {
  const regions = new URL('../../fixtures/aws/passage.regions.toml', import.meta.url).pathname;
  await assert.rejects(
    run({ tableStore: 'dynamodb://passage/other?region=eu-west-1', file: regions, adminUrls: [] }, fakeContext()),
    (err: Error & { exitCode?: number }) => /--file: .* is for table_id "prod", but --table-store reads "other"/.test(err.message) && err.exitCode === 2,
  );
});
