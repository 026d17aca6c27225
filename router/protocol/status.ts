import { ProtocolError } from './errors.ts';
import { MAX_STATUS_JSON_CHARS } from './limits.ts';
import { PacketReader } from './reader.ts';
import { PacketWriter } from './writer.ts';

export type StatusPacket = { readonly kind: 'request' } | { readonly kind: 'ping'; readonly payload: bigint };

export function decodeStatusPacket(body: Buffer): StatusPacket {
  const r = new PacketReader(body);
  const id = r.varInt();
  if (id === 0x00) {
    r.end('status request');
    return { kind: 'request' };
  }
  if (id === 0x01) {
    const payload = r.long();
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

export function encodePong(payload: bigint): Buffer {
  return new PacketWriter().long(payload).packet(0x01);
}
