import { BlockList, createServer, isIP } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { ServerKeyPair } from './auth/encryption.ts';
import { SessionServerClient } from './auth/session-server.ts';
import type { PassageConfig } from './config/schema.ts';
import { cidrList } from './config/load.ts';
import { Connection } from './connection/connection.ts';
import type { ConnectionOptions } from './connection/connection.ts';
import { HandshakePhase } from './connection/handshake-phase.ts';
import { events, publish } from './events.ts';
import { Admission } from './limits/admission.ts';
import { readProxyHeader } from './proxy/reader.ts';
import type { RouterContext } from './context.ts';
import type { Logger } from 'pino';
import { Messages } from './messages/messages.ts';
import { loadMessagesFile } from './messages/file.ts';
import { loadCookieSecrets } from './auth/cookie.ts';
import { TableStore } from './routing/store.ts';
import { Relays } from './relay/relays.ts';
import { NewerProtocols } from './connection/newer-protocols.ts';
import { Waker } from './wake/waker.ts';
import { LiveList } from './live-list.ts';

export interface RouterOptions {
  readonly config: PassageConfig;
  readonly log: Logger;
  readonly tables?: TableStore;
  readonly random?: () => number;
  /** Overrides the secrets from the config (tests); `undefined` reads the config and environment. */
  readonly cookieSecrets?: readonly Buffer[];
  readonly now?: () => number;
}

/** The data plane: accepts players and runs one Connection per socket. Holds no session state. */
export class Router {
  readonly ctx: RouterContext;
  private readonly server: Server;
  /** A LiveList, not a Set: a Set kept finished connections reachable for its collector (live-list.ts). */
  private readonly connections = new LiveList<Connection>();
  /** Sockets from trusted proxies whose PROXY header is still being read. */
  private readonly awaitingHeader = new LiveList<Socket>();
  private readonly admission: Admission;
  private readonly trustedProxies: BlockList | undefined;
  private readonly startedAt = Date.now();

  constructor(opts: RouterOptions) {
    const { config, log } = opts;
    this.ctx = {
      config,
      log,
      keys: new ServerKeyPair(),
      sessionServer: new SessionServerClient({ baseUrl: config.auth.sessionServer, timeoutMs: config.auth.sessionTimeoutMs }),
      tables: opts.tables ?? new TableStore(),
      messages: new Messages({ defaultLocale: config.messages.defaultLocale, overrides: loadMessagesFile(config.messages.file) }),
      cookieSecrets: opts.cookieSecrets !== undefined ? opts.cookieSecrets : loadCookieSecrets(config.auth.cookieSecretFile),
      now: opts.now ?? Date.now,
      source: this,
      admission: new Admission(config, this),
      newerProtocols: new NewerProtocols(config.protocol, log),
      counters: new Map(),
      random: opts.random ?? Math.random,
      draining: false,
      relays: new Relays(this, log),
      wake: new Waker({ source: this, log, policy: config.adapters }),
    };
    this.admission = this.ctx.admission!;
    this.trustedProxies = config.proxyProtocol.enabled ? cidrList(config.proxyProtocol.trustedProxies) : undefined;
    this.server = createServer({ noDelay: true, pauseOnConnect: false }, (socket) => this.accept(socket));
    this.server.on('error', (err) => log.error({ err }, 'listener error'));
  }

  get uptimeSeconds(): number {
    return (Date.now() - this.startedAt) / 1000;
  }

  get activeConnections(): number {
    return this.connections.size;
  }

  get draining(): boolean {
    return this.ctx.draining;
  }

  /**
   * Everything here is synchronous or event-driven: a slow PROXY header or a silent peer holds its
   * own socket only, and refusals cost a reset, not a goodbye.
   */
  private accept(socket: Socket): void {
    const acceptedAt = performance.now();
    if (!this.admission.caps.tryOpen()) {
      publish(events.connectionRejected, this.ctx.source, { reason: 'max_pending' });
      socket.resetAndDestroy();
      return;
    }
    const raw = socket.remoteAddress ?? '';
    const peer = raw.startsWith('::ffff:') ? raw.slice(7) : raw;
    if (this.trustedProxies === undefined || !this.trustedProxies.check(peer, isIP(peer) === 6 ? 'ipv6' : 'ipv4')) {
      // With PROXY protocol on, a header from anyone else claims an address it may not have.
      this.open(socket, peer, { acceptedAt, refuseProxyHeader: this.trustedProxies !== undefined });
      return;
    }
    const awaiting = this.awaitingHeader.add(socket);
    readProxyHeader(socket, this.ctx.config.proxyProtocol.headerTimeoutMs, (result) => {
      awaiting.remove();
      if (result.ok) {
        // LOCAL (health checks) and address-less headers stand for the proxy itself.
        this.open(socket, result.header.source?.address ?? peer, { acceptedAt }, result.rest);
        return;
      }
      this.admission.caps.releaseOpen();
      if ('error' in result) {
        publish(events.proxyHeaderError, this.ctx.source, { kind: result.error.code });
        publish(events.error, this.ctx.source, { kind: result.error.code, intent: 'unknown' });
        if (this.ctx.log.isLevelEnabled('debug')) this.ctx.log.debug({ proxy: peer, code: result.error.code }, result.error.message);
      }
      socket.destroy();
    });
  }

  /** Runs a Connection for a client whose address is known (the peer's, or the PROXY header's). */
  private open(socket: Socket, clientIp: string, opts: ConnectionOptions, rest?: Buffer): void {
    const key = this.admission.keyOf(clientIp);
    if (!this.admission.caps.tryClaim(key)) {
      this.admission.caps.releaseOpen();
      publish(events.connectionRejected, this.ctx.source, { reason: 'max_pending_per_ip' });
      socket.resetAndDestroy();
      return;
    }
    const conn = new Connection(this.ctx, socket, clientIp, opts);
    const entry = this.connections.add(conn);
    conn.onSettled = () => {
      this.admission.caps.release(key);
      this.admission.caps.releaseOpen();
    };
    conn.onClosed = () => entry.remove();
    conn.start(new HandshakePhase(conn), rest);
  }

  /**
   * Starts listening; resolves with the bound address (port 0 picks a free port). `reusePort` lets the
   * worker processes of one instance bind the same port (router/workers/): the kernel spreads connections.
   */
  listen(host = this.ctx.config.address.host, port = this.ctx.config.address.port, reusePort = false): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen({ host, port, backlog: 4096, ...(reusePort ? { reusePort } : {}) }, () => {
        this.server.off('error', onError);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /**
   * Graceful stop: no new connections, logins in flight may finish until `deadlineMs`, then the
   * rest are cut. Resolves with how many connections had to be cut.
   */
  async drain(deadlineMs = this.ctx.config.drainTimeoutMs): Promise<number> {
    this.ctx.draining = true;
    // close() stops accepting at once; its callback only fires when the last connection is gone,
    // which is what the deadline below is for, so it is not awaited.
    if (this.server.listening) this.server.close();
    const until = Date.now() + deadlineMs;
    while (this.connections.size > 0 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const cut = this.connections.size;
    // Relays run until the deadline like logins do; cut them first so they end as `drain`.
    await this.ctx.relays.closeAll('drain');
    for (const conn of this.connections.values()) conn.socket.destroy();
    for (const socket of this.awaitingHeader.values()) socket.destroy();
    this.ctx.sessionServer.close();
    this.ctx.wake?.close();
    return cut;
  }

  /** Immediate stop (tests). */
  async close(): Promise<void> {
    await this.drain(0);
  }

  /** Disposal is the immediate stop; a graceful stop calls `drain` first (startPassage's stop does). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
