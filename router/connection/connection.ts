import type { Cipheriv, Decipheriv } from 'node:crypto';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { AuthError } from '../auth/errors.ts';
import type { RouterContext } from '../context.ts';
import { events, publish } from '../events.ts';
import type { Intent } from '../events.ts';
import type { MessageKey } from '../messages/catalog.ts';
import type { Messages } from '../messages/messages.ts';
import { encodeConfigurationDisconnect } from '../protocol/configuration.ts';
import { EncodeError, ProtocolError } from '../protocol/errors.ts';
import { LogThrottle } from '../log-throttle.ts';
import { FrameDecoder } from '../protocol/framer.ts';
import type { Handshake } from '../protocol/handshake.ts';
import { encodeLoginDisconnect } from '../protocol/login.ts';
import { protocolSupport, SUPPORTED_RANGE_TEXT } from '../protocol/versions.ts';
import type { ActiveTable } from '../routing/active-table.ts';
import type { Route } from '../table/types.ts';
import { ProxyHeaderError } from '../proxy/errors.ts';
import { looksLikeProxyHeader } from '../proxy/reader.ts';
import { CLOSE_LINGER_MS, MAX_HANDSHAKE_FRAME, MAX_QUEUED_FRAMES, TRANSFER_CLOSE_GRACE_MS } from './limits.ts';
import type { EntryLimits, Phase, PhaseLimits, State } from './phase.ts';

export type { State } from './phase.ts';

/**
 * One client connection, from accept to close. It holds only what every phase shares (socket,
 * cipher, client IP, handshake, table, route) and runs the current phase's frames one at a time:
 *   handshake → status → closed
 *   handshake → login → configuration → (Transfer sent) closed
 *   handshake → passthrough → (status answered, or Login Start read and the socket handed to a relay) closed
 * Each phase lives in its own file and owns its own fields; `enter(phase, limits)` is the one way to
 * move on, and sets the frame limit and deadline of the phase entered. A packet that does not belong
 * to the current phase closes the connection.
 */

/** Until `start`: a connection reads nothing before its first phase is given. */
const NOT_STARTED: Phase = {
  state: 'handshake',
  handle(): void {
    throw new ProtocolError('ERR_UNEXPECTED_PACKET', 'a frame before the connection started');
  },
};

/** Encoder failures come from a table or adapter value, so they repeat on every connection: log them sparingly. */
const ENCODE_LOG = new LogThrottle();

/**
 * How early a deadline timer may fire and still count as on time: Node times a timer from the event
 * loop's cached clock, which lags `performance.now()` by as much as the turn that armed it.
 */
const DEADLINE_EARLY_MS = 5;

/** A closed socket's last listener: holds no connection, and keeps a late 'error' from being unhandled. */
function ignoreSocketError(): void {}

/** Connection ids tag events so subscribers (tracing) can tell connections apart; unique per process. */
let nextConnectionId = 1;

export class Connection {
  readonly id = nextConnectionId++;
  readonly ctx: RouterContext;
  readonly socket: Socket;
  /** The client's IP address (from the PROXY header when a trusted proxy sent one). */
  readonly clientIp: string;
  /** When the socket was accepted (before any PROXY header): the handshake deadline counts from here. */
  readonly openedAt: number;
  /** Frames of the current phase; the relay takes what is buffered after a hand-over (`takePending`). */
  readonly decoder = new FrameDecoder(MAX_HANDSHAKE_FRAME);

  private phase: Phase = NOT_STARTED;
  private currentState: State = 'handshake';
  private currentIntent: Intent = 'unknown';
  private greeting: Handshake | undefined;
  private startTable: ActiveTable | undefined;
  private startRoute: Route | undefined;
  private cipher: Cipheriv | undefined;
  private decipher: Decipheriv | undefined;
  private reframe = false;
  private busy = false;
  private readonly queue: Buffer[] = [];
  private sawData = false;
  /**
   * One timer per connection for whichever comes first: the phase's deadline or the hard limit
   * (`timeout`). A later deadline does not re-arm it: the timer fires early and is armed again for
   * what is left. Most connections end within milliseconds, long before their first deadline, so one
   * Timeout serves a whole login (three phases) instead of one per phase.
   */
  private deadlineTimer: NodeJS.Timeout | undefined;
  /** performance.now() when the armed timer fires. */
  private timerDueAt = Infinity;
  /** performance.now() when the hard limit ends the connection. */
  private hardDeadlineAt = Infinity;
  /** performance.now() when the current phase's deadline passes. */
  private phaseDeadlineAt = Infinity;
  private onStateDeadline: (() => void) | undefined;
  private closedPublished = false;
  private outcome = 'client_closed';

  /** PROXY protocol is on but this peer is not a trusted proxy: a header from it is refused. */
  private readonly refuseProxyHeader: boolean;
  private settled = false;

  constructor(ctx: RouterContext, socket: Socket, clientIp: string, opts: ConnectionOptions = {}) {
    this.ctx = ctx;
    this.socket = socket;
    this.clientIp = clientIp;
    this.openedAt = opts.acceptedAt ?? performance.now();
    this.refuseProxyHeader = opts.refuseProxyHeader ?? false;
  }

  /**
   * Starts reading in `first` (the handshake phase); `initial` holds bytes already read off the
   * socket (after a PROXY header).
   */
  start(first: Phase, initial?: Buffer): void {
    publish(events.connectionOpened, this.ctx.source, { remote: this.clientIp, connectionId: this.id });
    this.socket.on('data', this.dataListener);
    this.socket.on('error', this.errorListener);
    this.socket.on('close', this.closeListener);
    // Both deadlines count from accept, so time spent on a PROXY header is not granted twice.
    // Whole milliseconds: Node keeps one timer list per distinct duration, so fractional durations
    // would create (and tear down) a list per connection.
    const elapsed = Math.floor(performance.now() - this.openedAt);
    // One hard limit per connection, whatever state it is in (shares the deadline timer).
    this.hardDeadlineAt = this.openedAt + elapsed + Math.max(0, this.ctx.config.timeoutMs - elapsed);
    // One absolute deadline from accept to Login Start (no per-read timer a trickle can reset).
    this.enter(first, { maxFrame: MAX_HANDSHAKE_FRAME, deadlineMs: Math.max(0, this.ctx.config.limits.handshakeTimeoutMs - elapsed) });
    if (initial !== undefined && initial.length > 0) this.onData(initial);
  }

  /** Where the client is: the current phase's protocol state, or `closed`. */
  get state(): State {
    return this.currentState;
  }

  /** What the handshake asked for (`unknown` before it, `legacy` for a pre-1.7 ping). */
  get intent(): Intent {
    return this.currentIntent;
  }

  /** The handshake, once read. */
  get handshake(): Handshake | undefined {
    return this.greeting;
  }

  /** The table this connection started with; a swap mid-login does not change it. */
  get table(): ActiveTable | undefined {
    return this.startTable;
  }

  /** The route the handshake's host resolved to in `table`. */
  get route(): Route | undefined {
    return this.startRoute;
  }

  /** From Client Information (the configuration phase); messages before it use the default locale. */
  get locale(): string | undefined {
    return this.phase.locale;
  }

  /** From Login Start (the login or passthrough phase), for logs. */
  get playerName(): string | undefined {
    return this.phase.playerName;
  }

  /** Player-facing text: the table's overrides, then the config's, then the built-ins. */
  get messages(): Messages {
    return this.startTable === undefined ? this.ctx.messages : this.startTable.messages(this.ctx.messages);
  }

  /** The handshake phase records what the client asked for; every later phase reads it from here. */
  identify(intent: Intent, handshake?: Handshake, table?: ActiveTable, route?: Route): void {
    this.currentIntent = intent;
    this.greeting = handshake;
    this.startTable = table;
    this.startRoute = route;
  }

  /**
   * Moves to `next` (Velocity's `setActiveSessionHandler`): the phase left stops what it started, and
   * the frame limit (and, when given, the deadline) of the phase entered apply from the next frame on.
   */
  enter(next: Phase, limits: EntryLimits): void {
    if (this.currentState === 'closed') return;
    this.phase.leave?.();
    this.phase = next;
    this.currentState = next.state;
    this.limit(limits);
    next.begin?.();
  }

  /** Changes the limits within the current phase (Login Start allows larger frames and starts the login deadline). */
  limit(limits: PhaseLimits): void {
    if (this.currentState === 'closed') return;
    if (limits.maxFrame !== undefined) this.decoder.maxFrame = limits.maxFrame;
    if (limits.deadlineMs !== undefined) this.setDeadline(limits.deadlineMs, limits.onDeadline);
  }

  private setDeadline(ms: number, onExpiry: (() => void) | undefined): void {
    this.onStateDeadline = onExpiry;
    const now = performance.now();
    this.phaseDeadlineAt = now + ms;
    this.armDeadline(now);
  }

  /** Arms the timer for the earlier deadline, unless it is already armed to fire no later than that. */
  private armDeadline(now: number): void {
    const due = Math.min(this.phaseDeadlineAt, this.hardDeadlineAt);
    if (this.deadlineTimer !== undefined) {
      if (this.timerDueAt <= due) return;
      clearTimeout(this.deadlineTimer);
    }
    // Whole milliseconds, as in `start`: one Node timer list per distinct duration (the epsilon keeps
    // `now + 5000 - now` from rounding up to 5001).
    const ms = Math.max(0, Math.ceil(due - now - 1e-6));
    this.timerDueAt = now + ms;
    this.deadlineTimer = setTimeout(this.deadlineExpired, ms).unref();
  }

  /** The phase's deadline or, when it came first, the hard limit; or an earlier deadline since moved on. */
  private readonly deadlineExpired = (): void => {
    this.deadlineTimer = undefined;
    const now = performance.now();
    if (Math.min(this.phaseDeadlineAt, this.hardDeadlineAt) - now > DEADLINE_EARLY_MS) {
      this.armDeadline(now);
      return;
    }
    const onExpiry = this.onStateDeadline;
    if (this.hardDeadlineAt < this.phaseDeadlineAt || onExpiry === undefined) this.timeout();
    else onExpiry();
  };

  private timeout(): void {
    if (this.state === 'closed') return;
    this.reportError('ERR_TIMEOUT');
    this.disconnect('timeout', {}, 'timeout');
  }

  private onData(chunk: Buffer): void {
    if (this.state === 'closed') return;
    if (!this.sawData) {
      this.sawData = true;
      if (this.refuseProxyHeader && looksLikeProxyHeader(chunk)) {
        this.fail(new ProxyHeaderError('ERR_PROXY_UNTRUSTED', 'PROXY header from a peer outside proxy_protocol.trusted_proxies'));
        return;
      }
      if (this.phase.firstChunk !== undefined) {
        // Unframed (a legacy ping), but under the same error handling as every frame: one connection fails, never the process.
        try {
          if (this.phase.firstChunk(chunk)) return;
        } catch (err) {
          this.fail(err);
          return;
        }
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
    const result = this.phase.handle(body);
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
    this.goodbye({ text: this.messages.text(key, this.locale, params) }, key, outcome);
  }

  /**
   * Shows the player text a table or a login hook supplied (bounded where it was read; the encoder
   * checks again) and closes; `reason` labels the disconnect metric like a message key does.
   */
  disconnectText(text: string, reason: string, outcome: string): void {
    if (this.state === 'closed') return;
    this.goodbye({ text }, reason, outcome);
  }

  private goodbye(component: { text: string }, reason: string, outcome: string): void {
    publish(events.disconnect, this.ctx.source, { reason, connectionId: this.id });
    let packet: Buffer | undefined;
    try {
      // A relayed login has not left the login state either; a relayed status ping has no way to show text.
      if (this.state === 'login' || (this.state === 'passthrough' && this.intent !== 'status')) packet = encodeLoginDisconnect(component);
      else if (this.state === 'configuration') packet = encodeConfigurationDisconnect(component);
    } catch (err) {
      // Text that does not fit its packet (a template expanded past its field): no goodbye, but counted.
      this.encodingFailed(err);
    }
    if (packet !== undefined) this.send(packet);
    this.close(outcome);
  }

  /** Ends the connection after pending writes; a peer that does not close its side is cut off soon after. */
  close(outcome: string): void {
    if (!this.markEnded(outcome)) return;
    this.socket.end();
    this.lingerTimer = setTimeout(() => this.socket.destroy(), CLOSE_LINGER_MS).unref();
  }

  /** Closes at once, writing nothing: for peers not worth a goodbye (rate-limited pings, bad PROXY headers). */
  abort(outcome: string): void {
    if (this.markEnded(outcome)) this.socket.destroy();
  }

  /** The bookkeeping every way of ending shares; false when the connection had already ended. */
  private markEnded(outcome: string): boolean {
    if (this.currentState === 'closed') return false;
    this.outcome = outcome;
    this.end();
    this.settle();
    return true;
  }

  /**
   * The connection no longer counts against the pending-connection caps: it was closed, transferred
   * or handed to a relay (which calls this itself). Idempotent.
   */
  settle(): void {
    if (this.settled) return;
    this.settled = true;
    this.onSettled?.();
  }

  /**
   * After Transfer the client leaves on its own (closing first avoids racing its transfer with an
   * end-of-stream); a client that stays is cut off after a grace period.
   */
  closeAfterTransfer(): void {
    if (!this.markEnded('transferred')) return;
    this.lingerTimer = setTimeout(() => this.socket.destroy(), TRANSFER_CLOSE_GRACE_MS).unref();
  }

  /**
   * Gives the socket to a passthrough relay: frame handling and every deadline stop here, the socket
   * is paused with its data listener removed, and the bytes received after the current frame stay in
   * `decoder` for the relay to take (`decoder.takePending()`) once the current chunk is done. The
   * connection is still counted until the socket closes, which is what lets a drain wait for relays.
   */
  handOver(): void {
    if (this.currentState === 'closed') return;
    this.outcome = 'relayed';
    this.end();
    // A relayed player is through the front door: it no longer counts against the pending caps.
    this.settle();
    this.socket.pause();
    this.socket.removeAllListeners('data');
  }

  /**
   * How a handed-over connection ended when no relay took it after all (the client left while the
   * backend was dialled, or no backend accepted it): counted under this outcome instead of `relayed`.
   */
  relayNotStarted(outcome: string): void {
    this.outcome = outcome;
  }

  /** Counts an error by its stable code. */
  reportError(kind: string): void {
    publish(events.error, this.ctx.source, { kind, intent: this.intent, connectionId: this.id });
  }

  /** Client mistakes are routine: counted, logged at debug without a stack, and the connection closed. */
  fail(err: unknown): void {
    if (this.state === 'closed') return;
    if (err instanceof ProxyHeaderError) {
      publish(events.proxyHeaderError, this.ctx.source, { kind: err.code });
      this.reportError(err.code);
      if (this.ctx.log.isLevelEnabled('debug')) this.ctx.log.debug({ client: this.clientIp, code: err.code }, err.message);
      this.abort(`error:${err.code}`);
      return;
    }
    if (err instanceof ProtocolError) {
      this.reportError(err.code);
      if (this.ctx.log.isLevelEnabled('debug')) this.ctx.log.debug({ client: this.clientIp, code: err.code, state: this.state }, err.message);
      const protocol = this.handshake?.protocol ?? 0;
      if ((this.state === 'login' || this.state === 'configuration') && protocolSupport(protocol) === 'newer') {
        // A day-one client read with the newest known layout, and that layout no longer fits: the
        // player is told which versions work instead of seeing the connection drop.
        publish(events.newerProtocolFailure, this.ctx.source, { protocol, label: this.ctx.newerProtocols.label(protocol), kind: err.code, connectionId: this.id });
        this.disconnect('newer_version', { versions: SUPPORTED_RANGE_TEXT }, `error:${err.code}`);
        return;
      }
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
    if (err instanceof EncodeError) {
      // A table, adapter or message value past its bound: this connection fails, the process never does.
      this.encodingFailed(err);
      this.disconnect('internal_error', {}, `error:${err.code}`);
      return;
    }
    // Anything else is our bug: log it with its stack, tell the player, keep serving everyone else.
    this.reportError('ERR_INTERNAL');
    this.ctx.log.error({ err, client: this.clientIp, state: this.state }, 'internal error while handling a connection');
    this.disconnect('internal_error', {}, 'error:ERR_INTERNAL');
  }

  /** Counts an encoder failure; a value over its bound is logged without a stack and at most once a minute per field. */
  private encodingFailed(err: unknown): void {
    if (!(err instanceof EncodeError)) {
      this.reportError('ERR_INTERNAL');
      this.ctx.log.error({ err, client: this.clientIp, state: this.state }, 'internal error while encoding a packet');
      return;
    }
    this.reportError(err.code);
    const admitted = ENCODE_LOG.admit(err.what);
    if (admitted !== undefined) {
      this.ctx.log.warn({ code: err.code, limit: err.limit, value: err.value, suppressed: admitted.suppressed }, `a value does not fit its packet, the connection was closed: ${err.message}`);
    }
  }

  /** Every way of ending runs this once: no more frames, no deadlines, and the phase stops what it started. */
  private end(): void {
    this.currentState = 'closed';
    if (this.deadlineTimer !== undefined) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    this.phase.leave?.();
  }

  private readonly dataListener = (chunk: Buffer): void => this.onData(chunk);
  private readonly errorListener = (): void => {
    // ECONNRESET and friends: the peer went away. 'close' follows and does the accounting.
    if (this.currentState !== 'closed') this.outcome = 'client_reset';
  };
  private readonly closeListener = (): void => this.onSocketClosed();

  private onSocketClosed(): void {
    // A closed socket stays reachable for a while after 'close' (Node's, not ours: the bare bench
    // server shows it too), and through its listeners it kept this connection, its phases and their
    // buffers alive with it: the young generation promoted them instead of freeing them (a login's
    // promoted bytes per scavenge 927 → 264 KB, docs/BENCHMARKS.md "What a scavenge kept"). The
    // error listener is swapped for one that holds nothing, so a late 'error' still has a listener.
    this.socket.off('data', this.dataListener);
    this.socket.off('close', this.closeListener);
    this.socket.off('error', this.errorListener);
    this.socket.on('error', ignoreSocketError);
    if (this.currentState !== 'closed') this.end();
    // The linger timer would otherwise keep this Connection (and its socket) alive for seconds after
    // the peer is gone: thousands of them at a few thousand transfers a second.
    if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer);
    this.settle();
    if (this.closedPublished) return;
    this.closedPublished = true;
    publish(events.connectionClosed, this.ctx.source, {
      connectionId: this.id,
      intent: this.intent,
      outcome: this.outcome.split(':')[0],
      durationSeconds: (performance.now() - this.openedAt) / 1000,
    });
    this.onClosed?.();
  }

  /** Set by the Router to forget the connection. */
  onClosed: (() => void) | undefined;
  /** Cuts off a peer that does not close after we ended (or after Transfer). */
  private lingerTimer: NodeJS.Timeout | undefined;
  /** Set by the Router to release the connection's pending-connection slots. */
  onSettled: (() => void) | undefined;
}

export interface ConnectionOptions {
  /** performance.now() at accept; defaults to construction time. */
  readonly acceptedAt?: number;
  /** PROXY protocol is on and the peer is not trusted: a PROXY header from it closes the connection. */
  readonly refuseProxyHeader?: boolean;
}
