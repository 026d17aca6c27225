import { ProtocolError } from './errors.ts';
import { MAX_FRAME_BYTES } from './limits.ts';
/** 2^21 (the largest frame) needs three VarInt bytes. */
const MAX_LENGTH_BYTES = 3;

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
      // The length VarInt read in place: a result object per frame is garbage on every exchange.
      let length = 0;
      let size = 0;
      let complete = false;
      while (offset + size < buf.length) {
        const byte = buf[offset + size]!;
        length |= (byte & 0x7f) << (7 * size);
        size++;
        if ((byte & 0x80) === 0) {
          complete = true;
          break;
        }
        if (size === MAX_LENGTH_BYTES) {
          throw new ProtocolError('ERR_FRAME_TOO_LARGE', `frame length VarInt of more than ${MAX_LENGTH_BYTES} bytes, limit ${MAX_LENGTH_BYTES}`);
        }
      }
      if (!complete) break;
      if (length <= 0) {
        throw new ProtocolError('ERR_FRAME_EMPTY', `frame length ${length}`);
      }
      if (length > this.maxFrame) {
        throw new ProtocolError('ERR_FRAME_TOO_LARGE', `frame of ${length} bytes, limit ${this.maxFrame}`);
      }
      const end = offset + size + length;
      if (end > buf.length) break;
      const body = buf.subarray(offset + size, end);
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
