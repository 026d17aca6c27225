// Passthrough routes against the real Minecraft client library: a minecraft-protocol client logs in
// through Passage to a minecraft-protocol backend and chats both ways; PROXY headers, host rewrites,
// failover, player caps, a backend that is down, per-protocol status caching, the old-client
// fallback of transfer routes, and drain.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestRouter } from '../helpers/router.ts';
import type { TestRouter } from '../helpers/router.ts';
import { login, ping } from '../helpers/minecraft.ts';
import { joinAndStay, playThrough, startEchoStatusBackend, startPlayBackend, startProxyTap } from '../helpers/relay.ts';
import type { EchoStatusBackend, PlayBackend, ProxyTap } from '../helpers/relay.ts';

const OFFLINE = { auth: { mode: 'offline' }, rate_limiter: { enabled: false } };

function route(lines: { id: string; hosts: string[]; extra?: string[]; targets: { id: string; port: number; priority?: number }[] }): string {
  const out = ['[[routes]]', `id = "${lines.id}"`, `hosts = ${JSON.stringify(lines.hosts)}`, ...(lines.extra ?? [])];
  for (const t of lines.targets) out.push('[[routes.targets]]', `id = "${t.id}"`, `address = "127.0.0.1:${t.port}"`, `priority = ${t.priority ?? 0}`);
  return out.join('\n');
}

function table(...routes: string[]): string {
  return ['table_id = "test"', 'version = 1', ...routes].join('\n') + '\n';
}

/** Port 1 on loopback refuses at once. */
const REFUSING_PORT = 1;

describe('passthrough: play through the relay', () => {
  let old: PlayBackend;
  let current: PlayBackend;
  let tap: ProxyTap;
  let router: TestRouter;
  before(async () => {
    [old, current] = await Promise.all([startPlayBackend('1.8.9'), startPlayBackend('1.21.4')]);
    tap = await startProxyTap(current.port);
    router = await startTestRouter({
      routes: table(
        route({ id: 'old', hosts: ['old.test'], extra: ['mode = "passthrough"'], targets: [{ id: 'old-1', port: old.port }] }),
        route({ id: 'new', hosts: ['new.test'], extra: ['mode = "passthrough"'], targets: [{ id: 'new-1', port: current.port }] }),
        route({
          id: 'proxied',
          hosts: ['proxied.test'],
          extra: ['mode = "passthrough"', 'send_proxy_protocol = true', 'domain_rewrite = { explicit = "backend.internal" }'],
          targets: [{ id: 'tap', port: tap.port }],
        }),
        route({
          id: 'failover',
          hosts: ['failover.test'],
          extra: ['mode = "passthrough"', 'domain_rewrite = "from_backend"', 'timeouts = { connect = "1s" }'],
          targets: [
            { id: 'refusing', port: REFUSING_PORT, priority: 0 },
            { id: 'working', port: current.port, priority: 1 },
          ],
        }),
      ),
      config: OFFLINE,
    });
  });
  after(async () => {
    await router.stop(0);
    await Promise.all([old.close(), current.close(), tap.close()]);
  });

  test('a 1.8.9 client logs in through a passthrough route and chats with the backend both ways', async () => {
    const result = await playThrough({ port: router.port, host: 'old.test', version: '1.8.9', username: 'Oldtimer' });
    assert.equal(result.reply, 'echo: hello from Oldtimer');
    assert.ok(old.chats.includes('hello from Oldtimer'));
    assert.deepEqual(old.handshakes.at(-1), { host: 'old.test', port: router.port, protocol: 47, intent: 2 });
  });

  test('a 1.21.4 client logs in through a passthrough route and chats with the backend both ways', async () => {
    const result = await playThrough({ port: router.port, host: 'new.test', version: '1.21.4', username: 'Newcomer' });
    assert.equal(result.reply, 'echo: hello from Newcomer');
    assert.ok(current.chats.includes('hello from Newcomer'));
    assert.equal(current.handshakes.at(-1)!.host, 'new.test');
  });

  test('the backend reads a PROXY v2 header with the client address and the rewritten host', async () => {
    const before = tap.headers.length;
    const result = await playThrough({ port: router.port, host: 'proxied.test', version: '1.21.4', username: 'Proxied' });
    assert.equal(result.reply, 'echo: hello from Proxied');
    const header = tap.headers[before]!;
    assert.equal(header.version, 2);
    assert.equal(header.command, 1, 'PROXY, not LOCAL');
    assert.equal(header.family, 0x11, 'TCP over IPv4');
    assert.equal(header.source, '127.0.0.1');
    assert.ok(header.sourcePort > 0);
    assert.equal(header.destination, '127.0.0.1');
    assert.equal(header.destinationPort, router.port);
    assert.equal(current.handshakes.at(-1)!.host, 'backend.internal');
  });

  test('a refused first address fails over to the next, whose host the handshake then names', async () => {
    const result = await playThrough({ port: router.port, host: 'failover.test', version: '1.21.4', username: 'Failover' });
    assert.equal(result.reply, 'echo: hello from Failover');
    assert.deepEqual(current.handshakes.at(-1), { host: '127.0.0.1', port: current.port, protocol: 769, intent: 2 });
    assert.ok((await router.counter('passage_errors_total', { kind: 'ERR_RELAY_CONNECT_FAILED' })) === 0, 'a failover is not an error');
  });

  test('sessions are counted by end reason and their bytes by direction', async () => {
    // The last session may still be closing.
    for (let i = 0; i < 50 && (await router.counter('passage_relay_active')) > 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(await router.counter('passage_relay_active'), 0);
    assert.ok((await router.counter('passage_relay_sessions_total', { route: 'new', reason: 'client_closed' })) >= 1);
    assert.ok((await router.counter('passage_relay_bytes_total', { direction: 'to_backend' })) > 100);
    assert.ok((await router.counter('passage_relay_bytes_total', { direction: 'to_client' })) > 1000);
  });
});

describe('passthrough: limits and failures', () => {
  let backend: PlayBackend;
  let router: TestRouter;
  before(async () => {
    backend = await startPlayBackend('1.21.4');
    router = await startTestRouter({
      routes: table(
        route({ id: 'capped', hosts: ['capped.test'], extra: ['mode = "passthrough"', 'max_players = 1'], targets: [{ id: 'b', port: backend.port }] }),
        route({
          id: 'down',
          hosts: ['down.test'],
          extra: ['mode = "passthrough"', 'disconnect_message = "The survival server is asleep. Try again soon!"', '[routes.status]', 'motd = "Survival"', 'max_players = 80'],
          targets: [
            { id: 'gone-1', port: REFUSING_PORT },
            { id: 'gone-2', port: REFUSING_PORT, priority: 1 },
          ],
        }),
        route({ id: 'down-default', hosts: ['down-default.test'], extra: ['mode = "passthrough"'], targets: [{ id: 'gone', port: REFUSING_PORT }] }),
      ),
      config: OFFLINE,
    });
  });
  after(async () => {
    await router.stop(0);
    await backend.close();
  });

  test('max_players caps the players relayed at once on a route, and the next one is told the server is full', async () => {
    const first = await joinAndStay({ port: router.port, host: 'capped.test', version: '1.21.4', username: 'First' });
    try {
      const second = await login({ port: router.port, host: 'capped.test', version: '1.21.4', username: 'Second' });
      assert.equal(second.disconnect, 'The server is full. Please try again later.');
      assert.ok((await router.counter('passage_disconnects_total', { reason: 'server_full' })) >= 1);
    } finally {
      first.end();
    }
    // The slot is free again once the first player has left.
    for (let i = 0; i < 50 && (await router.counter('passage_relay_active')) > 0; i++) await new Promise((r) => setTimeout(r, 20));
    const third = await playThrough({ port: router.port, host: 'capped.test', version: '1.21.4', username: 'Third' });
    assert.equal(third.reply, 'echo: hello from Third');
  });

  test('when no target accepts, the player sees the route disconnect_message', async () => {
    const result = await login({ port: router.port, host: 'down.test', version: '1.21.4', username: 'Sleeper' });
    assert.equal(result.disconnect, 'The survival server is asleep. Try again soon!');
    assert.ok((await router.counter('passage_errors_total', { kind: 'ERR_RELAY_NO_TARGET' })) >= 1);
  });

  test('without a disconnect_message, a 1.8.9 player sees the localized no-server text', async () => {
    const result = await login({ port: router.port, host: 'down-default.test', version: '1.8.9', username: 'Sleeper' });
    assert.equal(result.disconnect, 'No server is available right now. Please try again in a moment.');
  });

  test('when the backend is down, the status is the route own, marked offline', async () => {
    const status = await ping(router.port, 'down.test', '1.21.4');
    assert.deepEqual(status.version, { name: 'Offline', protocol: -1 });
    assert.deepEqual(status.description, { text: 'Survival' });
    assert.deepEqual(status.players, { max: 80, online: 0 });
    assert.ok((await router.counter('passage_relay_status_total', { route: 'down', result: 'failed' })) >= 1);
  });
});

describe('passthrough: status from the backend', () => {
  let backend: EchoStatusBackend;
  let router: TestRouter;
  before(async () => {
    backend = await startEchoStatusBackend();
    router = await startTestRouter({
      routes: table(route({ id: 'echo', hosts: ['echo.test'], extra: ['mode = "passthrough"'], targets: [{ id: 'b', port: backend.port }] })),
      config: OFFLINE,
    });
  });
  after(async () => {
    await router.stop(0);
    await backend.close();
  });

  test('each client version sees its own protocol, and a second ping of a version is served from the cache', async () => {
    const old = await ping(router.port, 'echo.test', '1.8.9');
    const current = await ping(router.port, 'echo.test', '1.21.4');
    assert.deepEqual(old.version, { name: 'echo 47', protocol: 47 });
    assert.deepEqual(current.version, { name: 'echo 769', protocol: 769 });
    assert.deepEqual(current.description, { text: 'from the backend' });
    const again = await ping(router.port, 'echo.test', '1.21.4');
    assert.deepEqual(again.version, { name: 'echo 769', protocol: 769 });
    assert.equal(backend.requests.get(769), 1, 'the backend was asked once for 1.21.4');
    assert.equal(backend.requests.get(47), 1, 'and once for 1.8.9');
    assert.equal(await router.counter('passage_relay_status_total', { route: 'echo', result: 'hit' }), 1);
  });

  test('pings that arrive together while the backend answers share one backend request', async () => {
    backend.delayMs = 200;
    const statuses = await Promise.all(Array.from({ length: 8 }, () => ping(router.port, 'echo.test', '1.20.4')));
    backend.delayMs = 0;
    for (const s of statuses) assert.equal(s.version.protocol, 765);
    assert.equal(backend.requests.get(765), 1);
    assert.equal(await router.counter('passage_relay_status_total', { route: 'echo', result: 'coalesced' }), 7);
  });
});

describe('old-client fallback on a transfer route', () => {
  let backend: PlayBackend;
  let router: TestRouter;
  before(async () => {
    backend = await startPlayBackend('1.12.2');
    router = await startTestRouter({
      routes: table(
        route({ id: 'lobby', hosts: ['lobby.test'], extra: ['fallback = "passthrough"'], targets: [{ id: 'lobby-1', port: backend.port }] }),
        route({ id: 'strict', hosts: ['strict.test'], targets: [{ id: 'strict-1', port: backend.port }] }),
      ),
      config: OFFLINE,
    });
  });
  after(async () => {
    await router.stop(0);
    await backend.close();
  });

  test('a 1.12.2 client on a transfer route with fallback = "passthrough" reaches the backend through the relay', async () => {
    const result = await playThrough({ port: router.port, host: 'lobby.test', version: '1.12.2', username: 'Legacy' });
    assert.equal(result.reply, 'echo: hello from Legacy');
    assert.deepEqual(backend.handshakes.at(-1), { host: 'lobby.test', port: router.port, protocol: 340, intent: 2 });
  });

  test('its server-list ping shows the backend status for its own version', async () => {
    const status = await ping(router.port, 'lobby.test', '1.12.2');
    assert.equal(status.version.protocol, 340);
  });

  test('a 1.21.4 client on the same route is still transferred', async () => {
    const result = await login({ port: router.port, host: 'lobby.test', version: '1.21.4', username: 'Modern' });
    assert.deepEqual(result.transfer, { host: '127.0.0.1', port: backend.port });
  });

  test('without the fallback, a 1.12.2 client is told which versions work', async () => {
    const result = await login({ port: router.port, host: 'strict.test', version: '1.12.2', username: 'Legacy' });
    assert.match(result.disconnect ?? '', /supports Minecraft 1\.20\.5/);
  });
});

describe('passthrough: drain', () => {
  test('a drain lets relays run until its deadline, then closes them', async () => {
    const backend = await startPlayBackend('1.21.4');
    const router = await startTestRouter({
      routes: table(route({ id: 'pt', hosts: ['pt.test'], extra: ['mode = "passthrough"'], targets: [{ id: 'b', port: backend.port }] })),
      config: OFFLINE,
    });
    try {
      const client = await joinAndStay({ port: router.port, host: 'pt.test', version: '1.21.4', username: 'Stayer' });
      const ended = new Promise<number>((resolve) => client.once('end', () => resolve(Date.now())));
      const started = Date.now();
      const stopping = router.stop(600);
      // During the drain the session still carries play packets both ways.
      const reply = new Promise<string>((resolve) => client.once('system_chat', () => resolve('echoed')));
      client.chat('still here');
      assert.equal(await reply, 'echoed');
      const cut = await stopping;
      const endedAt = await ended;
      assert.equal(cut, 1);
      assert.ok(endedAt - started >= 500, `closed after the deadline, not before (${endedAt - started} ms)`);
      assert.equal(await router.counter('passage_relay_sessions_total', { route: 'pt', reason: 'drain' }), 1);
    } finally {
      await backend.close();
    }
  });
});
