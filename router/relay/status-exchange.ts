import type { Socket } from 'node:net';
import { FrameDecoder } from '../protocol/framer.ts';
import { decodeStatusResponse, encodeStatusRequest } from '../protocol/relay.ts';
import type { Target } from '../table/types.ts';
import { connectFirst } from './connect.ts';
import { RelayError } from './errors.ts';
import { MAX_STATUS_RESPONSE_FRAME } from './limits.ts';

export interface StatusExchangeOptions {
  readonly targets: readonly Target[];
  readonly connectTimeoutMs: number;
  /** From the status request being sent until the response has arrived. */
  readonly responseTimeoutMs: number;
  /** What goes before the Status Request for the target used: PROXY header (optional) and handshake with intent 1. */
  readonly preamble: (target: Target) => readonly Buffer[];
}

/**
 * Asks a backend for its status the way a client does (handshake with intent 1, Status Request)
 * and returns the JSON text of its Status Response. Targets are tried in failover order; the
 * exchange ends after the response (no ping: the client's ping is answered by Passage).
 */
export async function fetchBackendStatus(opts: StatusExchangeOptions): Promise<string> {
  const { socket, target } = await connectFirst(opts.targets, opts.connectTimeoutMs);
  try {
    return await exchange(socket, [...opts.preamble(target), encodeStatusRequest()], opts.responseTimeoutMs, target);
  } finally {
    socket.destroy();
  }
}

function exchange(socket: Socket, request: readonly Buffer[], timeoutMs: number, target: Target): Promise<string> {
  return new Promise((resolve, reject) => {
    const decoder = new FrameDecoder(MAX_STATUS_RESPONSE_FRAME);
    let settled = false;
    const done = (err: Error | undefined, json?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.removeAllListeners('data');
      if (err !== undefined) reject(err);
      else resolve(json!);
    };
    const timer = setTimeout(
      () => done(new RelayError('ERR_RELAY_STATUS_TIMEOUT', `${target.address}: no status response within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.on('data', (chunk: Buffer) => {
      try {
        decoder.push(chunk, (body) => {
          const json = decodeStatusResponse(body);
          JSON.parse(json);
          done(undefined, json);
          return false;
        });
      } catch (err) {
        done(new RelayError('ERR_RELAY_STATUS_INVALID', `${target.address}: ${(err as Error).message}`));
      }
    });
    socket.once('error', (err: NodeJS.ErrnoException) =>
      done(new RelayError('ERR_RELAY_STATUS_INVALID', `${target.address}: ${err.code ?? err.message}`)),
    );
    socket.once('close', () => done(new RelayError('ERR_RELAY_STATUS_INVALID', `${target.address}: closed before the status response`)));
    for (const b of request) if (b.length > 0) socket.write(b);
  });
}
