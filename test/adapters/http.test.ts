// HTTP discovery and status against a real HTTP server on loopback, with a real minecraft-protocol
// client transferred to the discovered backend.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestRouter } from '../helpers/router.ts';
import type { TestRouter } from '../helpers/router.ts';
import { followTransfer, login, ping, startBackend } from '../helpers/minecraft.ts';
import type { Backend } from '../helpers/minecraft.ts';
import { adapterRoutes, startJsonServer, waitFor } from '../helpers/adapters.ts';
import type { JsonServer } from '../helpers/adapters.ts';

const VERSION = '1.21.4';
/** The fakes serve plain text on loopback, which passage.toml must allow (the default is TLS only). */
const PLAIN_LOOPBACK = { allow_plain_http: ['127.0.0.1'] };

describe('http discovery', () => {
  let backend: Backend;
  let other: Backend;
  let api: JsonServer;
  let router: TestRouter;
  let targets: unknown[];
  let etag = '"v1"';

  before(async () => {
    [backend, other] = await Promise.all([startBackend(VERSION), startBackend(VERSION)]);
    targets = [{ id: 'discovered-1', address: `127.0.0.1:${backend.port}`, priority: 0, meta: { players: 3 } }];
    api = await startJsonServer(() => ({ status: 200, body: { targets }, etag }));
    router = await startTestRouter({
      routes: adapterRoutes(
        `[routes.discovery]\ntype = "http"\nurl = "${api.url}/targets"\nrefresh_interval = "100ms"\ntimeout = "300ms"`,
        // A static target seeds the route until discovery answers; it is never used once it has.
        { targets: '[[routes.targets]]\nid = "seed"\naddress = "127.0.0.1:1"' },
      ),
      config: { auth: { mode: 'offline' }, adapters: PLAIN_LOOPBACK },
    });
    await waitFor('the first discovery', () => router.counter('passage_adapter_discovery_duration_seconds', { adapter: 'http', result: 'ok' }));
  });
  after(async () => {
    await router.stop(0);
    await api.close();
    await Promise.all([backend.close(), other.close()]);
  });

  test('a real client is transferred to the discovered target and arrives there', async () => {
    const result = await login({ port: router.port, host: 'play.test', version: VERSION, username: 'Finder' });
    assert.deepEqual(result.transfer, { host: '127.0.0.1', port: backend.port });
    await followTransfer(result.transfer!, VERSION, 'Finder');
    assert.deepEqual(backend.arrivals.at(-1), { intent: 3, username: 'Finder' });
    assert.equal(await router.counter('passage_transfers_total', { route: 'main', target: 'discovered-1' }), 1);
  });

  test('the server list counts the players the discovered targets report', async () => {
    const status = await ping(router.port, 'play.test', VERSION);
    assert.deepEqual(status.players, { max: 100, online: 3 });
  });

  test('refreshes send the ETag back and a 304 keeps the targets', async () => {
    await waitFor('a 304', () => router.counter('passage_adapter_discovery_duration_seconds', { adapter: 'http', result: 'not_modified' }));
    assert.ok(api.requests.some((r) => r.ifNoneMatch === '"v1"'));
    assert.equal(await router.counter('passage_adapter_targets', { adapter: 'http', route: 'main' }), 1);
  });

  test('a changed answer moves new players to the new target', async () => {
    targets = [{ id: 'discovered-2', address: `127.0.0.1:${other.port}` }];
    etag = '"v2"';
    await waitFor('the new target', async () => (await login({ port: router.port, host: 'play.test', version: VERSION, username: 'Mover' })).transfer?.port === other.port);
  });

  for (const [what, reply, code] of [
    ['an HTTP 500', () => ({ status: 500, body: 'boom' }), 'ERR_ADAPTER_HTTP_STATUS'],
    ['an answer that is not JSON', () => ({ status: 200, raw: '<html>' }), 'ERR_ADAPTER_BAD_RESPONSE'],
    ['an invalid target', () => ({ status: 200, body: { targets: [{ id: 'x', address: 'no-port' }] } }), 'ERR_ADAPTER_BAD_RESPONSE'],
    ['an endpoint that does not answer in time', () => 'hang' as const, 'ERR_ADAPTER_TIMEOUT'],
  ] as const) {
    test(`${what} keeps the last good targets and counts ${code}`, async () => {
      const good = api.reply;
      api.reply = reply;
      try {
        const before = await router.counter('passage_adapter_errors_total', { adapter: 'http', kind: 'discovery', code });
        await waitFor(code, async () => (await router.counter('passage_adapter_errors_total', { adapter: 'http', kind: 'discovery', code })) > before);
        const result = await login({ port: router.port, host: 'play.test', version: VERSION, username: 'Keeper' });
        assert.deepEqual(result.transfer, { host: '127.0.0.1', port: other.port });
        const status = await (await fetch(`${router.adminUrl}/status`)).json() as { adapters: { ok: boolean; lastError?: { code: string } }[] };
        assert.equal(status.adapters[0].lastError?.code, code);
      } finally {
        api.reply = good;
      }
    });
  }
});

describe('http status adapter', () => {
  let api: JsonServer;
  let router: TestRouter;
  let motd = 'Live from the adapter';

  before(async () => {
    api = await startJsonServer(() => ({ status: 200, body: { motd, max_players: 2000, online_players: 1234, version_name: 'Net 1.21' } }));
    router = await startTestRouter({
      routes: adapterRoutes(`[routes.status_adapter]\ntype = "http"\nurl = "${api.url}/status"\ncache_ttl = "150ms"\ntimeout = "300ms"`),
      config: { auth: { mode: 'offline' }, adapters: PLAIN_LOOPBACK },
    });
    await waitFor('the first status', () => router.counter('passage_adapter_status_fetch_duration_seconds', { adapter: 'http', result: 'ok' }));
  });
  after(async () => {
    await router.stop(0);
    await api.close();
  });

  test('the server list shows the adapter status, refreshed after its TTL', async () => {
    const status = await ping(router.port, 'play.test', VERSION);
    assert.deepEqual(status.description, { text: 'Live from the adapter' });
    assert.deepEqual(status.players, { max: 2000, online: 1234 });
    assert.equal(status.version.name, 'Net 1.21');
    motd = '{"text":"Changed","color":"gold"}';
    await waitFor('the new MOTD', async () => (await ping(router.port, 'play.test', VERSION)).description.text === 'Changed');
  });

  test('a failing status adapter keeps serving the last good status', async () => {
    const good = api.reply;
    api.reply = () => ({ status: 503 });
    try {
      await waitFor('an error', () => router.counter('passage_adapter_errors_total', { adapter: 'http', kind: 'status' }));
      assert.equal((await ping(router.port, 'play.test', VERSION)).description.text, 'Changed');
    } finally {
      api.reply = good;
    }
  });
});
