// Backend → client through one read buffer per session (`net.connect({ onread })`): the buffer is
// read into again only once the write of the last chunk has left it, so a slow client gets every
// byte intact and in order, and a client that stops reading still holds the backend back.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { RelaySession } from '../../router/relay/session.ts';
import { ReusedReads } from '../../router/relay/reused-reads.ts';

interface Harness {
  session: RelaySession;
  reads: ReusedReads;
  /** The player's end. */
  player: net.Socket;
  /** The backend server's end. */
  server: net.Socket;
  ended: Promise<RelaySession>;
  start(): void;
}

async function harness(opts: { writeTimeoutMs?: number } = {}): Promise<Harness> {
  const clientSide = net.createServer({ allowHalfOpen: false });
  await new Promise<void>((r) => clientSide.listen(0, '127.0.0.1', r));
  const acceptedClient = once(clientSide, 'connection') as Promise<[net.Socket]>;
  const player = net.connect({ port: (clientSide.address() as AddressInfo).port, host: '127.0.0.1' });
  const [client] = await acceptedClient;
  clientSide.close();
  client.pause();

  const backendSide = net.createServer({ allowHalfOpen: true });
  await new Promise<void>((r) => backendSide.listen(0, '127.0.0.1', r));
  const acceptedServer = once(backendSide, 'connection') as Promise<[net.Socket]>;
  const reads = new ReusedReads();
  const backend = net.connect({ port: (backendSide.address() as AddressInfo).port, host: '127.0.0.1', allowHalfOpen: true, onread: reads.onread });
  await once(backend, 'connect');
  const [server] = await acceptedServer;
  backendSide.close();

  let resolveEnded!: (s: RelaySession) => void;
  const ended = new Promise<RelaySession>((r) => (resolveEnded = r));
  const session = new RelaySession({
    client, backend, route: 'r', target: 't', player: 'P', clientIp: '127.0.0.1', backendReads: reads,
    readTimeoutMs: 30_000, writeTimeoutMs: opts.writeTimeoutMs ?? 30_000, onEnd: resolveEnded,
  });
  for (const s of [player, server]) s.on('error', () => {});
  return { session, reads, player, server, ended, start: () => session.start([]) };
}

/** `bytes` where every 4-byte word is its own index: a reordered, repeated or overwritten chunk shows. */
function pattern(bytes: number): Buffer {
  const b = Buffer.alloc(bytes);
  for (let i = 0; i + 4 <= bytes; i += 4) b.writeUInt32BE(i / 4, i);
  return b;
}

function collect(socket: net.Socket): { data: () => Buffer; ended: Promise<void> } {
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  return { data: () => Buffer.concat(chunks), ended: once(socket, 'end').then(() => undefined) };
}

async function eventually(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`not within 2 s: ${what}`);
}

describe('RelaySession with a reused backend read buffer', () => {
  test('a client that reads late still gets every backend byte intact and in order', async () => {
    const h = await harness();
    h.start();
    h.player.pause();
    const sent = pattern(16 << 20);
    // More than the sockets' kernel buffers hold: writes to the client go pending and the backend is held.
    h.server.end(sent);
    await eventually(() => h.session.bytesToClient > 0, 'the relay read from the backend');
    await new Promise((r) => setTimeout(r, 100));
    const atPlayer = collect(h.player);
    h.player.resume();
    await atPlayer.ended;
    const s = await h.ended;
    assert.equal(s.bytesToClient, sent.length);
    assert.ok(atPlayer.data().equals(sent), 'the bytes the player received are the bytes the backend sent');
  });

  test('bytes the backend sent before the session started reach the client first', async () => {
    const h = await harness();
    const atPlayer = collect(h.player);
    h.server.write('early|');
    await eventually(() => h.reads.early !== undefined, 'the early bytes were read');
    h.start();
    h.server.end('late');
    await atPlayer.ended;
    const s = await h.ended;
    assert.equal(atPlayer.data().toString(), 'early|late');
    assert.equal(s.bytesToClient, 'early|late'.length);
  });

  test('a client that stops reading is cut after the write timeout while the backend is held back', async () => {
    const h = await harness({ writeTimeoutMs: 300 });
    h.start();
    h.player.pause();
    const chunk = Buffer.alloc(1 << 20);
    let written = 0;
    // Bounded: stop once the backend side sees backpressure too, or after 256 MiB.
    while (written < 256 << 20 && h.server.write(chunk)) written += chunk.length;
    const s = await h.ended;
    assert.equal(s.reason, 'write_timeout');
    assert.ok(s.bytesToClient < written + chunk.length, 'not everything was read from the backend: it was held back');
  });
});
