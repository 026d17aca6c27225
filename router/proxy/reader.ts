import type { Socket } from 'node:net';
import { ProxyHeaderError } from './errors.ts';
import { PROXY_V2_SIGNATURE, ProxyHeaderParser } from './header.ts';
import type { ProxyHeader } from './header.ts';

export type ProxyReadResult =
  | { readonly ok: true; readonly header: ProxyHeader; readonly rest: Buffer | undefined }
  | { readonly ok: false; readonly error: ProxyHeaderError }
  /** The peer hung up before sending a whole header (load-balancer health checks do this). */
  | { readonly ok: false; readonly closed: true };

/**
 * Reads a PROXY header off `socket` with its own deadline. Purely event-driven, so a slow or silent
 * proxy holds only its own socket, never the accept loop. `done` runs exactly once; on success the
 * socket's listeners are gone and `rest` holds the bytes after the header, to be fed on.
 */
export function readProxyHeader(socket: Socket, timeoutMs: number, done: (result: ProxyReadResult) => void): void {
  const parser = new ProxyHeaderParser();
  let finished = false;
  const finish = (result: ProxyReadResult): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    socket.off('data', onData);
    socket.off('error', onClosed);
    socket.off('close', onClosed);
    done(result);
  };
  const onData = (chunk: Buffer): void => {
    try {
      const step = parser.push(chunk);
      if (step.done) finish({ ok: true, header: step.header, rest: step.rest });
    } catch (err) {
      if (!(err instanceof ProxyHeaderError)) throw err;
      finish({ ok: false, error: err });
    }
  };
  const onClosed = (): void => finish({ ok: false, closed: true });
  const timer = setTimeout(
    () => finish({ ok: false, error: new ProxyHeaderError('ERR_PROXY_TIMEOUT', `no complete PROXY header within ${timeoutMs} ms`) }),
    timeoutMs,
  ).unref();
  socket.on('data', onData);
  socket.on('error', onClosed);
  socket.on('close', onClosed);
}

/** Whether the first bytes from an untrusted peer are a PROXY header (which must then be refused). */
export function looksLikeProxyHeader(chunk: Buffer): boolean {
  if (chunk.length >= 6 && chunk.toString('latin1', 0, 6) === 'PROXY ') return true;
  return chunk.length >= 12 && chunk.compare(PROXY_V2_SIGNATURE, 0, 12, 0, 12) === 0;
}
