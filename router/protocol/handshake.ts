import { ProtocolError } from './errors.ts';
import { MAX_HOST_CHARS } from './limits.ts';
import { PacketReader } from './reader.ts';
import { PacketWriter } from './writer.ts';

export const INTENT_STATUS = 1;
export const INTENT_LOGIN = 2;
export const INTENT_TRANSFER = 3;

export interface Handshake {
  readonly protocol: number;
  /** The address as the client sent it. */
  readonly rawHost: string;
  /** Lower-cased, without a Forge `\0FML…` suffix or a trailing dot: the key for route lookup. */
  readonly host: string;
  readonly port: number;
  readonly intent: 1 | 2 | 3;
}

/**
 * The Forge markers a modded client appends to the host: `\0FML\0` (1.7–1.12), `\0FML2\0` (1.13–1.17),
 * `\0FML3\0` (1.18–1.20.1), `\0FORGE` (1.20.2+). A digit suffix is allowed for later revisions.
 */
const FORGE_MARKER = /^\0(?:FML\d{0,2}\0|FORGE\d{0,2})$/;

/**
 * The Forge marker after the host's first NUL, exactly as sent, when it is one; anything else after a
 * NUL (a client-written BungeeCord `\0ip\0uuid\0properties`, say) is not a marker and gives undefined.
 */
export function forgeMarker(rawHost: string): string | undefined {
  const nul = rawHost.indexOf('\0');
  if (nul === -1) return undefined;
  const suffix = rawHost.slice(nul);
  return FORGE_MARKER.test(suffix) ? suffix : undefined;
}

/** The host as the client wrote it, without anything from its first NUL on (case and dot kept). */
export function hostBeforeNul(rawHost: string): string {
  const nul = rawHost.indexOf('\0');
  return nul === -1 ? rawHost : rawHost.slice(0, nul);
}

/** Host cleanup for route lookup: Forge appends `\0FML\0` (and proxies `\0ip\0uuid`); FQDNs may end in a dot. */
export function normalizeHost(raw: string): string {
  const nul = raw.indexOf('\0');
  let host = nul === -1 ? raw : raw.slice(0, nul);
  if (host.endsWith('.')) host = host.slice(0, -1);
  return host.toLowerCase();
}

export function decodeHandshake(body: Buffer): Handshake {
  const r = new PacketReader(body);
  const id = r.varInt();
  if (id !== 0x00) throw new ProtocolError('ERR_UNKNOWN_PACKET', `handshake: packet id 0x${id.toString(16)}, expected 0x00`);
  const protocol = r.varInt();
  // Forge clients append markers after the host, so the whole field may exceed 255 chars a little.
  const rawHost = r.string(MAX_HOST_CHARS + 32, 'handshake host');
  const port = r.ushort();
  const intent = r.varInt();
  r.end('handshake');
  if (intent !== 1 && intent !== 2 && intent !== 3) {
    throw new ProtocolError('ERR_BAD_VALUE', `handshake: intent ${intent}, expected 1, 2 or 3`);
  }
  const host = normalizeHost(rawHost);
  if (host.length > MAX_HOST_CHARS) {
    throw new ProtocolError('ERR_STRING_TOO_LONG', `handshake host: ${host.length} chars, limit ${MAX_HOST_CHARS}`);
  }
  return { protocol, rawHost, host, port, intent };
}

export function encodeHandshake(h: { protocol: number; host: string; port: number; intent: number }): Buffer {
  return new PacketWriter().varInt(h.protocol).string(h.host).ushort(h.port).varInt(h.intent).packet(0x00);
}
