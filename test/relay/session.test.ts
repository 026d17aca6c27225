// The relay session on raw loopback sockets: byte order and counts, half-close, the read and write
// timeouts, resets; and, through a real router, that bytes pipelined behind Login Start are replayed.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { RelaySession } from '../../router/relay/session.ts';
import { encodeHandshake } from '../../router/protocol/handshake.ts';
import { PacketWriter } from '../../router/protocol/writer.ts';
import { startTestRouter } from '../helpers/router.ts';
import { collect, socketPair, writeUntil } from '../helpers/sockets.ts';

interface Harness {
  session: RelaySession;
  /** The player's end. */
  player: net.Socket;
  /** The backend server's end. */
  server: net.Socket;
  ended: Promise<RelaySession>;
}

async function harness(opts: { readTimeoutMs?: number; writeTimeoutMs?: number; preamble?: Buffer[] } = {}): Promise<Harness> {
  // The router's listener does not allow half-open sockets (the session turns it on itself); players
  // close when the server does.
  const [client, player] = await socketPair(false);
  const [server, backend] = await socketPair(true, { allowHalfOpen: true });
  client.pause();
  let resolveEnded!: (s: RelaySession) => void;
  const ended = new Promise<RelaySession>((r) => (resolveEnded = r));
  const session = new RelaySession({
    client, backend, route: 'r', target: 't', player: 'P', clientIp: '127.0.0.1',
    readTimeoutMs: opts.readTimeoutMs ?? 30_000, writeTimeoutMs: opts.writeTimeoutMs ?? 30_000, onEnd: resolveEnded,
  });
  session.start(opts.preamble ?? []);
  for (const s of [player, server]) s.on('error', () => {});
  return { session, player, server, ended };
}

describe('RelaySession', () => {
  test('the preamble goes first, bytes flow both ways in order, and each direction is counted', async () => {
    const h = await harness({ preamble: [Buffer.from('HS|'), Buffer.from('LS|')] });
    const atServer = collect(h.server);
    const atPlayer = collect(h.player);
    h.player.write('one|');
    h.player.end('two');
    await atServer.ended;
    h.server.end(Buffer.alloc(100_000, 7));
    await atPlayer.ended;
    const s = await h.ended;
    assert.equal(atServer.data().toString(), 'HS|LS|one|two');
    assert.equal(atPlayer.data().length, 100_000);
    assert.equal(s.bytesToBackend, 'HS|LS|one|two'.length);
    assert.equal(s.bytesToClient, 100_000);
  });

  test('a client that half-closes still receives what the backend sends afterwards', async () => {
    const h = await harness();
    const atPlayer = collect(h.player);
    h.player.end();
    await once(h.server, 'end');
    h.server.write('after your FIN');
    h.server.end();
    await atPlayer.ended;
    assert.equal(atPlayer.data().toString(), 'after your FIN');
    assert.equal((await h.ended).reason, 'client_closed');
  });

  test('a backend that sends nothing for the read timeout ends the session', async () => {
    // The session's clock starts while the harness is built: bound it from both sides, so a slow
    // machine cannot make the "not yet" ticks land after the real deadline.
    const before = performance.now();
    const h = await harness({ readTimeoutMs: 1000 });
    const after = performance.now();
    h.session.tick(before + 500);
    h.session.tick(before + 999);
    assert.equal(h.session.reason, undefined);
    h.session.tick(after + 1000);
    assert.equal((await h.ended).reason, 'read_timeout');
  });

  test('backend bytes reset the read timeout', async () => {
    const h = await harness({ readTimeoutMs: 1000 });
    const start = performance.now();
    h.server.write('x');
    await once(h.player, 'data');
    h.session.tick(start + 900);
    h.session.tick(start + 1800);
    assert.equal(h.session.reason, undefined);
    h.session.tick(start + 2900);
    assert.equal((await h.ended).reason, 'read_timeout');
  });

  test('a client that stops reading is cut after the write timeout while the backend is held back', async () => {
    const h = await harness({ writeTimeoutMs: 300 });
    h.player.pause();
    const written = await writeUntil(h.server, h.ended);
    const s = await h.ended;
    assert.equal(s.reason, 'write_timeout');
    assert.ok(s.bytesToClient < written, 'not everything was read from the backend: it was held back');
  });

  test('a backend reset ends the session as a backend error', async () => {
    const h = await harness();
    h.server.resetAndDestroy();
    assert.equal((await h.ended).reason, 'backend_error');
  });
});

describe('relay replay through the router', () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanups) await c();
  });

  test('bytes the client sent right behind Login Start, in the same packet, reach the backend in order', async () => {
    const received: Buffer[] = [];
    const backend = net.createServer((s) => {
      s.on('data', (c: Buffer) => received.push(c));
      s.on('error', () => {});
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => backend.close(() => r())));
    const port = (backend.address() as AddressInfo).port;
    const router = await startTestRouter({
      routes: `table_id = "t"\nversion = 1\n[[routes]]\nid = "pt"\nhosts = ["*"]\nmode = "passthrough"\n[[routes.targets]]\nid = "b"\naddress = "127.0.0.1:${port}"\n`,
      config: { rate_limiter: { enabled: false } },
    });
    cleanups.push(() => router.stop(0).then(() => undefined));
    const handshake = encodeHandshake({ protocol: 340, host: 'any.test', port: 25565, intent: 2 });
    const loginStart = new PacketWriter().string('Pipeliner').packet(0x00);
    const extra = Buffer.from('after-login-start bytes, not a frame at all');
    const client = net.connect(router.port, '127.0.0.1');
    client.on('error', () => {});
    client.write(Buffer.concat([handshake, loginStart, extra]));
    const expected = Buffer.concat([handshake, loginStart, extra]);
    for (let i = 0; i < 100 && Buffer.concat(received).length < expected.length; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(Buffer.concat(received), expected);
    client.destroy();
  });
});
