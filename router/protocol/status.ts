import { EncodeError, ProtocolError } from './errors.ts';
import { MAX_STATUS_JSON_CHARS } from './limits.ts';
import { PacketReader } from './reader.ts';
import { framePacket, PacketWriter } from './writer.ts';

/** A ping's payload is a Long the server only echoes: kept as its 8 bytes (a view of the frame). */
export type StatusPacket = { readonly kind: 'request' } | { readonly kind: 'ping'; readonly payload: Buffer };

export function decodeStatusPacket(body: Buffer): StatusPacket {
  const r = new PacketReader(body);
  const id = r.varInt();
  if (id === 0x00) {
    r.end('status request');
    return { kind: 'request' };
  }
  if (id === 0x01) {
    const payload = r.fixed(8, 'Long');
    r.end('ping');
    return { kind: 'ping', payload };
  }
  throw new ProtocolError('ERR_UNKNOWN_PACKET', `status: unknown packet id 0x${id.toString(16)}`);
}

export interface StatusResponse {
  version: { name: string; protocol: number };
  players: { max: number; online: number; sample?: { name: string; id: string }[] };
  description: unknown;
  favicon?: string;
  enforcesSecureChat?: boolean;
}

export function encodeStatusResponse(json: string): Buffer {
  return new PacketWriter().string(json, MAX_STATUS_JSON_CHARS, 'status JSON').packet(0x00);
}

/** Pong: the ping's 8 payload bytes, echoed. */
export function encodePong(payload: Buffer): Buffer {
  if (payload.length !== 8) throw new EncodeError('pong payload', payload.length, 8, 'bytes');
  return framePacket(0x01, [payload], payload.length);
}
