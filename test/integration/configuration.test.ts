// The configuration phase with the real client: auth cookies instead of a second Mojang call,
// resource packs, and messages in the player's language.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestRouter, transferRoutes } from '../helpers/router.ts';
import type { TestRouter } from '../helpers/router.ts';
import { login } from '../helpers/minecraft.ts';
import { startFakeSessionServer } from '../helpers/session-server.ts';
import { rawExchange } from '../helpers/raw.ts';
import { encodeHandshake } from '../../router/protocol/handshake.ts';
import { PacketWriter } from '../../router/protocol/writer.ts';
import type { FakeSessionServer } from '../helpers/session-server.ts';

const SECRET = Buffer.from('integration-secret-0123456789');
const OTHER = Buffer.from('rotated-in-secret-0123456789');
const COOKIE = 'passage:authentication';

describe('auth cookie', () => {
  let session: FakeSessionServer;
  let router: TestRouter;
  let clock = Date.now();
  before(async () => {
    session = await startFakeSessionServer();
    router = await startTestRouter({
      routes: transferRoutes([{ id: 'lobby', port: 25599 }]),
      config: { auth: { session_server: session.url, cookie_ttl: '1h' } },
      cookieSecrets: [SECRET],
      now: () => clock,
    });
  });
  after(async () => {
    await router.stop(0);
    await session.close();
  });

  const online = (name: string, jar: Map<string, Buffer>, extra: object = {}) =>
    login({ port: router.port, version: '1.21.4', username: name, sessionServer: session.url, cookieJar: jar, ...extra });

  test('the first login stores a cookie and the second makes no session-server call', async () => {
    const jar = new Map<string, Buffer>();
    const first = await online('Cookie', jar);
    assert.deepEqual(first.transfer, { host: '127.0.0.1', port: 25599 });
    assert.ok(jar.get(COOKIE)!.length > 0, 'Store Cookie before Transfer');
    const calls = session.hasJoinedCalls.length;
    const second = await online('Cookie', jar);
    assert.deepEqual(second.transfer, { host: '127.0.0.1', port: 25599 });
    assert.equal(session.hasJoinedCalls.length, calls, 'zero session-server calls');
    assert.equal(second.uuid, first.uuid, 'the cookie carries the verified profile');
    assert.ok((await router.counter('passage_auth_cookie_total', { result: 'valid' })) >= 1);
  });

  test('a tampered cookie falls back to the session server', async () => {
    const jar = new Map<string, Buffer>();
    await online('Tamper', jar);
    const cookie = Buffer.from(jar.get(COOKIE)!);
    cookie[10] ^= 0x20;
    jar.set(COOKIE, cookie);
    const calls = session.hasJoinedCalls.length;
    const result = await online('Tamper', jar);
    assert.ok(result.transfer);
    assert.equal(session.hasJoinedCalls.length, calls + 1);
    assert.ok((await router.counter('passage_auth_cookie_total', { result: 'signature' })) >= 1);
  });

  test('a cookie presented from another IP falls back to the session server', async () => {
    const jar = new Map<string, Buffer>();
    await online('Roamer', jar);
    const calls = session.hasJoinedCalls.length;
    const result = await online('Roamer', jar, { localAddress: '127.0.0.2' });
    assert.ok(result.transfer);
    assert.equal(session.hasJoinedCalls.length, calls + 1);
    assert.ok((await router.counter('passage_auth_cookie_total', { result: 'ip' })) >= 1);
  });

  test('an expired cookie falls back to the session server', async () => {
    const jar = new Map<string, Buffer>();
    await online('Sleepy', jar);
    clock += 2 * 3600_000;
    const calls = session.hasJoinedCalls.length;
    const result = await online('Sleepy', jar);
    assert.ok(result.transfer);
    assert.equal(session.hasJoinedCalls.length, calls + 1);
    assert.ok((await router.counter('passage_auth_cookie_total', { result: 'expired' })) >= 1);
  });

  test('another player cannot use my cookie', async () => {
    const jar = new Map<string, Buffer>();
    await online('Owner', jar);
    const calls = session.hasJoinedCalls.length;
    await online('Thief', jar);
    assert.equal(session.hasJoinedCalls.length, calls + 1);
  });

  test('after a rotation, cookies signed with the old secret still verify', async () => {
    const jar = new Map<string, Buffer>();
    await online('Rotator', jar);
    const rotated = await startTestRouter({
      routes: transferRoutes([{ id: 'lobby', port: 25599 }]),
      config: { auth: { session_server: session.url } },
      cookieSecrets: [OTHER, SECRET],
      now: () => clock,
    });
    try {
      const calls = session.hasJoinedCalls.length;
      const result = await login({ port: rotated.port, version: '1.21.4', username: 'Rotator', sessionServer: session.url, cookieJar: jar });
      assert.ok(result.transfer);
      assert.equal(session.hasJoinedCalls.length, calls);
    } finally {
      await rotated.stop(0);
    }
  });

  test('a player transferred in (intent 3) is recognized by the cookie too', async () => {
    const jar = new Map<string, Buffer>();
    await online('Traveller', jar);
    const calls = session.hasJoinedCalls.length;
    const result = await online('Traveller', jar, { intent: 3 });
    assert.ok(result.transfer);
    assert.equal(session.hasJoinedCalls.length, calls);
  });
});

describe('resource packs and locales', () => {
  const PACK = '2f1c0e3a-5b7d-4c1e-9a2b-3c4d5e6f7a8b';
  const OPTIONAL = '9a9a0e3a-5b7d-4c1e-9a2b-3c4d5e6f7a8b';
  let router: TestRouter;
  before(async () => {
    const packs = [
      '[[routes.resource_packs]]', `id = "${PACK}"`, 'url = "https://packs.example.com/main.zip"', `hash = "${'ab'.repeat(20)}"`, 'forced = true', 'prompt = "Our textures"',
      '[[routes.resource_packs]]', `id = "${OPTIONAL}"`, 'url = "https://packs.example.com/extra.zip"', `hash = "${'cd'.repeat(20)}"`,
    ].join('\n');
    router = await startTestRouter({ routes: transferRoutes([{ id: 'lobby', port: 25599 }]) + packs + '\n', config: { auth: { mode: 'offline' } } });
  });
  after(() => router.stop(0));

  test('packs accepted and loaded lead to the transfer', async () => {
    const result = await login({ port: router.port, version: '1.21.4', username: 'Loader', packResults: [3, 4, 0] });
    assert.deepEqual(result.transfer, { host: '127.0.0.1', port: 25599 });
    assert.deepEqual(result.packs?.map((p) => [p.uuid, p.forced, p.hash]), [[PACK, true, 'ab'.repeat(20)], [OPTIONAL, false, 'cd'.repeat(20)]]);
    assert.ok((await router.counter('passage_resource_pack_results_total', { pack: PACK, result: 'loaded' })) >= 1);
  });

  test('a declined forced pack disconnects in the client locale (de_de → German)', async () => {
    const result = await login({ port: router.port, version: '1.21.4', username: 'Decliner', locale: 'de_DE', packResults: [1] });
    assert.equal(result.disconnect, 'Dieser Server benötigt sein Ressourcenpaket. Erlaube Server-Ressourcenpakete und verbinde dich erneut.');
    assert.ok((await router.counter('passage_resource_pack_results_total', { pack: PACK, result: 'declined' })) >= 1);
  });

  test('a failed download of a forced pack disconnects in French for fr_ca', async () => {
    const result = await login({ port: router.port, version: '26.1', username: 'Failer', locale: 'fr_ca', packResults: [3, 2] });
    assert.match(result.disconnect ?? '', /^Ce serveur exige son pack de ressources/);
  });
});

describe('resource packs: optional packs and the pack deadline', () => {
  const FORCED = '3b1c0e3a-5b7d-4c1e-9a2b-3c4d5e6f7a8b';
  const OPTIONAL = '4c9a0e3a-5b7d-4c1e-9a2b-3c4d5e6f7a8b';
  const pack = (id: string, forced: boolean): string =>
    ['[[routes.resource_packs]]', `id = "${id}"`, 'url = "https://packs.example.com/p.zip"', `hash = "${'ef'.repeat(20)}"`, `forced = ${forced}`].join('\n');
  let optionalOnly: TestRouter;
  let forcedOnly: TestRouter;
  before(async () => {
    const config = { auth: { mode: 'offline' }, limits: { resource_pack_timeout: '300ms' } };
    optionalOnly = await startTestRouter({ routes: transferRoutes([{ id: 'lobby', port: 25599 }]) + pack(OPTIONAL, false) + '\n', config });
    forcedOnly = await startTestRouter({ routes: transferRoutes([{ id: 'lobby', port: 25599 }]) + pack(FORCED, true) + '\n', config });
  });
  after(async () => {
    await optionalOnly.stop(0);
    await forcedOnly.stop(0);
  });

  test('a declined optional pack does not stop the transfer', async () => {
    const result = await login({ port: optionalOnly.port, version: '1.21.4', username: 'NoThanks', packResults: [1] });
    assert.deepEqual(result.transfer, { host: '127.0.0.1', port: 25599 });
    assert.ok((await optionalOnly.counter('passage_resource_pack_results_total', { pack: OPTIONAL, result: 'declined' })) >= 1);
  });

  test('an optional pack with no final result by the deadline is given up on, and the player is transferred', async () => {
    const result = await login({ port: optionalOnly.port, version: '1.21.4', username: 'Silent', packResults: [3] });
    assert.deepEqual(result.transfer, { host: '127.0.0.1', port: 25599 });
    assert.ok((await optionalOnly.counter('passage_resource_pack_results_total', { pack: OPTIONAL, result: 'timeout' })) >= 1);
  });

  test('a forced pack with no final result by the deadline disconnects with the pack message', async () => {
    const result = await login({ port: forcedOnly.port, version: '1.21.4', username: 'Stalled', packResults: [3, 4] });
    assert.match(result.disconnect ?? '', /requires its resource pack/);
    assert.ok((await forcedOnly.counter('passage_errors_total', { kind: 'ERR_RESOURCE_PACK_TIMEOUT' })) >= 1);
  });
});

describe('configuration keep-alives', () => {
  let router: TestRouter;
  before(async () => {
    router = await startTestRouter({
      routes: transferRoutes([{ id: 'lobby', port: 25599 }]),
      config: { auth: { mode: 'offline' }, limits: { keep_alive_interval: '200ms', configuration_timeout: '30s' } },
    });
  });
  after(() => router.stop(0));

  test('a client that leaves a keep-alive unanswered for a whole interval is disconnected long before the phase deadline', async () => {
    // Handshake, Login Start, Login Acknowledged; then silence (no Client Information, no keep-alive answer).
    const bytes = [
      encodeHandshake({ protocol: 769, host: 'play.test', port: 25565, intent: 2 }),
      new PacketWriter().string('Quiet').uuid('00000000-0000-0000-0000-000000000000').packet(0x00),
      new PacketWriter().packet(0x03),
    ];
    const started = Date.now();
    const { data, closedByServer } = await rawExchange(router.port, bytes, 5000);
    assert.ok(closedByServer, 'the router closed the connection');
    assert.ok(Date.now() - started < 3000, 'within a few keep-alive intervals, not the 30 s phase deadline');
    // The configuration Disconnect (0x02) is the last frame; its NBT text carries the timeout message.
    assert.match(data.toString('latin1'), /Timed out/);
    assert.ok((await router.counter('passage_errors_total', { kind: 'ERR_KEEPALIVE_TIMEOUT' })) >= 1);
  });
});
