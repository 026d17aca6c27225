// Edge policy against the real Minecraft client library: per-route auth, access lists by name, UUID
// and CIDR, maintenance bypass, target filters and the login hook, each ending in a Transfer or in the
// message the player reads.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { offlineUuid } from '../../router/auth/offline.ts';
import { startTestRouter } from '../helpers/router.ts';
import type { TestRouter } from '../helpers/router.ts';
import { login } from '../helpers/minecraft.ts';
import { encodeProxyV2 } from '../helpers/proxy.ts';
import { onlineIdFor, startFakeSessionServer } from '../helpers/session-server.ts';
import type { FakeSessionServer } from '../helpers/session-server.ts';

const VERSION = '1.21.4';
/** Targets are never dialled by the router: a Transfer names them, and the test reads the port. */
const MAIN = 25001;
const SIDE = 25002;

function route(id: string, lines: string[], targets: { id: string; port: number; meta?: string }[] = [{ id: 'main', port: MAIN }]): string {
  const out = ['[[routes]]', `id = "${id}"`, `hosts = ["${id}.test"]`, ...lines];
  for (const [i, t] of targets.entries()) {
    out.push('[[routes.targets]]', `id = "${t.id}"`, `address = "127.0.0.1:${t.port}"`, `priority = ${i}`, ...(t.meta === undefined ? [] : [`meta = ${t.meta}`]));
  }
  return out.join('\n');
}

function table(routes: string[]): string {
  // TOML: a route's sub-tables must come after its plain keys, so each route is written whole.
  return `table_id = "test"\nversion = 1\n${routes.join('\n')}\n`;
}

describe('per-route auth', () => {
  let session: FakeSessionServer;
  let online: TestRouter;
  let offline: TestRouter;
  before(async () => {
    session = await startFakeSessionServer();
    const routes = table([route('cracked', ['auth = "offline"']), route('premium', ['auth = "online"']), route('default', [])]);
    online = await startTestRouter({ routes, config: { auth: { mode: 'online', session_server: session.url } } });
    offline = await startTestRouter({ routes, config: { auth: { mode: 'offline', session_server: session.url } } });
  });
  after(async () => {
    await online.stop(0);
    await offline.stop(0);
    await session.close();
  });

  test('an offline route on an online router lets a player in without the session server', async () => {
    const calls = session.hasJoinedCalls.length;
    const result = await login({ port: online.port, host: 'cracked.test', version: VERSION, username: 'Cracked' });
    assert.deepEqual(result.transfer, { host: '127.0.0.1', port: MAIN });
    assert.equal(result.uuid, offlineUuid('Cracked'));
    assert.equal(session.hasJoinedCalls.length, calls);
  });

  test('a route without auth follows passage.toml: offline on an offline router', async () => {
    const result = await login({ port: offline.port, host: 'default.test', version: VERSION, username: 'Plain' });
    assert.deepEqual(result.transfer, { host: '127.0.0.1', port: MAIN });
    assert.equal(result.uuid, offlineUuid('Plain'));
  });

  test('an online route on an offline router authenticates with the session server', async () => {
    const calls = session.hasJoinedCalls.length;
    const result = await login({ port: offline.port, host: 'premium.test', version: VERSION, username: 'Premium', sessionServer: session.url });
    assert.deepEqual(result.transfer, { host: '127.0.0.1', port: MAIN });
    assert.equal(session.hasJoinedCalls.length, calls + 1);
    assert.equal(result.uuid?.replaceAll('-', ''), onlineIdFor('Premium'));
  });
});

describe('access lists and maintenance bypass', () => {
  let session: FakeSessionServer;
  let router: TestRouter;
  const dashed = (hex: string): string => `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  before(async () => {
    session = await startFakeSessionServer();
    router = await startTestRouter({
      routes: table([
        route('deny', ['[routes.access]', `deny_players = ["griefer", "${dashed(onlineIdFor('UuidBanned'))}"]`, 'message = "Banned here."']),
        route('allow', ['[routes.access]', `allow_players = ["Friend", "${onlineIdFor('UuidFriend')}"]`]),
        route('closed', ['maintenance = true', `maintenance_bypass = ["Staff", "${dashed(onlineIdFor('UuidStaff'))}"]`]),
      ]),
      config: { auth: { mode: 'online', session_server: session.url } },
    });
  });
  after(async () => {
    await router.stop(0);
    await session.close();
  });
  const join = (host: string, username: string): ReturnType<typeof login> =>
    login({ port: router.port, host: `${host}.test`, version: VERSION, username, sessionServer: session.url });

  test('a name on deny_players is refused case-insensitively with the route message, and counted', async () => {
    const result = await join('deny', 'Griefer');
    assert.equal(result.disconnect, 'Banned here.');
    assert.equal(await router.counter('passage_access_denied_total', { route: 'deny', reason: 'deny_player' }), 1);
  });

  test('a UUID on deny_players is refused whatever name the player uses', async () => {
    const result = await join('deny', 'UuidBanned');
    assert.equal(result.disconnect, 'Banned here.');
  });

  test('a player on no deny list passes', async () => {
    assert.deepEqual((await join('deny', 'Visitor')).transfer, { host: '127.0.0.1', port: MAIN });
  });

  test('allow_players lets in listed names and UUIDs and refuses others with the localized default', async () => {
    assert.deepEqual((await join('allow', 'friend')).transfer, { host: '127.0.0.1', port: MAIN });
    assert.deepEqual((await join('allow', 'UuidFriend')).transfer, { host: '127.0.0.1', port: MAIN });
    const stranger = await join('allow', 'Stranger');
    assert.equal(stranger.disconnect, 'You are not allowed on this server.');
    assert.equal(await router.counter('passage_access_denied_total', { route: 'allow', reason: 'not_allowed' }), 1);
  });

  test('maintenance_bypass lets staff in by name or UUID during maintenance; others see the maintenance message', async () => {
    assert.deepEqual((await join('closed', 'Staff')).transfer, { host: '127.0.0.1', port: MAIN });
    assert.deepEqual((await join('closed', 'UuidStaff')).transfer, { host: '127.0.0.1', port: MAIN });
    const player = await join('closed', 'Regular');
    assert.equal(player.disconnect, 'The server is under maintenance. Please try again later.');
    assert.equal(await router.counter('passage_access_denied_total', { route: 'closed', reason: 'maintenance' }), 1);
  });
});

describe('deny_ips through a PROXY header', () => {
  let router: TestRouter;
  before(async () => {
    router = await startTestRouter({
      routes: table([route('edge', ['[routes.access]', 'deny_ips = ["203.0.113.0/24", "2001:db8::/32"]'])]),
      config: { auth: { mode: 'offline' }, proxy_protocol: { enabled: true, trusted_proxies: ['127.0.0.1/32'] } },
    });
  });
  after(() => router.stop(0));

  test('a client in a denied CIDR is refused at the handshake, before Login Success', async () => {
    const result = await login({ port: router.port, host: 'edge.test', version: VERSION, username: 'FromBadNet', proxyHeader: encodeProxyV2({ source: '203.0.113.7', sourcePort: 40000 }) });
    assert.equal(result.disconnect, 'You are not allowed on this server.');
    assert.equal(result.uuid, undefined);
    assert.equal(await router.counter('passage_access_denied_total', { route: 'edge', reason: 'deny_ip' }), 1);
  });

  test('an IPv6 client in a denied CIDR is refused too', async () => {
    const result = await login({ port: router.port, host: 'edge.test', version: VERSION, username: 'FromBadNet6', proxyHeader: encodeProxyV2({ source: '2001:db8::5', sourcePort: 40000 }) });
    assert.equal(result.disconnect, 'You are not allowed on this server.');
  });

  test('a client outside the denied CIDRs passes', async () => {
    const result = await login({ port: router.port, host: 'edge.test', version: VERSION, username: 'FromGoodNet', proxyHeader: encodeProxyV2({ source: '198.51.100.7', sourcePort: 40000 }) });
    assert.deepEqual(result.transfer, { host: '127.0.0.1', port: MAIN });
  });
});

describe('target_filter', () => {
  let router: TestRouter;
  // `main` is preferred (priority 0) unless the filter removes it; `side` has priority 1 (route() numbers them).
  const targets = [
    { id: 'main', port: MAIN, meta: '{ status = "draining", region = "us" }' },
    { id: 'side', port: SIDE, meta: '{ status = "online", region = "eu", beta = "yes" }' },
  ];
  const cases: [string, string, number][] = [
    ['equals', '{ key = "status", op = "equals", value = "online" }', SIDE],
    ['not_equals', '{ key = "status", op = "not_equals", value = "draining" }', SIDE],
    ['exists', '{ key = "beta", op = "exists" }', SIDE],
    ['not_exists', '{ key = "region", op = "not_exists" }', 0],
    ['in', '{ key = "region", op = "in", value = ["eu", "ap"] }', SIDE],
    ['not_in', '{ key = "region", op = "not_in", value = ["eu"] }', MAIN],
  ];
  before(async () => {
    router = await startTestRouter({
      routes: table(cases.map(([op, filter]) => route(op.replace('_', '-'), ['strategy = "priority"', `target_filter = [${filter}]`], targets))),
      config: { auth: { mode: 'offline' } },
    });
  });
  after(() => router.stop(0));

  for (const [op, , port] of cases) {
    test(`op ${op} keeps only the targets whose meta meets it`, async () => {
      const result = await login({ port: router.port, host: `${op.replace('_', '-')}.test`, version: VERSION, username: `Filter${op.replace('_', '')}` });
      if (port === 0) assert.equal(result.disconnect, 'No server is available right now. Please try again in a moment.');
      else assert.deepEqual(result.transfer, { host: '127.0.0.1', port });
    });
  }
});

describe('login hook', () => {
  let hook: Server;
  let hookUrl: string;
  let router: TestRouter;
  const requests: Record<string, unknown>[] = [];
  const hanging = new Set<ServerResponse>();
  before(async () => {
    hook = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const doc = JSON.parse(body) as { name: string };
        requests.push(doc);
        const json = (v: unknown): void => void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(v));
        if (doc.name.startsWith('Allow')) return json({ action: 'allow' });
        if (doc.name.startsWith('Deny')) return json({ action: 'deny', message: 'Come back tomorrow.' });
        if (doc.name.startsWith('Move')) return json({ action: 'target', target: 'side' });
        if (doc.name.startsWith('Ghost')) return json({ action: 'target', target: 'nowhere' });
        if (doc.name.startsWith('Junk')) return void res.writeHead(200).end('<html>not json');
        if (doc.name.startsWith('Weird')) return json({ action: 'maybe' });
        hanging.add(res); // Slow: never answers
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/login?token=secret`;
    const targets = [{ id: 'main', port: MAIN }, { id: 'side', port: SIDE }];
    router = await startTestRouter({
      routes: table([
        route('open', ['[routes.login_hook]', `url = "${hookUrl}"`, 'timeout = "300ms"', 'on_error = "allow"'], targets),
        route('strict', ['[routes.login_hook]', `url = "${hookUrl}"`, 'timeout = "300ms"', 'on_error = "deny"'], targets),
        route('refused', ['[routes.login_hook]', 'url = "http://hook.invalid/login"', 'on_error = "deny"'], targets),
      ]),
      config: { auth: { mode: 'offline' }, adapters: { allow_plain_http: ['127.0.0.1'] } },
    });
  });
  after(async () => {
    await router.stop(0);
    for (const res of hanging) res.destroy();
    hook.closeAllConnections();
    await new Promise<void>((r) => hook.close(() => r()));
  });
  const join = (host: string, username: string): ReturnType<typeof login> => login({ port: router.port, host: `${host}.test`, version: VERSION, username, locale: 'de_de' });

  test('an allowing hook is sent the player, and the player is transferred by the strategy', async () => {
    const result = await join('strict', 'Allowed');
    assert.deepEqual(result.transfer, { host: '127.0.0.1', port: MAIN });
    const asked = requests.find((r) => r.name === 'Allowed');
    assert.deepEqual(asked, { name: 'Allowed', uuid: offlineUuid('Allowed'), ip: '127.0.0.1', host: 'strict.test', protocol: 769, route: 'strict', locale: 'de_de' });
    assert.equal(await router.counter('passage_login_hook_duration_seconds', { route: 'strict', result: 'allow' }), 1);
  });

  test('a denying hook shows its own message and is counted as hook_deny', async () => {
    const result = await join('open', 'DenyMe');
    assert.equal(result.disconnect, 'Come back tomorrow.');
    assert.equal(await router.counter('passage_access_denied_total', { route: 'open', reason: 'hook_deny' }), 1);
  });

  test('a hook naming a target sends the player there instead of the strategy choice', async () => {
    assert.deepEqual((await join('strict', 'Moved')).transfer, { host: '127.0.0.1', port: SIDE });
  });

  test('a hook naming a target the route does not have leaves the player with no server', async () => {
    assert.equal((await join('open', 'Ghost')).disconnect, 'Gerade ist kein Server verfügbar. Bitte versuche es gleich noch einmal.');
  });

  test('a hook that times out lets the player in under on_error = "allow"', async () => {
    assert.deepEqual((await join('open', 'SlowOpen')).transfer, { host: '127.0.0.1', port: MAIN });
    assert.equal(await router.counter('passage_login_hook_duration_seconds', { route: 'open', result: 'error' }), 1);
  });

  test('a hook that times out refuses the player under on_error = "deny", in the player\'s language', async () => {
    assert.equal((await join('strict', 'SlowStrict')).disconnect, 'Du darfst diesen Server nicht betreten.');
    assert.equal(await router.counter('passage_access_denied_total', { route: 'strict', reason: 'hook_error' }), 1);
  });

  test('a hook answering garbage counts as a failed call: allowed under "allow", refused under "deny"', async () => {
    assert.deepEqual((await join('open', 'JunkOpen')).transfer, { host: '127.0.0.1', port: MAIN });
    assert.equal((await join('strict', 'JunkStrict')).disconnect, 'Du darfst diesen Server nicht betreten.');
    assert.equal((await join('strict', 'WeirdStrict')).disconnect, 'Du darfst diesen Server nicht betreten.');
  });

  test('a plain-http hook to a host passage.toml does not allow is never called and counts as a failure', async () => {
    const before = requests.length;
    assert.equal((await join('refused', 'Anyone')).disconnect, 'Du darfst diesen Server nicht betreten.');
    assert.equal(requests.length, before);
  });
});
