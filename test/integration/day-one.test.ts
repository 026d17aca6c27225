// Day-one versions: a Minecraft release newer than any Passage knows still shows as compatible,
// logs in and is transferred, read with the newest known (26.1) layout. Raw sockets play the client,
// since no client library speaks a protocol that does not exist yet.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, publicEncrypt, randomBytes } from 'node:crypto';
import type { Decipheriv, Cipheriv } from 'node:crypto';
import net from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createStreamCiphers, minecraftServerHash } from '../../router/auth/encryption.ts';
import { encodeHandshake } from '../../router/protocol/handshake.ts';
import { FrameDecoder } from '../../router/protocol/framer.ts';
import { PacketReader } from '../../router/protocol/reader.ts';
import { PacketWriter } from '../../router/protocol/writer.ts';
import { startTestRouter, transferRoutes } from '../helpers/router.ts';
import type { TestRouter } from '../helpers/router.ts';
import { rawExchange } from '../helpers/raw.ts';
import { onlineIdFor, startFakeSessionServer } from '../helpers/session-server.ts';
import type { FakeSessionServer } from '../helpers/session-server.ts';

const BACKEND_PORT = 25599;
const PACK = '5e1c0e3a-5b7d-4c1e-9a2b-3c4d5e6f7a8b';
const ROUTES = `${transferRoutes([{ id: 'lobby', port: BACKEND_PORT }])}${[
  '[[routes.resource_packs]]', `id = "${PACK}"`, 'url = "https://packs.example.com/p.zip"', `hash = "${'ab'.repeat(20)}"`, 'forced = true',
].join('\n')}\n`;
const NEWER_MESSAGE_START = 'This server does not support your Minecraft version yet. Minecraft ';

/** One packet from the router: its id and a reader over its fields. */
interface Packet {
  readonly id: number;
  readonly r: PacketReader;
}

/**
 * A hand-written client: frames in and out, with AES-CFB8 once the login turns it on. The router
 * sends nothing between its Encryption Request and our Encryption Response, so every byte after
 * the response is ciphertext and no received bytes need re-reading when encryption starts.
 */
class RawClient {
  private readonly socket: net.Socket;
  private readonly decoder = new FrameDecoder();
  private readonly packets: Packet[] = [];
  private waiter: (() => void) | undefined;
  private encrypt: Cipheriv | undefined;
  private decrypt: Decipheriv | undefined;
  private closed = false;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.decoder.push(this.decrypt === undefined ? chunk : this.decrypt.update(chunk), (body) => {
        const r = new PacketReader(Buffer.from(body));
        this.packets.push({ id: r.varInt(), r });
      });
      this.waiter?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
    socket.on('error', () => {});
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  send(packet: Buffer): void {
    this.socket.write(this.encrypt === undefined ? packet : this.encrypt.update(packet));
  }

  /** The next packet, or undefined once the router closed; bounded by a deadline. */
  async next(timeoutMs = 5000): Promise<Packet | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (this.packets.length === 0 && !this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no packet from the router in time');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    return this.packets.shift();
  }

  enableEncryption(secret: Buffer): void {
    const { encrypt, decrypt } = createStreamCiphers(secret);
    this.encrypt = encrypt;
    this.decrypt = decrypt;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Client Information in the 26.1 layout (with the particle status added in 768). */
function clientInformation(locale: string, extra?: Buffer): Buffer {
  const w = new PacketWriter().string(locale).byte(10).varInt(0).bool(true).byte(0x7f).varInt(1).bool(false).bool(true).varInt(0);
  if (extra !== undefined) w.raw(extra);
  return w.packet(0x00);
}

interface DayOneResult {
  readonly transfer?: { host: string; port: number };
  /** Plain text of a Disconnect (JSON in login, NBT in configuration: its UTF-8 bytes). */
  readonly disconnect?: string;
  readonly storedCookie?: boolean;
  readonly profileName?: string;
}

/**
 * A full online login with the 26.1 packet layout under any protocol number: Cookie Request →
 * Encryption (with a join at the fake session server) → Login Success → Client Information →
 * resource pack → Store Cookie → Transfer. `clientInfoExtra` appends bytes to Client Information,
 * as a release whose layout grew would.
 */
async function dayOneLogin(port: number, session: FakeSessionServer, protocol: number, name: string, clientInfoExtra?: Buffer): Promise<DayOneResult> {
  const client = await RawClient.connect(port);
  try {
    client.send(encodeHandshake({ protocol, host: 'play.test', port: 25565, intent: 2 }));
    client.send(new PacketWriter().string(name).uuid(onlineIdFor(name)).packet(0x00));
    let storedCookie = false;
    let profileName: string | undefined;
    for (;;) {
      const p = await client.next();
      if (p === undefined) return { storedCookie };
      if (profileName === undefined) {
        // Login state.
        if (p.id === 0x00) return { disconnect: JSON.parse(p.r.string(262144)).text as string };
        if (p.id === 0x05) {
          const key = p.r.string(32767);
          client.send(new PacketWriter().string(key).bool(false).packet(0x04));
        } else if (p.id === 0x01) {
          const serverId = p.r.string(20);
          const publicKey = p.r.byteArray(1024);
          const token = p.r.byteArray(64);
          const shouldAuthenticate = p.r.bool();
          p.r.end('encryption request');
          assert.equal(shouldAuthenticate, true);
          const secret = randomBytes(16);
          const res = await fetch(`${session.url}/session/minecraft/join`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ accessToken: 'token', selectedProfile: onlineIdFor(name), serverId: minecraftServerHash(serverId, secret, publicKey) }),
          });
          assert.equal(res.status, 204);
          const key = { key: `-----BEGIN PUBLIC KEY-----\n${publicKey.toString('base64')}\n-----END PUBLIC KEY-----\n`, padding: constants.RSA_PKCS1_PADDING };
          client.send(new PacketWriter().byteArray(publicEncrypt(key, secret)).byteArray(publicEncrypt(key, token)).packet(0x01));
          client.enableEncryption(secret);
        } else if (p.id === 0x02) {
          // Login Success, 26.1 layout: uuid, name, properties, and nothing after them.
          p.r.uuid();
          profileName = p.r.string(16);
          for (let n = p.r.varInt(); n > 0; n--) {
            p.r.string(64);
            p.r.string(32767);
            if (p.r.bool()) p.r.string(1024);
          }
          p.r.end('login success');
          client.send(new PacketWriter().packet(0x03));
          client.send(clientInformation('en_us', clientInfoExtra));
        } else {
          throw new Error(`unexpected login packet 0x${p.id.toString(16)}`);
        }
        continue;
      }
      // Configuration state.
      if (p.id === 0x02) return { disconnect: p.r.rest().toString('utf8'), storedCookie, profileName };
      if (p.id === 0x04) client.send(new PacketWriter().long(p.r.long()).packet(0x04));
      else if (p.id === 0x09) {
        const uuid = p.r.uuid();
        client.send(new PacketWriter().uuid(uuid).varInt(3).packet(0x06));
        client.send(new PacketWriter().uuid(uuid).varInt(0).packet(0x06));
      } else if (p.id === 0x0a) {
        p.r.string(32767);
        storedCookie = p.r.byteArray(5120).length > 0;
      } else if (p.id === 0x0b) {
        const host = p.r.string(32767);
        const transferPort = p.r.varInt();
        p.r.end('transfer');
        return { transfer: { host, port: transferPort }, storedCookie, profileName };
      } else {
        throw new Error(`unexpected configuration packet 0x${p.id.toString(16)}`);
      }
    }
  } finally {
    client.destroy();
  }
}

/** A status ping's JSON answer for this protocol. */
async function statusFor(port: number, protocol: number): Promise<{ version: { name: string; protocol: number } }> {
  // Request and ping: the router answers both and closes after the pong.
  const { data } = await rawExchange(port, [
    encodeHandshake({ protocol, host: 'play.test', port: 25565, intent: 1 }),
    new PacketWriter().packet(0x00),
    new PacketWriter().long(1n).packet(0x01),
  ]);
  const r = new PacketReader(data);
  r.varInt(); // frame length
  assert.equal(r.varInt(), 0x00);
  return JSON.parse(r.string(262144));
}

/** A pino logger whose lines land in `lines`. */
function capturingLog(lines: { msg: string; protocol?: number; level: number }[]): pino.Logger {
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line !== '') lines.push(JSON.parse(line));
      done();
    },
  });
  return pino({ level: 'info' }, stream);
}

describe('newer protocols are accepted by default', () => {
  let session: FakeSessionServer;
  let router: TestRouter;
  const lines: { msg: string; protocol?: number; level: number }[] = [];
  before(async () => {
    session = await startFakeSessionServer();
    router = await startTestRouter({
      routes: ROUTES,
      config: { auth: { session_server: session.url } },
      cookieSecrets: [Buffer.from('day-one-secret-0123456789abcdef')],
      log: capturingLog(lines),
    });
  });
  after(async () => {
    await router?.stop(0);
    await session.close();
  });

  for (const protocol of [776, 800]) {
    test(`protocol ${protocol} with a 26.1-layout login is authenticated, gets its cookie and is transferred`, async () => {
      const result = await dayOneLogin(router.port, session, protocol, `Day${protocol}`);
      assert.deepEqual(result.transfer, { host: '127.0.0.1', port: BACKEND_PORT });
      assert.equal(result.profileName, `Day${protocol}`);
      assert.equal(result.storedCookie, true, 'Store Cookie before Transfer');
    });
  }

  test('the server list echoes 776 and 800 (compatible) and still shows clients too old to transfer the newest known protocol', async () => {
    for (const protocol of [776, 800]) {
      const status = await statusFor(router.port, protocol);
      assert.equal(status.version.protocol, protocol);
      assert.equal(status.version.name, 'Passage');
    }
    const old = await statusFor(router.port, 765);
    assert.equal(old.version.protocol, 775, 'the list marks it incompatible');
    assert.equal(old.version.name, '1.20.5–26.1');
  });

  test('logins are counted as known or newer, and the first login of each newer protocol is logged once at info', async () => {
    const known = await router.counter('passage_login_protocols_total', { support: 'known' });
    const newer = await router.counter('passage_login_protocols_total', { support: 'newer', result: 'accepted' });
    await dayOneLogin(router.port, session, 790, 'First790');
    await dayOneLogin(router.port, session, 790, 'Again790');
    await dayOneLogin(router.port, session, 775, 'Known775');
    assert.equal(await router.counter('passage_login_protocols_total', { support: 'newer', result: 'accepted' }), newer + 2);
    assert.equal(await router.counter('passage_login_protocols_total', { support: 'known' }), known + 1);
    const firsts = lines.filter((l) => l.protocol === 790);
    assert.equal(firsts.length, 1);
    assert.equal(firsts[0]!.level, 30, 'info');
    assert.equal(firsts[0]!.msg, 'first login with protocol 790, newer than the newest known (775 = 26.1): served with the 26.1 packet layout');
    assert.equal(lines.filter((l) => l.protocol === 775).length, 0, 'known protocols are not logged');
  });

  test('/status lists the newer protocols seen, with their login counts', async () => {
    const before = await (await fetch(`${router.adminUrl}/status`)).json() as { protocols: { unknownSeen: { protocol: number; logins: number }[] } };
    await dayOneLogin(router.port, session, 800, 'Status800');
    const body = await (await fetch(`${router.adminUrl}/status`)).json() as {
      protocols: { knownVersions: string; newestKnown: number; newer: string; unknownSeen: { protocol: number; logins: number; refused: number }[] };
    };
    assert.equal(body.protocols.newestKnown, 775);
    assert.equal(body.protocols.newer, 'accept');
    const seen = body.protocols.unknownSeen.map((s) => s.protocol);
    assert.ok(seen.includes(800));
    assert.deepEqual(seen, [...seen].sort((a, b) => a - b), 'oldest number first');
    assert.ok(!seen.includes(775), 'known protocols are not listed');
    const was = before.protocols.unknownSeen.find((s) => s.protocol === 800)!.logins;
    assert.equal(body.protocols.unknownSeen.find((s) => s.protocol === 800)!.logins, was + 1);
    assert.equal(body.protocols.unknownSeen.find((s) => s.protocol === 800)!.refused, 0);
  });

  test('a newer client whose Client Information no longer fits the 26.1 layout is told which versions work, and it is counted by protocol', async () => {
    const failures = await router.counter('passage_newer_protocol_failures_total', { protocol: '800' });
    const result = await dayOneLogin(router.port, session, 800, 'Grown800', Buffer.from([0x01, 0x02]));
    assert.equal(result.transfer, undefined);
    assert.ok(result.disconnect?.includes(`${NEWER_MESSAGE_START}1.20.5–26.1 is known to work.`), result.disconnect);
    assert.equal(await router.counter('passage_newer_protocol_failures_total', { protocol: '800' }), failures + 1);
    assert.ok((await router.counter('passage_errors_total', { kind: 'ERR_TRAILING_BYTES' })) >= 1);
    // Nothing else broke: the next player on that protocol is transferred.
    const next = await dayOneLogin(router.port, session, 800, 'After800');
    assert.deepEqual(next.transfer, { host: '127.0.0.1', port: BACKEND_PORT });
  });

  test('the same broken packet from a known protocol is a malformed client: closed, not told about versions', async () => {
    const failures = await router.counter('passage_newer_protocol_failures_total');
    const result = await dayOneLogin(router.port, session, 775, 'Broken775', Buffer.from([0x01, 0x02]));
    assert.equal(result.transfer, undefined);
    assert.equal(result.disconnect, undefined);
    assert.equal(await router.counter('passage_newer_protocol_failures_total'), failures);
  });
});

describe('operators can refuse newer protocols', () => {
  let session: FakeSessionServer;
  let refusing: TestRouter;
  let capped: TestRouter;
  before(async () => {
    session = await startFakeSessionServer();
    const auth = { session_server: session.url };
    refusing = await startTestRouter({ routes: ROUTES, config: { auth, protocol: { newer: 'refuse' } } });
    capped = await startTestRouter({ routes: ROUTES, config: { auth, protocol: { max_protocol: 776 } } });
  });
  after(async () => {
    await refusing?.stop(0);
    await capped?.stop(0);
    await session.close();
  });

  test('with newer = "refuse" a protocol 776 login is refused with a message naming the known versions', async () => {
    const result = await dayOneLogin(refusing.port, session, 776, 'Early776');
    assert.equal(result.disconnect, `${NEWER_MESSAGE_START}1.20.5–26.1 is known to work.`);
    assert.equal(await refusing.counter('passage_login_protocols_total', { support: 'newer', result: 'refused' }), 1);
    assert.equal(await refusing.counter('passage_disconnects_total', { reason: 'newer_version' }), 1);
  });

  test('with newer = "refuse" the server list shows newer clients the newest known version (incompatible)', async () => {
    const status = await statusFor(refusing.port, 800);
    assert.equal(status.version.protocol, 775);
    assert.equal(status.version.name, '1.20.5–26.1');
  });

  test('with newer = "refuse" known protocols are still served', async () => {
    const result = await dayOneLogin(refusing.port, session, 775, 'Known775');
    assert.deepEqual(result.transfer, { host: '127.0.0.1', port: BACKEND_PORT });
  });

  test('max_protocol = 776 serves 776 and refuses 800', async () => {
    const ok = await dayOneLogin(capped.port, session, 776, 'Tested776');
    assert.deepEqual(ok.transfer, { host: '127.0.0.1', port: BACKEND_PORT });
    const refused = await dayOneLogin(capped.port, session, 800, 'Untested800');
    assert.equal(refused.disconnect, `${NEWER_MESSAGE_START}1.20.5–26.1 is known to work.`);
    assert.equal((await statusFor(capped.port, 776)).version.protocol, 776);
    assert.equal((await statusFor(capped.port, 800)).version.protocol, 775);
  });
});
