import { ProtocolError } from './errors.ts';
import { MAX_FRAME_BYTES } from './limits.ts';
import { readVarInt } from './varint.ts';

/**
 * Splits a byte stream into frames (`VarInt length` + body). The announced length is checked
 * against `maxFrame` before anything is buffered for it, and bytes are only kept while a frame is
 * incomplete, so memory per connection is bounded by the limit of the current state, never by what
 * the peer claims.
 */
export class FrameDecoder {
  maxFrame: number;
  private pending: Buffer | undefined;

  constructor(maxFrame = MAX_FRAME_BYTES) {
    this.maxFrame = maxFrame;
  }

  get buffered(): number {
    return this.pending?.length ?? 0;
  }

  /** Feeds bytes; calls `onFrame` for each complete frame body (id + fields), in order. */
  push(chunk: Buffer, onFrame: (body: Buffer) => boolean | void): void {
    const buf = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = undefined;
    let offset = 0;
    while (offset < buf.length) {
      // Three length bytes that all continue already announce more than 2^21: no need to wait.
      if (buf.length - offset >= 3 && (buf[offset] & buf[offset + 1] & buf[offset + 2] & 0x80) !== 0) {
        throw new ProtocolError('ERR_FRAME_TOO_LARGE', 'frame length VarInt longer than 3 bytes');
      }
      const len = readVarInt(buf, offset);
      if (len === undefined) break;
      if (len.size > 3) {
        throw new ProtocolError('ERR_FRAME_TOO_LARGE', `frame length VarInt of ${len.size} bytes, limit 3`);
      }
      if (len.value <= 0) {
        throw new ProtocolError('ERR_FRAME_EMPTY', `frame length ${len.value}`);
      }
      if (len.value > this.maxFrame) {
        throw new ProtocolError('ERR_FRAME_TOO_LARGE', `frame of ${len.value} bytes, limit ${this.maxFrame}`);
      }
      const end = offset + len.size + len.value;
      if (end > buf.length) break;
      const body = buf.subarray(offset + len.size, end);
      offset = end;
      // The handler may ask to stop (state change that needs the rest untouched, e.g. encryption).
      if (onFrame(body) === false) break;
    }
    if (offset < buf.length) {
      // Copy so a small remainder does not pin a large socket chunk.
      this.pending = Buffer.from(buf.subarray(offset));
    }
  }

  /** Removes and returns the bytes not yet framed (e.g. to decrypt them after encryption starts). */
  takePending(): Buffer | undefined {
    const p = this.pending;
    this.pending = undefined;
    return p;
  }
}
