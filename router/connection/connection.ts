import type { Cipheriv, Decipheriv } from 'node:crypto';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { AuthError } from '../auth/errors.ts';
import type { RouterContext } from '../context.ts';
import { events, publish } from '../events.ts';
import type { Intent } from '../events.ts';
import type { MessageKey } from '../messages/catalog.ts';
import { encodeConfigurationDisconnect } from '../protocol/configuration.ts';
import { ProtocolError } from '../protocol/errors.ts';
import { FrameDecoder } from '../protocol/framer.ts';
import type { Handshake } from '../protocol/handshake.ts';
import { LEGACY_PING_BYTE } from '../protocol/legacy.ts';
import { encodeLoginDisconnect } from '../protocol/login.ts';
import type { GameProfile } from '../protocol/login.ts';
import type { ActiveTable } from '../routing/active-table.ts';
import type { Route } from '../table/types.ts';
import { handleConfiguration } from './configuration-handler.ts';
import { handleHandshake } from './handshake-handler.ts';
import { answerLegacyPing } from './legacy-handler.ts';
import { MAX_HANDSHAKE_FRAME, MAX_QUEUED_FRAMES, TRANSFER_CLOSE_GRACE_MS } from './limits.ts';
import { handleLogin } from './login-handler.ts';
import { handleStatus } from './status-handler.ts';

/**
 * The states of one client connection and their order:
 *   handshake → status → closed
 *   handshake → login → configuration → (Transfer sent) closed
 * Every state has one handler; a packet that does not belong to the current state closes the connection.
 */
export type State = 'handshake' | 'status' | 'login' | 'configuration' | 'closed';

export type FrameHandler = (conn: Connection, body: Buffer) => void | Promise<void>;

const HANDLERS: Record<Exclude<State, 'closed'>, FrameHandler> = {
  handshake: handleHandshake,
  status: handleStatus,
  login: handleLogin,
  configuration: handleConfiguration,
};

/** Where a login is between packets; the login and configuration handlers advance it. */
export type LoginStep =
  | 'await_start'
  | 'await_encryption'
  | 'authenticating'
  | 'await_acknowledged'
  | 'await_client_information'
  | 'transferring';

export class Connection {
  readonly ctx: RouterContext;
  readonly socket: Socket;
  /** The client's IP address (from the PROXY header when a trusted proxy sent one). */
  clientIp: string;
  readonly openedAt = performance.now();
  state: State = 'handshake';
  intent: Intent = 'unknown';
  step: LoginStep = 'await_start';
  handshake: Handshake | undefined;
  /** The table this connection started with; a swap mid-login does not change it. */
  table: ActiveTable | undefined;
  route: Route | undefined;
  /** From Client Information; messages before it use the default locale. */
  locale: string | undefined;
  playerName: string | undefined;
  profile: GameProfile | undefined;
  verifyToken: Buffer | undefined;
  pendingKeepAlive: bigint | undefined;

  readonly decoder = new FrameDecoder(MAX_HANDSHAKE_FRAME);
  private cipher: Cipheriv | undefined;
  private decipher: Decipheriv | undefined;
  private reframe = false;
  private busy = false;
  private readonly queue: Buffer[] = [];
  private sawData = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private stateTimer: NodeJS.Timeout | undefined;
  private keepAliveTimer: NodeJS.Timeout | undefined;
  private closedPublished = false;
  outcome = 'client_closed';

  constructor(ctx: RouterContext, socket: Socket, clientIp: string) {
    this.ctx = ctx;
    this.socket = socket;
    this.clientIp = clientIp;
  }

  start(): void {
    publish(events.connectionOpened, this.ctx.source, { remote: this.clientIp });
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', () => {
      // ECONNRESET and friends: the peer went away. 'close' follows and does the accounting.
      if (this.state !== 'closed') this.outcome = 'client_reset';
    });
    this.socket.on('close', () => this.onSocketClosed());
    // One hard limit per connection, whatever state it is in.
    this.timers.push(setTimeout(() => this.timeout(), this.ctx.config.timeoutMs).unref());
    // One absolute deadline from accept until the login is under way (no per-read timer a trickle can reset).
    this.setStateDeadline(this.ctx.config.limits.loginTimeoutMs);
  }

  /** Replaces the state deadline (e.g. longer for the configuration phase). */
  setStateDeadline(ms: number): void {
    if (this.stateTimer !== undefined) clearTimeout(this.stateTimer);
    this.stateTimer = setTimeout(() => this.timeout(), ms).unref();
  }

  private timeout(): void {
    if (this.state === 'closed') return;
    this.reportError('ERR_TIMEOUT');
    this.disconnect('timeout', {}, 'timeout');
  }

  private onData(chunk: Buffer): void {
    if (this.state === 'closed') return;
    if (!this.sawData) {
      this.sawData = true;
      if (chunk[0] === LEGACY_PING_BYTE && this.state === 'handshake') {
        answerLegacyPing(this, chunk);
        return;
      }
    }
    const data = this.decipher === undefined ? chunk : this.decipher.update(chunk);
    this.feed(data);
  }

  private feed(data: Buffer): void {
    try {
      this.decoder.push(data, (body) => this.onFrame(body));
      if (this.reframe) {
        // Encryption was switched on mid-chunk: what follows the Encryption Response is ciphertext.
        this.reframe = false;
        const rest = this.decoder.takePending();
        if (rest !== undefined && this.decipher !== undefined) this.feed(this.decipher.update(rest));
      }
    } catch (err) {
      this.fail(err);
    }
  }

  private onFrame(body: Buffer): boolean {
    if (this.state === 'closed') return false;
    if (this.busy) {
      if (this.queue.length >= MAX_QUEUED_FRAMES) {
        throw new ProtocolError('ERR_UNEXPECTED_PACKET', `${this.queue.length} packets sent while the server was busy`);
      }
      this.queue.push(Buffer.from(body));
      return true;
    }
    const result = HANDLERS[this.state](this, body);
    if (result instanceof Promise) {
      this.busy = true;
      result.then(
        () => {
          this.busy = false;
          this.drainQueue();
        },
        (err: unknown) => {
          this.busy = false;
          this.fail(err);
        },
      );
    }
    return (this.state as State) !== 'closed' && !this.reframe;
  }

  private drainQueue(): void {
    while (this.queue.length > 0 && !this.busy && this.state !== 'closed') {
      const body = this.queue.shift() as Buffer;
      try {
        this.onFrame(body);
      } catch (err) {
        this.fail(err);
        return;
      }
    }
  }

  /** Turns on AES-128-CFB8 both ways; bytes after the current frame are decrypted before framing. */
  enableEncryption(ciphers: { encrypt: Cipheriv; decrypt: Decipheriv }): void {
    this.cipher = ciphers.encrypt;
    this.decipher = ciphers.decrypt;
    this.reframe = true;
  }

  send(packet: Buffer): void {
    if (this.state === 'closed' || this.socket.destroyed) return;
    this.socket.write(this.cipher === undefined ? packet : this.cipher.update(packet));
  }

  /** Shows the player a localized message (when the state has a way to) and closes. */
  disconnect(key: MessageKey, params: Readonly<Record<string, string | number>> = {}, outcome: string = `disconnected:${key}`): void {
    if (this.state === 'closed') return;
    const text = this.ctx.messages.text(key, this.locale, params);
    const component = { text };
    publish(events.disconnect, this.ctx.source, { reason: key });
    if (this.state === 'login') this.send(encodeLoginDisconnect(component));
    else if (this.state === 'configuration') this.send(encodeConfigurationDisconnect(component));
    this.close(outcome);
  }

  /** Ends the connection after pending writes; a peer that does not close its side is cut off soon after. */
  close(outcome: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.outcome = outcome;
    this.clearTimers();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  /**
   * After Transfer the client leaves on its own (closing first avoids racing its transfer with an
   * end-of-stream); a client that stays is cut off after a grace period.
   */
  closeAfterTransfer(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.outcome = 'transferred';
    this.clearTimers();
    setTimeout(() => this.socket.destroy(), TRANSFER_CLOSE_GRACE_MS).unref();
  }

  startKeepAlive(send: () => void): void {
    this.keepAliveTimer = setInterval(send, this.ctx.config.limits.keepAliveIntervalMs).unref();
  }

  /** Counts an error by its stable code. */
  reportError(kind: string): void {
    publish(events.error, this.ctx.source, { kind, intent: this.intent });
  }

  /** Client mistakes are routine: counted, logged at debug without a stack, and the connection closed. */
  fail(err: unknown): void {
    if (this.state === 'closed') return;
    if (err instanceof ProtocolError) {
      this.reportError(err.code);
      if (this.ctx.log.isLevelEnabled('debug')) this.ctx.log.debug({ client: this.clientIp, code: err.code, state: this.state }, err.message);
      this.close(`error:${err.code}`);
      return;
    }
    if (err instanceof AuthError) {
      this.reportError(err.code);
      if (this.ctx.log.isLevelEnabled('debug')) this.ctx.log.debug({ client: this.clientIp, code: err.code, player: this.playerName }, err.message);
      const key: MessageKey =
        err.code === 'ERR_AUTH_SESSION_TIMEOUT' || err.code === 'ERR_AUTH_SESSION_UNAVAILABLE' ? 'session_unavailable' : 'session_not_verified';
      this.disconnect(key, {}, `error:${err.code}`);
      return;
    }
    // Anything else is our bug: log it with its stack, tell the player, keep serving everyone else.
    this.reportError('ERR_INTERNAL');
    this.ctx.log.error({ err, client: this.clientIp, state: this.state }, 'internal error while handling a connection');
    this.disconnect('internal_error', {}, 'error:ERR_INTERNAL');
  }

  private clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    if (this.stateTimer !== undefined) clearTimeout(this.stateTimer);
    if (this.keepAliveTimer !== undefined) clearInterval(this.keepAliveTimer);
  }

  private onSocketClosed(): void {
    if (this.state !== 'closed') {
      this.state = 'closed';
      this.clearTimers();
    }
    if (this.closedPublished) return;
    this.closedPublished = true;
    publish(events.connectionClosed, this.ctx.source, {
      intent: this.intent,
      outcome: this.outcome.split(':')[0],
      durationSeconds: (performance.now() - this.openedAt) / 1000,
    });
    this.onClosed?.();
  }

  /** Set by the Router to forget the connection. */
  onClosed: (() => void) | undefined;
}
