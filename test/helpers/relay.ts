// Backends for passthrough tests: a minecraft-protocol server that plays (chat both ways), a tap that
// strips and records a PROXY v2 header in front of it, and a raw status server that echoes the
// client's protocol. Parsing here is written independently of the router's own encoders.
import { createRequire } from 'node:module';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { createClient, mc, plainText, runClient } from './minecraft.ts';

const require = createRequire(import.meta.url);
const nbt = require(require.resolve('prismarine-nbt', { paths: [require.resolve('minecraft-protocol')] })) as any;

export interface PlayBackend {
  readonly port: number;
  /** Every handshake the backend saw. */
  readonly handshakes: { host: string; port: number; protocol: number; intent: number }[];
  /** Chat messages the backend received from players. */
  readonly chats: string[];
  /** Players currently in the play state. */
  readonly online: Set<any>;
  close(): Promise<void>;
}

/** A minecraft-protocol backend (offline mode) that echoes every chat message back as a system message. */
export async function startPlayBackend(version: string): Promise<PlayBackend> {
  const server = mc.createServer({ 'online-mode': false, host: '127.0.0.1', port: 0, version, motd: 'backend', keepAlive: false, hideErrors: true });
  const handshakes: PlayBackend['handshakes'] = [];
  const chats: string[] = [];
  const online = new Set<any>();
  server.on('connection', (client: any) => {
    client.on('error', () => {});
    client.once('set_protocol', (p: { serverHost: string; serverPort: number; protocolVersion: number; nextState: number }) =>
      handshakes.push({ host: p.serverHost, port: p.serverPort, protocol: p.protocolVersion, intent: p.nextState }),
    );
  });
  server.on('playerJoin', (client: any) => {
    online.add(client);
    client.once('end', () => online.delete(client));
    const onChat = (p: { message: string }): void => {
      chats.push(p.message);
      sendChat(client, `echo: ${p.message}`);
    };
    client.on('chat', onChat);
    client.on('chat_message', onChat);
  });
  await new Promise<void>((r) => server.on('listening', r));
  return {
    port: (server.socketServer.address() as AddressInfo).port,
    handshakes,
    chats,
    online,
    close: () =>
      new Promise<void>((r) => {
        for (const c of online) c.end('bye');
        server.close();
        r();
      }),
  };
}

function sendChat(client: any, text: string): void {
  if (client.supportFeature('chatPacketsUseNbtComponents')) {
    client.write('system_chat', { content: nbt.comp({ text: nbt.string(text) }), isActionBar: false });
  } else if (client.supportFeature('signedChat')) {
    client.write('system_chat', { content: JSON.stringify({ text }), isActionBar: false, type: 1 });
  } else {
    client.write('chat', { message: JSON.stringify({ text }), position: 1, sender: '00000000-0000-0000-0000-000000000000' });
  }
}

export interface PlayResult {
  /** The message the backend sent back, as plain text. */
  readonly reply?: string;
  readonly disconnect?: string;
}

/**
 * Logs in through `port` with `host` in the handshake, sends one chat message once in the play
 * state and resolves with the backend's answer (or the disconnect). Always ends the client.
 */
export function playThrough(o: { port: number; host: string; version: string; username: string; message?: string }, timeoutMs = 10_000): Promise<PlayResult> {
  const client = createClient({ port: o.port, host: o.host, version: o.version, username: o.username });
  return runClient<PlayResult>(client, `play as ${o.username} timed out`, timeoutMs, (finish) => {
    client.on('playerJoin', () => client.chat(o.message ?? `hello from ${o.username}`));
    client.on('system_chat', (p: { content: unknown }) => finish({ reply: plainText(p.content) }));
    client.on('chat', (p: { message: unknown }) => finish({ reply: plainText(p.message) }));
    client.on('kick_disconnect', (p: { reason: unknown }) => finish({ disconnect: plainText(p.reason) }));
    client.on('disconnect', (p: { reason: unknown }) => finish({ disconnect: plainText(p.reason) }));
    client.on('error', (err: Error) => finish(err));
    client.on('end', (reason: string) => finish({ disconnect: `connection ended: ${reason}` }));
  });
}

/** Logs in and stays in the play state; resolves with the live client (the caller ends it). */
export function joinAndStay(o: { port: number; host: string; version: string; username: string }, timeoutMs = 10_000): Promise<any> {
  return new Promise((resolve, reject) => {
    const client = createClient({ port: o.port, host: o.host, version: o.version, username: o.username });
    const timer = setTimeout(() => {
      client.end();
      reject(new Error(`join as ${o.username} timed out`));
    }, timeoutMs);
    client.on('error', () => {});
    client.once('playerJoin', () => {
      clearTimeout(timer);
      resolve(client);
    });
    client.once('end', (reason: string) => {
      clearTimeout(timer);
      reject(new Error(`ended before joining: ${reason}`));
    });
  });
}

export interface ProxyHeaderSeen {
  readonly version: number;
  readonly command: number;
  readonly family: number;
  readonly source: string;
  readonly sourcePort: number;
  readonly destination: string;
  readonly destinationPort: number;
}

export interface ProxyTap {
  readonly port: number;
  readonly headers: ProxyHeaderSeen[];
  close(): Promise<void>;
}

const SIGNATURE = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');

/** Parses a PROXY v2 header (TCP4 or TCP6) at the start of `buf`; undefined while incomplete. */
export function parseProxyV2(buf: Buffer): { header: ProxyHeaderSeen; length: number } | undefined {
  if (buf.length < 16) return undefined;
  if (!buf.subarray(0, 12).equals(SIGNATURE)) throw new Error(`no PROXY v2 signature: ${buf.subarray(0, 16).toString('hex')}`);
  const length = 16 + buf.readUInt16BE(14);
  if (buf.length < length) return undefined;
  const family = buf[13]!;
  const v6 = family >> 4 === 2;
  const addr = (at: number): string =>
    v6 ? Array.from({ length: 8 }, (_, i) => buf.readUInt16BE(at + i * 2).toString(16)).join(':') : Array.from(buf.subarray(at, at + 4)).join('.');
  const size = v6 ? 16 : 4;
  return {
    length,
    header: {
      version: buf[12]! >> 4,
      command: buf[12]! & 0x0f,
      family,
      source: addr(16),
      destination: addr(16 + size),
      sourcePort: buf.readUInt16BE(16 + 2 * size),
      destinationPort: buf.readUInt16BE(18 + 2 * size),
    },
  };
}

/** Accepts connections that start with a PROXY v2 header, records it, and forwards the rest to `targetPort`. */
export async function startProxyTap(targetPort: number): Promise<ProxyTap> {
  const headers: ProxyHeaderSeen[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      let parsed;
      try {
        parsed = parseProxyV2(buf);
      } catch {
        socket.destroy();
        return;
      }
      if (parsed === undefined) return;
      socket.off('data', onData);
      headers.push(parsed.header);
      const upstream = net.connect(targetPort, '127.0.0.1');
      sockets.add(upstream);
      upstream.on('error', () => socket.destroy());
      upstream.write(buf.subarray(parsed.length));
      socket.pipe(upstream);
      upstream.pipe(socket);
    };
    socket.on('data', onData);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    headers,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

export interface EchoStatusBackend {
  readonly port: number;
  /** Status requests answered, by client protocol. */
  readonly requests: Map<number, number>;
  /** Delay before each answer. */
  delayMs: number;
  close(): Promise<void>;
}

/** A raw status server that answers with the protocol the client announced (as ViaVersion does). */
export async function startEchoStatusBackend(): Promise<EchoStatusBackend> {
  const requests = new Map<number, number>();
  const sockets = new Set<net.Socket>();
  const state = { delayMs: 0 };
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      // Handshake frame: length, id 0, protocol VarInt, ...; then the 2-byte status request [1, 0].
      const [length, at] = readVarInt(buf, 0);
      if (length === undefined || buf.length < at + length + 2) return;
      const [protocol] = readVarInt(buf, at + 1);
      socket.removeAllListeners('data');
      requests.set(protocol!, (requests.get(protocol!) ?? 0) + 1);
      const json = JSON.stringify({ version: { name: `echo ${protocol}`, protocol }, players: { max: 20, online: 3 }, description: { text: 'from the backend' } });
      const body = Buffer.concat([Buffer.from([0]), varInt(Buffer.byteLength(json)), Buffer.from(json)]);
      setTimeout(() => socket.end(Buffer.concat([varInt(body.length), body])), state.delayMs);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return Object.assign(state, {
    port: (server.address() as AddressInfo).port,
    requests,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  });
}

function readVarInt(buf: Buffer, at: number): [number | undefined, number] {
  let value = 0;
  for (let i = 0; i < 5 && at + i < buf.length; i++) {
    const b = buf[at + i]!;
    value |= (b & 0x7f) << (7 * i);
    if ((b & 0x80) === 0) return [value, at + i + 1];
  }
  return [undefined, at];
}

function varInt(v: number): Buffer {
  const out: number[] = [];
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return Buffer.from(out);
}
