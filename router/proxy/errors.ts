// Every way a PROXY protocol header can be refused, each with a stable code that tests and metrics pin.
// Like ProtocolError these are routine (scanners, misconfigured balancers), so they carry no stack.

import { QuietError } from '../quiet-error.ts';

export type ProxyHeaderErrorCode =
  /** A trusted proxy's connection did not start with a PROXY header. */
  | 'ERR_PROXY_MISSING'
  /** The header is not well formed (bad separator, address, port, length). */
  | 'ERR_PROXY_MALFORMED'
  /** A v1 line longer than the spec's 107 bytes, or a v2 header longer than the cap. */
  | 'ERR_PROXY_TOO_LONG'
  /** Well formed but not something a TCP listener can use (v2 version ≠ 2, unknown command, UDP). */
  | 'ERR_PROXY_UNSUPPORTED'
  /** A PROXY header from a peer outside `trusted_proxies`: anyone could claim any address. */
  | 'ERR_PROXY_UNTRUSTED'
  /** The header did not arrive within `proxy_protocol.header_timeout`. */
  | 'ERR_PROXY_TIMEOUT';

export class ProxyHeaderError extends QuietError {
  readonly code: ProxyHeaderErrorCode;

  constructor(code: ProxyHeaderErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = 'ProxyHeaderError';
  }
}
