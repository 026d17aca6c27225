import { ProtocolError } from './errors.ts';
import { readVarInt, readVarLong } from './varint.ts';

/**
 * Reads the fields of one packet body. Every read checks the bytes left first, and every
 * variable-length field checks its announced length against a limit before slicing.
 */
export class PacketReader {
  readonly buf: Buffer;
  offset: number;

  constructor(buf: Buffer, offset = 0) {
    this.buf = buf;
    this.offset = offset;
  }

  get remaining(): number {
    return this.buf.length - this.offset;
  }

  private need(n: number, what: string): void {
    if (this.remaining < n) {
      throw new ProtocolError('ERR_TRUNCATED', `${what}: need ${n} bytes, ${this.remaining} left`);
    }
  }

  varInt(): number {
    const r = readVarInt(this.buf, this.offset);
    if (r === undefined) throw new ProtocolError('ERR_TRUNCATED', 'VarInt: packet ends inside it');
    this.offset += r.size;
    return r.value;
  }

  varLong(): bigint {
    const r = readVarLong(this.buf, this.offset);
    if (r === undefined) throw new ProtocolError('ERR_TRUNCATED', 'VarLong: packet ends inside it');
    this.offset += r.size;
    return r.value;
  }

  bool(): boolean {
    this.need(1, 'Boolean');
    const b = this.buf[this.offset++];
    if (b > 1) throw new ProtocolError('ERR_BAD_VALUE', `Boolean: byte ${b} is neither 0 nor 1`);
    return b === 1;
  }

  byte(): number {
    this.need(1, 'Byte');
    return this.buf.readInt8(this.offset++);
  }

  ubyte(): number {
    this.need(1, 'UnsignedByte');
    return this.buf[this.offset++];
  }

  ushort(): number {
    this.need(2, 'UnsignedShort');
    const v = this.buf.readUInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  int(): number {
    this.need(4, 'Int');
    const v = this.buf.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  /** `n` bytes as they are (a view of the packet, not a copy). */
  fixed(n: number, what: string): Buffer {
    this.need(n, what);
    const v = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }

  long(): bigint {
    this.need(8, 'Long');
    const v = this.buf.readBigInt64BE(this.offset);
    this.offset += 8;
    return v;
  }

  /** A UTF-8 string of at most `maxChars` UTF-16 code units (the protocol's String(n)). */
  string(maxChars: number, what = 'String'): string {
    const bytes = this.varInt();
    // A char of String(n) takes at most 3 UTF-8 bytes, so more bytes than that is already too long.
    if (bytes < 0 || bytes > maxChars * 3) {
      throw new ProtocolError('ERR_STRING_TOO_LONG', `${what}: ${bytes} bytes announced, limit ${maxChars * 3}`);
    }
    this.need(bytes, what);
    const s = this.buf.toString('utf8', this.offset, this.offset + bytes);
    this.offset += bytes;
    if (s.length > maxChars) {
      throw new ProtocolError('ERR_STRING_TOO_LONG', `${what}: ${s.length} chars, limit ${maxChars}`);
    }
    return s;
  }

  uuid(): string {
    this.need(16, 'UUID');
    const hex = this.buf.toString('hex', this.offset, this.offset + 16);
    this.offset += 16;
    return formatUuid(hex);
  }

  /** A VarInt-prefixed byte array of at most `maxBytes`. */
  byteArray(maxBytes: number, what = 'ByteArray'): Buffer {
    const len = this.varInt();
    if (len < 0 || len > maxBytes) {
      throw new ProtocolError('ERR_BAD_LENGTH', `${what}: ${len} bytes announced, limit ${maxBytes}`);
    }
    this.need(len, what);
    const out = this.buf.subarray(this.offset, this.offset + len);
    this.offset += len;
    return out;
  }

  rest(): Buffer {
    const out = this.buf.subarray(this.offset);
    this.offset = this.buf.length;
    return out;
  }

  /** Packets must be consumed exactly; trailing bytes mean the peer speaks another format. */
  end(what: string): void {
    if (this.remaining !== 0) {
      throw new ProtocolError('ERR_TRAILING_BYTES', `${what}: ${this.remaining} unexpected trailing bytes`);
    }
  }
}

export function formatUuid(hex32: string): string {
  return `${hex32.slice(0, 8)}-${hex32.slice(8, 12)}-${hex32.slice(12, 16)}-${hex32.slice(16, 20)}-${hex32.slice(20)}`;
}
