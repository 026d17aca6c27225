// Broken bytes close that one connection, are counted by kind, and never disturb other players.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestRouter, transferRoutes } from '../helpers/router.ts';
import type { TestRouter } from '../helpers/router.ts';
import { login, ping } from '../helpers/minecraft.ts';
import { rawExchange } from '../helpers/raw.ts';
import { encodeHandshake } from '../../router/protocol/handshake.ts';
import { encodeVarInt } from '../../router/protocol/varint.ts';
import { PacketWriter } from '../../router/protocol/writer.ts';
import { createAdminServer, listenAdmin } from '../../router/admin/server.ts';

let router: TestRouter;
before(async () => {
  router = await startTestRouter({ routes: transferRoutes([{ id: 'a', port: 25599 }]), config: { auth: { mode: 'offline' } } });
});
after(() => router.stop(0));

const statusHandshake = encodeHandshake({ protocol: 769, host: 'play.test', port: 25565, intent: 1 });
const loginHandshake = encodeHandshake({ protocol: 769, host: 'play.test', port: 25565, intent: 2 });

const CASES: { name: string; bytes: Buffer[]; kind: string }[] = [
  { name: 'a VarInt length of six bytes', bytes: [Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01])], kind: 'ERR_FRAME_TOO_LARGE' },
  { name: 'a frame length VarInt that cannot fit in three bytes', bytes: [Buffer.from([0x80, 0x80, 0x80])], kind: 'ERR_FRAME_TOO_LARGE' },
  { name: 'a frame announcing 2 MiB in the handshake', bytes: [Buffer.concat([encodeVarInt(2_000_000), Buffer.alloc(64)])], kind: 'ERR_FRAME_TOO_LARGE' },
  { name: 'an empty frame', bytes: [Buffer.from([0x00])], kind: 'ERR_FRAME_EMPTY' },
  { name: 'an unknown packet id in the handshake', bytes: [new PacketWriter().varInt(769).packet(0x05)], kind: 'ERR_UNKNOWN_PACKET' },
  { name: 'a handshake frame that ends before its fields do', bytes: [Buffer.from([0x03, 0x00, 0x81, 0x06])], kind: 'ERR_TRUNCATED' },
  { name: 'a bad VarInt inside a packet', bytes: [Buffer.from([0x07, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])], kind: 'ERR_VARINT_TOO_LONG' },
  { name: 'an unknown status packet', bytes: [statusHandshake, new PacketWriter().packet(0x09)], kind: 'ERR_UNKNOWN_PACKET' },
  { name: 'a Login Start with an oversized name', bytes: [loginHandshake, new PacketWriter().string('x'.repeat(40)).uuid('00000000-0000-0000-0000-000000000000').packet(0)], kind: 'ERR_STRING_TOO_LONG' },
  { name: 'an oversized login frame', bytes: [loginHandshake, Buffer.concat([encodeVarInt(100_000), Buffer.alloc(10)])], kind: 'ERR_FRAME_TOO_LARGE' },
];

for (const c of CASES) {
  test(`${c.name} closes that connection and is counted as ${c.kind}`, async () => {
    const before = await router.counter('passage_errors_total', { kind: c.kind });
    const { closedByServer } = await rawExchange(router.port, c.bytes);
    assert.equal(closedByServer, true);
    assert.equal(await router.counter('passage_errors_total', { kind: c.kind }), before + 1);
  });
}

test('a truncated frame followed by a hang-up is just a closed connection', async () => {
  const { closedByServer } = await rawExchange(router.port, [Buffer.from([0x20, 0x00, 0x01])], 300);
  // The router waits for the rest until its deadline; the client gave up first. Nothing breaks.
  assert.equal(closedByServer, false);
});

test('after all of that the router still serves status and logins', async () => {
  await Promise.all(CASES.map((c) => rawExchange(router.port, c.bytes)));
  const status = await ping(router.port, 'play.test', '1.21.4');
  assert.equal(status.version.protocol, 769);
  const result = await login({ port: router.port, version: '1.21.4', username: 'Survivor' });
  assert.deepEqual(result.transfer, { host: '127.0.0.1', port: 25599 });
});

function legacyPing16(host: string): Buffer {
  const utf16 = (s: string) => Buffer.from([...s].flatMap((c) => [0, c.charCodeAt(0)]));
  const data = Buffer.concat([Buffer.from([78, 0, host.length]), utf16(host), Buffer.from([0, 0, 0x63, 0xdd])]);
  return Buffer.concat([Buffer.from([0xfe, 0x01, 0xfa, 0, 11]), utf16('MC|PingHost'), Buffer.from([0, data.length]), data]);
}

test('legacy pings get a 0xFF answer: the route MOTD for 1.6 (which names its host), a version hint otherwise', async () => {
  const { data } = await rawExchange(router.port, [legacyPing16('play.test')]);
  assert.equal(data[0], 0xff);
  const text = Array.from({ length: data.readUInt16BE(1) }, (_, i) => String.fromCharCode(data.readUInt16BE(3 + i * 2))).join('');
  assert.deepEqual(text.split('\0'), ['§1', '775', '1.20.5–26.1', 'Hello from the test', '0', '500']);
  const old = await rawExchange(router.port, [Buffer.from([0xfe])]);
  const oldText = Array.from({ length: old.data.readUInt16BE(1) }, (_, i) => String.fromCharCode(old.data.readUInt16BE(3 + i * 2))).join('');
  // A pre-1.4 ping names no host, and this table has no default route.
  assert.equal(oldText, 'This server supports Minecraft 1.20.5–26.1. Please change your game version.§0§0');
});

test('the admin server answers health, readiness, metrics and status', async () => {
  const get = async (path: string) => {
    const res = await fetch(router.adminUrl + path);
    return { code: res.status, body: await res.text() };
  };
  assert.equal((await get('/healthz')).code, 200);
  assert.equal((await get('/readyz')).code, 200);
  const metrics = await get('/metrics');
  for (const name of ['passage_connections_total', 'passage_connections_active', 'passage_connection_duration_seconds', 'passage_errors_total', 'passage_auth_duration_seconds', 'passage_transfers_total']) {
    assert.match(metrics.body, new RegExp(`^# TYPE ${name} `, 'm'), name);
  }
  assert.match(metrics.body, /passage_connections_total\{intent="status"\} \d+/);
  assert.match(metrics.body, /le="0\.0001"/, 'sub-millisecond buckets');
  const status = JSON.parse((await get('/status')).body);
  assert.equal(status.table.id, 'test');
  assert.equal(status.table.version, 1);
  assert.equal(status.ready, true);
  assert.ok(status.counters.connections > 0);
  assert.equal((await get('/nope')).code, 404);
});

test('a /status that fails to build answers 500 instead of hanging or crashing the process', async () => {
  const admin = createAdminServer({
    router: router.router,
    metrics: router.metrics,
    version: 'test',
    extraStatus: () => {
      throw new Error('status source broke');
    },
  });
  const { port } = await listenAdmin(admin, '127.0.0.1', 0);
  try {
    const res = await fetch(`http://127.0.0.1:${port}/status`, { signal: AbortSignal.timeout(2000) });
    assert.equal(res.status, 500);
    assert.match(await res.text(), /status source broke/);
  } finally {
    admin.closeAllConnections();
    await new Promise((r) => admin.close(r));
  }
});
