// What the passthrough relay reads and writes of the protocol itself. It must work for every version
// from 1.7 on, so it only touches what has not changed since then: the frame, the handshake, the first
// field of Login Start, and the status exchange.
import { ProtocolError } from './errors.ts';
import { MAX_STRING_CHARS, MAX_USERNAME_CHARS } from './limits.ts';
import { PacketReader } from './reader.ts';
import { encodeVarInt } from './varint.ts';
import { PacketWriter } from './writer.ts';

/**
 * The player name from a Login Start of any version. The name has been the first field since 1.7;
 * what follows it (UUID, 1.19 signature data) differs by version and is left to the backend.
 */
export function readLoginStartName(body: Buffer): string {
  const r = new PacketReader(body);
  const id = r.varInt();
  if (id !== 0x00) throw new ProtocolError('ERR_UNEXPECTED_PACKET', `login: packet id 0x${id.toString(16)} before Login Start`);
  const name = r.string(MAX_USERNAME_CHARS, 'player name');
  // Offline-mode backends accept more than [A-Za-z0-9_]; names reach logs, so no control characters.
  if (name.length === 0 || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new ProtocolError('ERR_BAD_VALUE', `login start: player name ${JSON.stringify(name)} is empty or has control characters`);
  }
  return name;
}

/** Puts a frame's length back in front of a body the framer took apart (for replaying it). */
export function frameBody(body: Buffer): Buffer {
  return Buffer.concat([encodeVarInt(body.length), body]);
}

/** Status Request, as a client sends it after a handshake with intent 1. */
export function encodeStatusRequest(): Buffer {
  return new PacketWriter().packet(0x00);
}

/** Status Response (0x00) from a server: its JSON text, unparsed. */
export function decodeStatusResponse(body: Buffer): string {
  const r = new PacketReader(body);
  const id = r.varInt();
  if (id !== 0x00) throw new ProtocolError('ERR_UNEXPECTED_PACKET', `status: packet id 0x${id.toString(16)}, expected the status response`);
  const json = r.string(MAX_STRING_CHARS, 'status response');
  r.end('status response');
  return json;
}
