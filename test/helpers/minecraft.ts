// The real Minecraft client library as the player and as the backend. minecraft-protocol reports
// transfers and cookies as events but acts on none of them; these helpers do what a vanilla client would.
import { createRequire } from 'node:module';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { onlineIdFor } from './session-server.ts';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const mc = require('minecraft-protocol') as any;
const states = require('minecraft-protocol/src/states') as { LOGIN: string };

export interface LoginResult {
  readonly transfer?: { host: string; port: number };
  /** Add Resource Pack packets the client was sent. */
  readonly packs?: { uuid: string; url: string; hash: string; forced: boolean }[];
  readonly disconnect?: string;
  readonly uuid?: string;
}

/** Flattens a text component (JSON string or object or NBT-decoded) into plain text. */
export function plainText(reason: unknown): string {
  if (typeof reason === 'string') {
    try {
      return plainText(JSON.parse(reason));
    } catch {
      return reason;
    }
  }
  if (reason !== null && typeof reason === 'object') {
    const r = reason as { text?: unknown; value?: unknown; type?: string; extra?: unknown[] };
    if (r.type !== undefined && 'value' in r) return plainText(r.value);
    let s = typeof r.text === 'string' ? r.text : plainText(r.text ?? '');
    for (const e of r.extra ?? []) s += plainText(e);
    return s;
  }
  return reason === undefined || reason === null ? '' : String(reason);
}

export interface ClientOptions {
  port: number;
  host?: string;
  version: string;
  username: string;
  /** Online mode: log in through the fake session server. */
  sessionServer?: string;
  intent?: 3;
  locale?: string;
  /** Connect from this loopback address (e.g. 127.0.0.2) to look like another client IP. */
  localAddress?: string;
  /** Bytes sent before the handshake, as a load balancer does (a PROXY protocol header). */
  proxyHeader?: Buffer;
  /**
   * Cookies the client keeps, as the vanilla client does: Store Cookie writes here and Cookie
   * Request is answered from here (minecraft-protocol reports both but acts on neither).
   */
  cookieJar?: Map<string, Buffer>;
  /** Results to answer each Add Resource Pack with (default: accepted, downloaded, loaded). */
  packResults?: number[];
}

export function createClient(o: ClientOptions): any {
  const options: Record<string, unknown> = {
    host: '127.0.0.1',
    port: o.port,
    version: o.version,
    username: o.username,
    fakeHost: o.host ?? 'play.test',
    hideErrors: true,
    keepAlive: false,
    clientSettings: { locale: o.locale ?? 'en_us' },
  };
  if (o.sessionServer !== undefined) {
    const id = onlineIdFor(o.username);
    options.sessionServer = o.sessionServer;
    options.auth = (client: any, opts: any) => {
      client.username = o.username;
      client.session = { accessToken: 'test-token', selectedProfile: { id, name: o.username } };
      opts.accessToken = 'test-token';
      opts.haveCredentials = true;
      opts.connect(client);
    };
  } else {
    options.auth = 'offline';
  }
  if (o.localAddress !== undefined || o.proxyHeader !== undefined) {
    options.connect = (client: any) => {
      const socket = net.connect({ port: o.port, host: '127.0.0.1', ...(o.localAddress === undefined ? {} : { localAddress: o.localAddress }) });
      if (o.proxyHeader !== undefined) socket.write(o.proxyHeader);
      client.setSocket(socket);
    };
  }
  const client = mc.createClient(options);
  const jar = o.cookieJar;
  if (jar !== undefined) {
    client.on('store_cookie', (p: { key: string; value: Buffer }) => jar.set(p.key, Buffer.from(p.value)));
    client.on('cookie_request', (p: { cookie: string }) => client.write('cookie_response', { key: p.cookie, value: jar.get(p.cookie) }));
  } else {
    // A client without cookies still answers, with no payload.
    client.on('cookie_request', (p: { cookie: string }) => client.write('cookie_response', { key: p.cookie, value: undefined }));
  }
  client.on('add_resource_pack', (p: { uuid: string }) => {
    client.packsOffered = [...(client.packsOffered ?? []), p];
    for (const result of o.packResults ?? [3, 4, 0]) client.write('resource_pack_receive', { uuid: p.uuid, result });
  });
  if (o.intent === 3) {
    const write = client.write.bind(client);
    client.write = (name: string, params: Record<string, unknown>) => write(name, name === 'set_protocol' ? { ...params, nextState: 3 } : params);
  }
  return client;
}

/**
 * Runs one client until `listen`'s handlers call `finish` (or `timeoutMs` passes), then ends it and
 * drops its listeners, so no handler outlives the test step.
 */
export function runClient<T>(client: any, timeoutMessage: string, timeoutMs: number, listen: (finish: (result: T | Error) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const finish = (result: T | Error): void => {
      clearTimeout(timer);
      client.removeAllListeners();
      client.on('error', () => {});
      client.end();
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const timer = setTimeout(() => finish(new Error(timeoutMessage)), timeoutMs);
    listen(finish);
  });
}

/** Logs in and resolves with the Transfer target or the disconnect text. Always ends the client. */
export function login(o: ClientOptions, timeoutMs = 10_000): Promise<LoginResult> {
  const client = createClient(o);
  return runClient<LoginResult>(client, `login as ${o.username} timed out`, timeoutMs, (finish) => {
    let uuid: string | undefined;
    client.on('success', (p: { uuid: string }) => (uuid = p.uuid));
    const packs = (): { packs?: LoginResult['packs'] } => (client.packsOffered === undefined ? {} : { packs: client.packsOffered });
    client.on('transfer', (p: { host: string; port: number }) => finish({ transfer: { host: p.host, port: p.port }, ...(uuid ? { uuid } : {}), ...packs() }));
    client.on('kick_disconnect', (p: { reason: unknown }) => finish({ disconnect: plainText(p.reason), ...packs() }));
    client.on('disconnect', (p: { reason: unknown }) => finish({ disconnect: plainText(p.reason), ...packs() }));
    client.on('error', (err: Error) => finish(err));
    client.on('end', (reason: string) => finish({ disconnect: `connection ended: ${reason}` }));
  });
}

export interface Backend {
  readonly port: number;
  /** Handshakes seen: intent and the name that logged in. */
  readonly arrivals: { intent: number; username: string }[];
  close(): Promise<void>;
}

/** A minecraft-protocol server as the transfer destination; intent 3 is switched to login by hand. */
export async function startBackend(version: string): Promise<Backend> {
  const server = mc.createServer({ 'online-mode': false, host: '127.0.0.1', port: 0, version, motd: 'backend', keepAlive: false, hideErrors: true });
  const arrivals: { intent: number; username: string }[] = [];
  server.on('connection', (client: any) => {
    client.on('error', () => {});
    client.once('set_protocol', (p: { nextState: number }) => {
      if (p.nextState === 3) client.state = states.LOGIN;
      client.once('login_start', (l: { username: string }) => arrivals.push({ intent: p.nextState, username: l.username }));
    });
  });
  await new Promise<void>((r) => server.on('listening', r));
  return {
    port: (server.socketServer.address() as AddressInfo).port,
    arrivals,
    close: () => new Promise<void>((r) => {
      server.close();
      r();
    }),
  };
}

/** Follows a Transfer as the vanilla client does: a new connection to the target with intent 3. */
export function followTransfer(transfer: { host: string; port: number }, version: string, username: string): Promise<void> {
  const client = createClient({ port: transfer.port, host: transfer.host, version, username, intent: 3 });
  return runClient<void>(client, 'backend login timed out', 10_000, (finish) => {
    client.on('success', () => finish(undefined));
    client.on('error', (err: Error) => finish(err));
    client.on('end', (reason: string) => finish(new Error(`backend closed: ${reason}`)));
  });
}

/** Server-list ping with `host` in the handshake, connecting to 127.0.0.1. */
export function ping(port: number, host: string, version: string): Promise<any> {
  return mc.ping({
    host,
    port,
    version,
    closeTimeout: 5000,
    noPongTimeout: 5000,
    connect: (client: any) => {
      client.setSocket(net.connect(port, '127.0.0.1'));
    },
  });
}
