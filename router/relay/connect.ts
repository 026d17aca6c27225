import { connect } from 'node:net';
import type { OnReadOpts, Socket } from 'node:net';
import type { Target } from '../table/types.ts';
import { RelayError } from './errors.ts';
import type { FailedAttempt } from './errors.ts';

export interface BackendConnection {
  readonly socket: Socket;
  readonly target: Target;
  /** Targets that failed before this one (for the log). */
  readonly failed: readonly FailedAttempt[];
}

/** Targets in failover order: lowest `priority` first, document order among equals. */
export function failoverOrder(targets: readonly Target[]): Target[] {
  return targets.map((t, i) => [t, i] as const).sort((a, b) => a[0].priority - b[0].priority || a[1] - b[1]).map(([t]) => t);
}

/**
 * One TCP connection with its own deadline; half-open allowed so each direction can end on its own.
 * With `onread` the socket reads into a caller's buffer and emits no 'data' (a relay's backend).
 */
export function connectTarget(target: Target, timeoutMs: number, onread?: OnReadOpts): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: target.host, port: target.port, allowHalfOpen: true, noDelay: true, ...(onread === undefined ? {} : { onread }) });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new RelayError('ERR_RELAY_CONNECT_TIMEOUT', `${target.address}: no connection within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      reject(new RelayError('ERR_RELAY_CONNECT_FAILED', `${target.address}: ${err.code ?? err.message}`));
    });
  });
}

/**
 * Tries the targets in failover order, each with `timeoutMs`, until one accepts. `cancelled` is
 * asked between attempts (the client may have left meanwhile); a connection made for a client that
 * is gone is closed again.
 */
export async function connectFirst(
  targets: readonly Target[],
  timeoutMs: number,
  cancelled: () => boolean = () => false,
  onread?: OnReadOpts,
): Promise<BackendConnection> {
  const failed: FailedAttempt[] = [];
  for (const target of failoverOrder(targets)) {
    if (cancelled()) break;
    try {
      const socket = await connectTarget(target, timeoutMs, onread);
      if (cancelled()) {
        socket.destroy();
        break;
      }
      return { socket, target, failed };
    } catch (err) {
      failed.push({ target: target.id, code: err instanceof RelayError ? err.code : 'ERR_RELAY_CONNECT_FAILED' });
    }
  }
  if (cancelled()) throw new RelayError('ERR_RELAY_CLIENT_GONE', 'the client left while a backend was being connected');
  const tried = failed.map((f) => `${f.target} (${f.code})`).join(', ');
  throw new RelayError('ERR_RELAY_NO_TARGET', targets.length === 0 ? 'the route has no targets' : `no target accepted: ${tried}`, failed);
}
