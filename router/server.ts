import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { ServerKeyPair } from './auth/encryption.ts';
import { SessionServerClient } from './auth/session-server.ts';
import type { PassageConfig } from './config/schema.ts';
import { Connection } from './connection/connection.ts';
import type { RouterContext } from './context.ts';
import type { Logger } from 'pino';
import { Messages } from './messages/messages.ts';
import { TableStore } from './routing/store.ts';

export interface RouterOptions {
  readonly config: PassageConfig;
  readonly log: Logger;
  readonly tables?: TableStore;
  readonly random?: () => number;
}

/** The data plane: accepts players and runs one Connection per socket. Holds no session state. */
export class Router {
  readonly ctx: RouterContext;
  private readonly server: Server;
  private readonly connections = new Set<Connection>();
  private readonly startedAt = Date.now();

  constructor(opts: RouterOptions) {
    const { config, log } = opts;
    this.ctx = {
      config,
      log,
      keys: new ServerKeyPair(),
      sessionServer: new SessionServerClient({ baseUrl: config.auth.sessionServer, timeoutMs: config.auth.sessionTimeoutMs }),
      tables: opts.tables ?? new TableStore(),
      messages: new Messages(),
      source: this,
      counters: new Map(),
      random: opts.random ?? Math.random,
      draining: false,
    };
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

  private accept(socket: Socket): void {
    const ip = socket.remoteAddress ?? '';
    const conn = new Connection(this.ctx, socket, ip.startsWith('::ffff:') ? ip.slice(7) : ip);
    this.connections.add(conn);
    conn.onClosed = () => this.connections.delete(conn);
    conn.start();
  }

  /** Starts listening; resolves with the bound address (port 0 picks a free port). */
  listen(host = this.ctx.config.address.host, port = this.ctx.config.address.port): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen({ host, port, backlog: 4096 }, () => {
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
    for (const conn of this.connections) conn.socket.destroy();
    return cut;
  }

  /** Immediate stop (tests). */
  async close(): Promise<void> {
    await this.drain(0);
  }
}
