import { ProtocolError } from './errors.ts';
import { MAX_VARINT_BYTES, MAX_VARLONG_BYTES } from './limits.ts';

/** Result of reading a VarInt from a buffer that may not hold all of it yet. */
export interface VarIntRead {
  readonly value: number;
  readonly size: number;
}

/**
 * Reads a VarInt at `offset`. Returns `undefined` when the buffer ends before the VarInt does,
 * so a framer can wait for more bytes; throws when the VarInt runs past 5 bytes.
 */
export function readVarInt(buf: Uint8Array, offset = 0): VarIntRead | undefined {
  let value = 0;
  for (let i = 0; i < MAX_VARINT_BYTES; i++) {
    if (offset + i >= buf.length) return undefined;
    const byte = buf[offset + i];
    value |= (byte & 0x7f) << (7 * i);
    if ((byte & 0x80) === 0) return { value: value | 0, size: i + 1 };
  }
  throw new ProtocolError('ERR_VARINT_TOO_LONG', `VarInt longer than ${MAX_VARINT_BYTES} bytes`);
}

export function varIntSize(value: number): number {
  let v = value >>> 0;
  let size = 1;
  while (v >= 0x80) {
    v >>>= 7;
    size++;
  }
  return size;
}

/** Writes `value` (a signed 32-bit integer) at `offset`; returns the offset after it. */
export function writeVarIntInto(buf: Uint8Array, value: number, offset: number): number {
  let v = value >>> 0;
  while (v >= 0x80) {
    buf[offset++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[offset++] = v;
  return offset;
}

export function encodeVarInt(value: number): Buffer {
  const out = Buffer.allocUnsafe(varIntSize(value));
  writeVarIntInto(out, value, 0);
  return out;
}

export function readVarLong(buf: Uint8Array, offset = 0): { value: bigint; size: number } | undefined {
  let value = 0n;
  for (let i = 0; i < MAX_VARLONG_BYTES; i++) {
    if (offset + i >= buf.length) return undefined;
    const byte = buf[offset + i];
    value |= BigInt(byte & 0x7f) << BigInt(7 * i);
    if ((byte & 0x80) === 0) return { value: BigInt.asIntN(64, value), size: i + 1 };
  }
  throw new ProtocolError('ERR_VARINT_TOO_LONG', `VarLong longer than ${MAX_VARLONG_BYTES} bytes`);
}

export function encodeVarLong(value: bigint): Buffer {
  let v = BigInt.asUintN(64, value);
  const bytes: number[] = [];
  while (v >= 0x80n) {
    bytes.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  bytes.push(Number(v));
  return Buffer.from(bytes);
}
