// What a passthrough backend receives in the handshake host when the client writes more than a host
// after a NUL: a raw client claims BungeeCord forwarding data (spoofed IP, UUID, skin), a raw backend
// records the handshake it is sent. The backend's parser here is written independently of the router.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { startTestRouter } from '../helpers/router.ts';
import type { TestRouter } from '../helpers/router.ts';
import { rawExchange } from '../helpers/raw.ts';
import { encodeProxyV2 } from '../helpers/proxy.ts';
import { encodeHandshake } from '../../router/protocol/handshake.ts';
import { PacketWriter } from '../../router/protocol/writer.ts';

interface Seen {
  readonly host: string;
  readonly port: number;
  readonly name: string;
}

/** A backend that reads the handshake and the Login Start name of each connection, then hangs up. */
async function startRecordingBackend(): Promise<{ port: number; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length > 70_000) return socket.destroy();
      const frames = readFrames(buf, 2);
      if (frames === undefined) return;
      const hs = new Cursor(frames[0]!);
      hs.varInt(); // packet id
      hs.varInt(); // protocol
      const host = hs.string();
      const port = hs.ushort();
      const login = new Cursor(frames[1]!);
      login.varInt();
      seen.push({ host, port, name: login.string() });
      socket.destroy();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

class Cursor {
  private at = 0;
  private readonly b: Buffer;
  constructor(b: Buffer) {
    this.b = b;
  }
  varInt(): number {
    let value = 0;
    for (let i = 0; i < 5; i++) {
      const byte = this.b[this.at++]!;
      value |= (byte & 0x7f) << (7 * i);
      if ((byte & 0x80) === 0) return value;
    }
    throw new Error('varint too long');
  }
  string(): string {
    const n = this.varInt();
    const s = this.b.toString('utf8', this.at, this.at + n);
    this.at += n;
    return s;
  }
  ushort(): number {
    const v = this.b.readUInt16BE(this.at);
    this.at += 2;
    return v;
  }
}

/** The first `count` length-prefixed frames of `buf`, or undefined while they are incomplete. */
function readFrames(buf: Buffer, count: number): Buffer[] | undefined {
  const out: Buffer[] = [];
  let at = 0;
  while (out.length < count) {
    const c = new Cursor(buf.subarray(at));
    let length: number;
    try {
      length = c.varInt();
    } catch {
      return undefined;
    }
    const head = length < 0x80 ? 1 : length < 0x4000 ? 2 : 3;
    if (at + head + length > buf.length) return undefined;
    out.push(buf.subarray(at + head, at + head + length));
    at += head + length;
  }
  return out;
}

/** The vanilla offline UUID ("OfflinePlayer:<name>", MD5, version 3), without dashes. */
function offlineId(name: string): string {
  const md5 = createHash('md5').update(`OfflinePlayer:${name}`).digest();
  md5[6] = (md5[6]! & 0x0f) | 0x30;
  md5[8] = (md5[8]! & 0x3f) | 0x80;
  return md5.toString('hex');
}

const SPOOFED_UUID = '069a79f444e94726a5befca90e38aaf5';
const SPOOFED_SKIN = JSON.stringify([{ name: 'textures', value: 'ZmFrZQ==', signature: 'forged' }]);
const spoofed = (host: string): string => `${host}\u0000203.0.113.9\u0000${SPOOFED_UUID}\u0000${SPOOFED_SKIN}`;

function loginBytes(host: string, name: string, before: Buffer[] = []): Buffer[] {
  return [
    ...before,
    encodeHandshake({ protocol: 769, host, port: 25565, intent: 2 }),
    new PacketWriter().string(name).uuid(SPOOFED_UUID).packet(0x00),
  ];
}

describe('passthrough: what follows a NUL in the handshake host', () => {
  let backend: Awaited<ReturnType<typeof startRecordingBackend>>;
  let router: TestRouter;
  before(async () => {
    backend = await startRecordingBackend();
    const route = (id: string, extra: string[]) =>
      ['[[routes]]', `id = "${id}"`, `hosts = ["${id}.test"]`, 'mode = "passthrough"', ...extra, '[[routes.targets]]', `id = "${id}-1"`, `address = "127.0.0.1:${backend.port}"`].join('\n');
    router = await startTestRouter({
      routes: ['table_id = "test"', 'version = 1', route('plain', []), route('rewritten', ['domain_rewrite = { explicit = "backend.internal" }']), route('bungee', ['forwarding = "bungeecord"'])].join('\n') + '\n',
      config: { auth: { mode: 'offline' }, proxy_protocol: { enabled: true, trusted_proxies: ['127.0.0.2/32'] } },
    });
  });
  after(async () => {
    await router.stop(0);
    await backend.close();
  });

  async function relayed(bytes: Buffer[]): Promise<Seen> {
    const before = backend.seen.length;
    await rawExchange(router.port, bytes);
    assert.equal(backend.seen.length, before + 1, 'the backend saw one login');
    return backend.seen.at(-1)!;
  }

  test('a client-written BungeeCord suffix (spoofed IP, UUID, skin) never reaches the backend', async () => {
    const seen = await relayed(loginBytes(spoofed('Plain.test'), 'Mallory'));
    assert.equal(seen.host, 'Plain.test', 'the host only, as the client wrote it');
    assert.equal(seen.name, 'Mallory');
    const rewritten = await relayed(loginBytes(spoofed('rewritten.test'), 'Mallory'));
    assert.equal(rewritten.host, 'backend.internal', 'a rewrite does not carry the suffix either');
  });

  test('a Forge marker is the one thing after a NUL that is kept', async () => {
    for (const marker of ['\u0000FML\u0000', '\u0000FML2\u0000', '\u0000FML3\u0000', '\u0000FORGE']) {
      assert.equal((await relayed(loginBytes(`plain.test${marker}`, 'Modder'))).host, `plain.test${marker}`, JSON.stringify(marker));
    }
    assert.equal((await relayed(loginBytes('plain.test\u0000FML3\u0000\u0000203.0.113.9', 'Modder'))).host, 'plain.test', 'a marker with more behind it is not a marker');
  });

  test('forwarding = "bungeecord" writes the router view: the socket address and the offline UUID, nothing the client claimed', async () => {
    const seen = await relayed(loginBytes(spoofed('bungee.test'), 'Mallory'));
    assert.equal(seen.host, `bungee.test\u0000127.0.0.1\u0000${offlineId('Mallory')}`);
    assert.ok(!seen.host.includes('203.0.113.9') && !seen.host.includes(SPOOFED_UUID) && !seen.host.includes('forged'));
  });

  test('forwarding = "bungeecord" behind a trusted load balancer forwards the address from its PROXY header', async () => {
    const before = backend.seen.length;
    const socket = net.connect({ port: router.port, host: '127.0.0.1', localAddress: '127.0.0.2' });
    await new Promise<void>((resolve) => {
      socket.on('connect', () => {
        for (const b of loginBytes(spoofed('bungee.test'), 'Viaproxy', [encodeProxyV2({ source: '198.51.100.23', sourcePort: 40000 })])) socket.write(b);
      });
      const timer = setTimeout(() => socket.destroy(), 5000);
      socket.on('close', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.on('error', () => {});
    });
    assert.equal(backend.seen.length, before + 1);
    assert.equal(backend.seen.at(-1)!.host, `bungee.test\u0000198.51.100.23\u0000${offlineId('Viaproxy')}`);
  });

  test('forwarding = "bungeecord" announces a Forge client the way BungeeCord does, in properties', async () => {
    const seen = await relayed(loginBytes('bungee.test\u0000FML3\u0000', 'Modder'));
    const parts = seen.host.split('\u0000');
    assert.deepEqual(parts.slice(0, 3), ['bungee.test', '127.0.0.1', offlineId('Modder')]);
    assert.equal(parts.length, 4, 'four NUL-separated parts, as Spigot splits them');
    assert.deepEqual(JSON.parse(parts[3]!), [
      { name: 'forgeClient', value: 'true' },
      { name: 'extraData', value: '\u0001FML3\u0001', signature: '' },
    ]);
  });
});

test('a table names forwarding "none" or "bungeecord" and nothing else', async () => {
  const { parseRoutingTable } = await import('../../router/table/schema.ts');
  const doc = (forwarding: unknown) => ({ table_id: 't', version: 1, routes: [{ id: 'r', hosts: ['a.test'], mode: 'passthrough', forwarding }] });
  assert.equal(parseRoutingTable(doc('bungeecord')).routes[0]!.forwarding, 'bungeecord');
  assert.equal(parseRoutingTable(doc('none')).routes[0]!.forwarding, 'none');
  assert.throws(() => parseRoutingTable(doc('velocity')), /routes\[0\]\.forwarding/);
});
