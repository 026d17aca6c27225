import type { Handshake } from '../protocol/handshake.ts';
import { encodeHandshake } from '../protocol/handshake.ts';
import type { DomainRewrite, Target } from '../table/types.ts';

/**
 * The handshake a backend receives. Without a rewrite it is the client's own; with one, the host
 * (and, for `from_backend`, the port) name the backend, while anything after a NUL in the client's
 * host (Forge's `\0FML\0` marker) is kept, because the backend needs it as much as the name.
 */
export function backendHandshake(hs: Handshake, rewrite: DomainRewrite | undefined, target: Target, intent: number = hs.intent): Buffer {
  if (rewrite === undefined || rewrite === 'none') {
    return encodeHandshake({ protocol: hs.protocol, host: hs.rawHost, port: hs.port, intent });
  }
  const nul = hs.rawHost.indexOf('\0');
  const suffix = nul === -1 ? '' : hs.rawHost.slice(nul);
  if (rewrite === 'from_backend') {
    return encodeHandshake({ protocol: hs.protocol, host: target.host + suffix, port: target.port, intent });
  }
  return encodeHandshake({ protocol: hs.protocol, host: rewrite.explicit + suffix, port: hs.port, intent });
}
