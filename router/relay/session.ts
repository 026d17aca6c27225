import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { releaseRead } from './released-reads.ts';
import type { ReusedReads } from './reused-reads.ts';

/** Why a relay session ended. */
export type RelayEndReason =
  | 'client_closed'
  | 'backend_closed'
  | 'client_error'
  | 'backend_error'
  | 'read_timeout'
  | 'write_timeout'
  | 'drain';

/** After one side has closed, the other gets this long to finish its writes before it is cut. */
export const RELAY_CLOSE_GRACE_MS = 5000;

export interface RelaySessionOptions {
  readonly client: Socket;
  readonly backend: Socket;
  readonly route: string;
  readonly target: string;
  readonly player: string;
  readonly clientIp: string;
  readonly readTimeoutMs: number;
  readonly writeTimeoutMs: number;
  /** The backend socket reads into this session's buffer (`net.connect({ onread })`); else it emits 'data'. */
  readonly backendReads?: ReusedReads;
  /** Called once, after both sockets have closed. */
  readonly onEnd: (session: RelaySession) => void;
}

/**
 * Copies bytes both ways between a client and a backend until both directions have ended. Each
 * direction has backpressure (a peer that does not read pauses the other side, and the write
 * timeout cuts it) and ends on its own (half-close: a FIN from one side is passed on while the
 * other keeps sending). The read timeout is checked by `tick`, which the owner calls for all
 * sessions at once, so the hot path costs one addition per chunk.
 */
export class RelaySession {
  readonly route: string;
  readonly target: string;
  readonly player: string;
  readonly clientIp: string;
  readonly startedAt = performance.now();
  bytesToBackend = 0;
  bytesToClient = 0;
  reason: RelayEndReason | undefined;
  /** Byte counts already reported (the owner reports the difference each tick). */
  reportedToBackend = 0;
  reportedToClient = 0;

  private readonly client: Socket;
  private readonly backend: Socket;
  private readonly readTimeoutMs: number;
  private readonly writeTimeoutMs: number;
  private readonly onEnd: (session: RelaySession) => void;
  private readonly backendReads: ReusedReads | undefined;
  private lastBackendBytes = 0;
  private lastBackendReadAt = performance.now();
  /** The backend is paused because the client is not reading: silence from it is not idleness. */
  private backendHeld = false;
  private openSockets = 2;
  private graceTimer: NodeJS.Timeout | undefined;
  private ended = false;

  constructor(opts: RelaySessionOptions) {
    this.client = opts.client;
    this.backend = opts.backend;
    this.route = opts.route;
    this.target = opts.target;
    this.player = opts.player;
    this.clientIp = opts.clientIp;
    this.readTimeoutMs = opts.readTimeoutMs;
    this.writeTimeoutMs = opts.writeTimeoutMs;
    this.onEnd = opts.onEnd;
    this.backendReads = opts.backendReads;
  }

  /** Sends `preamble` (PROXY header, handshake, bytes read so far; counted as sent) to the backend, then relays. */
  start(preamble: readonly Buffer[]): void {
    const { client, backend } = this;
    // The listener accepted the client with half-open off; the relay passes a FIN on instead of answering it.
    client.allowHalfOpen = true;
    client.setNoDelay(true);
    for (const b of preamble) {
      if (b.length === 0) continue;
      this.bytesToBackend += b.length;
      backend.write(b);
    }
    this.pump(client, backend, 'toBackend');
    if (this.backendReads === undefined) this.pump(backend, client, 'toClient');
    else this.pumpReused(this.backendReads);
    this.watchEnds(client, backend, 'client');
    this.watchEnds(backend, client, 'backend');
    if (client.destroyed) this.close('client_closed');
    else client.resume();
  }

  /**
   * One direction from 'data' events (client → backend: Node reads an accepted socket into a fresh
   * buffer per read). Each chunk's buffer is freed as soon as its write has completed (see
   * released-reads.ts): the write callbacks of one stream run once each, in order, so the oldest
   * chunk still queued is the one whose write just finished. After a failed write nothing more is
   * freed (the socket is going away; the collector takes the rest). The chunks are the relay's
   * alone: the connection removed its 'data' listener when it handed the socket over.
   */
  private pump(from: Socket, to: Socket, direction: 'toBackend' | 'toClient'): void {
    let writeTimer: NodeJS.Timeout | undefined;
    const writing: Buffer[] = [];
    let releasing = true;
    const written = (err?: Error | null): void => {
      if (err == null) {
        const chunk = writing.shift();
        if (chunk !== undefined) releaseRead(chunk);
        return;
      }
      releasing = false;
      writing.length = 0;
    };
    const onDrain = (): void => {
      if (writeTimer !== undefined) clearTimeout(writeTimer);
      writeTimer = undefined;
      if (direction === 'toClient') this.backendHeld = false;
      from.resume();
    };
    from.on('data', (chunk: Buffer) => {
      if (direction === 'toBackend') this.bytesToBackend += chunk.length;
      else this.bytesToClient += chunk.length;
      if (releasing) writing.push(chunk);
      if (to.write(chunk, written) || writeTimer !== undefined) return;
      from.pause();
      if (direction === 'toClient') this.backendHeld = true;
      writeTimer = setTimeout(() => this.close('write_timeout'), this.writeTimeoutMs);
      to.once('drain', onDrain);
    });
    from.once('close', () => {
      if (writeTimer !== undefined) clearTimeout(writeTimer);
    });
  }

  /**
   * Backend → client from the session's one read buffer. A write the kernel took at once has left the
   * buffer by the time `write` returns (nothing is left in `writableLength`), so the next read may
   * reuse it; otherwise the write still points into it, and reading stops until that write (and any
   * queued behind it) is done. That is also the backpressure: a client that does not read holds the
   * backend, under the write timeout.
   */
  private pumpReused(reads: ReusedReads): void {
    const { backend, client } = this;
    let writeTimer: NodeJS.Timeout | undefined;
    let held = false;
    const afterWrite = (): void => {
      if (!held || client.writableLength > 0) return;
      held = false;
      this.backendHeld = false;
      if (writeTimer !== undefined) clearTimeout(writeTimer);
      writeTimer = undefined;
      backend.resume();
    };
    const deliver = (chunk: Buffer): boolean => {
      this.bytesToClient += chunk.length;
      client.write(chunk, afterWrite);
      if (client.writableLength === 0) return true;
      held = true;
      this.backendHeld = true;
      writeTimer ??= setTimeout(() => this.close('write_timeout'), this.writeTimeoutMs);
      return false;
    };
    backend.once('close', () => {
      if (writeTimer !== undefined) clearTimeout(writeTimer);
    });
    reads.deliver = deliver;
    const early = reads.early;
    reads.early = undefined;
    // What came before the session is a copy: the buffer is free whatever happens to its write.
    if (early !== undefined) {
      this.bytesToClient += early.length;
      client.write(early);
    }
    // Flowing mode, so the backend's end of stream is emitted as 'end' (no 'data' listener does it here).
    if (!held) backend.resume();
  }

  private watchEnds(side: Socket, other: Socket, name: 'client' | 'backend'): void {
    side.once('end', () => {
      this.reason ??= name === 'client' ? 'client_closed' : 'backend_closed';
      // Half-close: what is still queued for `other` goes out, then it gets our FIN.
      other.end();
    });
    side.once('error', () => {
      this.reason ??= name === 'client' ? 'client_error' : 'backend_error';
    });
    side.on('error', () => {});
    side.once('close', () => {
      this.reason ??= name === 'client' ? 'client_closed' : 'backend_closed';
      this.openSockets--;
      if (this.openSockets === 0) {
        this.finish();
        return;
      }
      // `side` cannot take bytes any more; `other` may still be flushing what `side` sent last.
      if (!other.destroyed) {
        other.end();
        this.graceTimer = setTimeout(() => other.destroy(), RELAY_CLOSE_GRACE_MS).unref();
      }
    });
  }

  /**
   * Called by the owner about once a second: ends the session when the backend has sent nothing
   * for the read timeout (unless it is held back by a client that is not reading).
   */
  tick(now: number): void {
    if (this.ended) return;
    if (this.bytesToClient !== this.lastBackendBytes || this.backendHeld) {
      this.lastBackendBytes = this.bytesToClient;
      this.lastBackendReadAt = now;
      return;
    }
    if (now - this.lastBackendReadAt >= this.readTimeoutMs) this.close('read_timeout');
  }

  /** Cuts both sides now (timeouts, drain deadline). */
  close(reason: RelayEndReason): void {
    if (this.ended) return;
    // A cut is the real end even when one side had already half-closed.
    this.reason = reason;
    this.client.destroy();
    this.backend.destroy();
  }

  get durationSeconds(): number {
    return (performance.now() - this.startedAt) / 1000;
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.graceTimer !== undefined) clearTimeout(this.graceTimer);
    this.onEnd(this);
  }
}
