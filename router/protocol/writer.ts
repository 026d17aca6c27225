import { EncodeError } from './errors.ts';
import { MAX_FRAME_BYTES, MAX_STRING_CHARS } from './limits.ts';
import { encodeVarInt, encodeVarLong, varIntSize, writeVarIntInto } from './varint.ts';

/** Builds one packet body field by field, then frames it with its id and length. */
export class PacketWriter {
  private readonly parts: Buffer[] = [];
  private size = 0;

  private push(b: Buffer): this {
    this.parts.push(b);
    this.size += b.length;
    return this;
  }

  varInt(v: number): this {
    return this.push(encodeVarInt(v));
  }

  varLong(v: bigint): this {
    return this.push(encodeVarLong(v));
  }

  bool(v: boolean): this {
    return this.push(Buffer.from([v ? 1 : 0]));
  }

  byte(v: number): this {
    const b = Buffer.allocUnsafe(1);
    b.writeInt8(v);
    return this.push(b);
  }

  ushort(v: number): this {
    const b = Buffer.allocUnsafe(2);
    b.writeUInt16BE(v);
    return this.push(b);
  }

  int(v: number): this {
    const b = Buffer.allocUnsafe(4);
    b.writeInt32BE(v);
    return this.push(b);
  }

  long(v: bigint): this {
    const b = Buffer.allocUnsafe(8);
    b.writeBigInt64BE(BigInt.asIntN(64, v));
    return this.push(b);
  }

  /** A String(n): at most `maxChars` UTF-16 code units (and so at most 3 × `maxChars` UTF-8 bytes). */
  string(s: string, maxChars: number = MAX_STRING_CHARS, what = 'String'): this {
    if (s.length > maxChars) throw new EncodeError(what, s.length, maxChars);
    const bytes = Buffer.from(s, 'utf8');
    this.varInt(bytes.length);
    return this.push(bytes);
  }

  /** A UUID as 16 bytes, from 32 hex digits, dashed (8-4-4-4-12) or not; anything else is refused. */
  uuid(uuid: string): this {
    return this.push(uuidBytes(uuid));
  }

  byteArray(b: Uint8Array): this {
    this.varInt(b.length);
    return this.push(Buffer.from(b.buffer, b.byteOffset, b.length));
  }

  raw(b: Uint8Array): this {
    return this.push(Buffer.from(b.buffer, b.byteOffset, b.length));
  }

  /** The framed packet: VarInt length, VarInt id, body. */
  packet(id: number): Buffer {
    return framePacket(id, this.parts, this.size);
  }
}

export function framePacket(id: number, parts: readonly Buffer[], bodySize: number): Buffer {
  const length = varIntSize(id) + bodySize;
  if (length > MAX_FRAME_BYTES) {
    throw new EncodeError(`packet 0x${id.toString(16)}`, length, MAX_FRAME_BYTES, 'bytes');
  }
  const out = Buffer.allocUnsafe(varIntSize(length) + length);
  let o = writeVarIntInto(out, length, 0);
  o = writeVarIntInto(out, id, o);
  for (const p of parts) {
    p.copy(out, o);
    o += p.length;
  }
  return out;
}

function hexDigit(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  const lower = code | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}

/** The 16 bytes of a UUID string (32 hex digits, or 36 with dashes at 8, 13, 18 and 23). */
export function uuidBytes(uuid: string): Buffer {
  const dashed = uuid.length === 36;
  if (!dashed && uuid.length !== 32) throw new EncodeError('UUID', uuid.length, 36);
  const out = Buffer.allocUnsafe(16);
  let at = 0;
  for (let i = 0; i < 16; i++) {
    if (dashed && (at === 8 || at === 13 || at === 18 || at === 23)) {
      if (uuid.charCodeAt(at) !== 45) throw new EncodeError('UUID (no dash where one belongs)', at, 36);
      at++;
    }
    const hi = hexDigit(uuid.charCodeAt(at));
    const lo = hexDigit(uuid.charCodeAt(at + 1));
    if (hi < 0 || lo < 0) throw new EncodeError('UUID (not hex)', at, 36);
    out[i] = (hi << 4) | lo;
    at += 2;
  }
  return out;
}
