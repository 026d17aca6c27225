// The router against the real Minecraft client library: status, offline and online logins, transfers
// to a real minecraft-protocol backend, and the ways a login is refused.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startTestRouter, transferRoutes } from '../helpers/router.ts';
import type { TestRouter } from '../helpers/router.ts';
import { followTransfer, login, ping, startBackend } from '../helpers/minecraft.ts';
import type { Backend } from '../helpers/minecraft.ts';
import { startFakeSessionServer } from '../helpers/session-server.ts';
import type { FakeSessionServer } from '../helpers/session-server.ts';

/** 766, 769 and the newest version minecraft-protocol supports. */
const VERSIONS: [string, number][] = [['1.20.6', 766], ['1.21.4', 769], ['26.1', 775]];

describe('offline mode', () => {
  let backends: Backend[];
  let router: TestRouter;
  before(async () => {
    backends = await Promise.all(VERSIONS.map(([v]) => startBackend(v)));
    // One route per version, each with a preferred backend (priority 0) and a spare one (priority 5).
    const routes = VERSIONS.map(([v], i) => [
      '[[routes]]', `id = "r${i}"`, `hosts = ["v${i}.test"]`, 'strategy = "priority"',
      '[routes.status]', `motd = "Route ${v}"`, 'max_players = 42',
      '[[routes.targets]]', 'id = "spare"', 'address = "127.0.0.1:1"', 'priority = 5',
      '[[routes.targets]]', `id = "main-${i}"`, `address = "127.0.0.1:${backends[i].port}"`, 'priority = 0', 'meta = { players = "7" }',
    ].join('\n'));
    // Inline: a routes file may only name a favicon in its own folder (test/table/trust-boundary.test.ts).
    const favicon = `favicon = "data:image/png;base64,${readFileSync(new URL('../../docs/favicon.png', import.meta.url)).toString('base64')}"`;
    router = await startTestRouter({
      routes: `table_id = "test"\nversion = 1\n${routes.join('\n')}\n[[routes]]\nid = "fav"\nhosts = ["fav.test"]\n[routes.status]\nmotd = '{"text":"JSON motd","color":"gold"}'\n${favicon}\n`,
      config: { auth: { mode: 'offline' } },
    });
  });
  after(async () => {
    await router.stop(0);
    await Promise.all(backends.map((b) => b.close()));
  });

  for (const [i, [version, protocol]] of VERSIONS.entries()) {
    test(`a ${version} client sees the route's MOTD and its own protocol echoed`, async () => {
      const status = await ping(router.port, `v${i}.test`, version);
      assert.deepEqual(status.version, { name: 'Passage', protocol });
      assert.deepEqual(status.description, { text: `Route ${version}` });
      assert.deepEqual(status.players, { max: 42, online: 7 });
    });

    test(`a ${version} client logs in offline and arrives at the priority backend with intent 3`, async () => {
      const name = `Player${i}`;
      const result = await login({ port: router.port, host: `v${i}.test`, version, username: name });
      assert.deepEqual(result.transfer, { host: '127.0.0.1', port: backends[i].port });
      await followTransfer(result.transfer!, version, name);
      assert.deepEqual(backends[i].arrivals.at(-1), { intent: 3, username: name });
    });
  }

  test('a JSON MOTD and a favicon are served as given', async () => {
    const status = await ping(router.port, 'fav.test', '1.21.4');
    assert.deepEqual(status.description, { text: 'JSON motd', color: 'gold' });
    assert.match(status.favicon, /^data:image\/png;base64,iVBORw0KGgo/);
  });

  test('a client older than 1.20.5 sees the preferred version in the list and is told which versions work', async () => {
    const status = await ping(router.port, 'v0.test', '1.20.4');
    assert.equal(status.version.protocol, 775);
    const result = await login({ port: router.port, host: 'v0.test', version: '1.20.4', username: 'Oldie' });
    assert.match(result.disconnect ?? '', /supports Minecraft 1\.20\.5–26\.1/);
  });

  test('an unknown host gets a short status and a login disconnect that names the host', async () => {
    const status = await ping(router.port, 'nowhere.example', '1.21.4');
    assert.deepEqual(status.description, { text: 'Unknown host: nowhere.example' });
    const result = await login({ port: router.port, host: 'nowhere.example', version: '1.21.4', username: 'Lost' });
    assert.match(result.disconnect ?? '', /no server at nowhere\.example/);
    assert.ok((await router.counter('passage_disconnects_total', { reason: 'no_route' })) >= 1);
  });

  test('transfers are counted by route and target', async () => {
    assert.ok((await router.counter('passage_transfers_total', { route: 'r0', target: 'main-0' })) >= 1);
  });
});

describe('online mode', () => {
  let session: FakeSessionServer;
  let router: TestRouter;
  before(async () => {
    session = await startFakeSessionServer();
    router = await startTestRouter({
      routes: transferRoutes([{ id: 'lobby', port: 25599 }]),
      config: { auth: { mode: 'online', session_server: session.url, session_timeout: '1s', prevent_proxy_connections: true } },
    });
  });
  after(async () => {
    await router.stop(0);
    await session.close();
  });

  for (const [version] of VERSIONS) {
    test(`a ${version} client joins through the session server, is verified and transferred`, async () => {
      session.mode = 'normal';
      const calls = session.hasJoinedCalls.length;
      const result = await login({ port: router.port, version, username: 'Onliner', sessionServer: session.url });
      assert.deepEqual(result.transfer, { host: '127.0.0.1', port: 25599 });
      assert.equal(session.hasJoinedCalls.length, calls + 1);
      // prevent_proxy_connections sends the client address along.
      assert.equal(session.hasJoinedCalls.at(-1)!.ip, '127.0.0.1');
      // The profile id from the session server is the one the player gets.
      assert.equal(result.uuid?.replace(/-/g, ''), (await import('../helpers/session-server.ts')).onlineIdFor('Onliner'));
    });
  }

  test('a session the server does not know (204) shows the could-not-verify message', async () => {
    session.mode = 'reject';
    const result = await login({ port: router.port, version: '1.21.4', username: 'Faker', sessionServer: session.url });
    assert.match(result.disconnect ?? '', /Could not verify your session/);
    assert.ok((await router.counter('passage_errors_total', { kind: 'ERR_AUTH_NOT_VERIFIED' })) >= 1);
  });

  test('a hanging session server ends in a disconnect within the timeout, not a hang', async () => {
    session.mode = 'hang';
    const started = Date.now();
    const result = await login({ port: router.port, version: '1.21.4', username: 'Waiter', sessionServer: session.url }, 8000);
    assert.match(result.disconnect ?? '', /login servers are not answering/);
    assert.ok(Date.now() - started < 5000, 'disconnected within the 1 s session timeout (plus slack)');
    assert.ok((await router.counter('passage_errors_total', { kind: 'ERR_AUTH_SESSION_TIMEOUT' })) >= 1);
  });

  test('a failing session server (HTTP 500) ends in a disconnect', async () => {
    session.mode = 'error500';
    const result = await login({ port: router.port, version: '1.21.4', username: 'Unlucky', sessionServer: session.url });
    assert.match(result.disconnect ?? '', /login servers are not answering/);
  });
});

describe('no eligible target', () => {
  test('a route whose targets are all full disconnects with "no server available"', async () => {
    const router = await startTestRouter({
      routes: transferRoutes([]).replace('max_players = 500', 'max_players = 500\n[[routes.targets]]\nid = "full"\naddress = "127.0.0.1:1"\nmeta = { players = "10", max_players = "10" }'),
      config: { auth: { mode: 'offline' } },
    });
    try {
      const result = await login({ port: router.port, version: '1.21.4', username: 'Nobody' });
      assert.match(result.disconnect ?? '', /No server is available/);
    } finally {
      await router.stop(0);
    }
  });
});

describe('maintenance', () => {
  test('a route in maintenance tells players so in their language before login, and still answers the server list', async () => {
    const routes = [
      'table_id = "test"', 'version = 1',
      '[[routes]]', 'id = "main"', 'hosts = ["play.test"]', 'maintenance = true',
      '[routes.status]', 'motd = "Back at 18:00"', 'max_players = 10',
      '[[routes.targets]]', 'id = "a"', 'address = "127.0.0.1:25599"',
    ].join('\n');
    const router = await startTestRouter({ routes, config: { auth: { mode: 'offline' }, messages: { default_locale: 'de_de' } } });
    try {
      const status = await ping(router.port, 'play.test', '1.21.4');
      assert.deepEqual(status.description, { text: 'Back at 18:00' });
      const result = await login({ port: router.port, version: '1.21.4', username: 'Early' });
      assert.equal(result.disconnect, 'Der Server wird gewartet. Bitte versuche es später erneut.');
      assert.equal(await router.counter('passage_disconnects_total', { reason: 'maintenance' }), 1);
    } finally {
      await router.stop(0);
    }
  });
});
