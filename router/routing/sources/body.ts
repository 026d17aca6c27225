// A table's bytes read piece by piece, never copied or hashed whole in one step: a 100,000-route single
// envelope is 42 MB, and Buffer.concat, SHA-256 and a structured clone of it were 29-38, 24 and 22-25 ms
// of one turn of the event loop (a 96 ms stall, docs/BENCHMARKS.md). The buffer is allocated once at its
// known size (on a SharedArrayBuffer from SHARED_BODY_MIN_BYTES, so the verify thread reads it without a
// copy), each piece is copied in and hashed as it arrives.
import { createHash, type Hash } from 'node:crypto';

/** Bodies this big or bigger are kept on a SharedArrayBuffer (handed to a worker thread as they are). */
export const SHARED_BODY_MIN_BYTES = 1024 * 1024;

/** Collects a body of `expected` bytes (or an unknown size) piece by piece, hashing as it goes. */
export class BodyCollector {
  private readonly hash: Hash = createHash('sha256');
  private buffer: Buffer | undefined;
  private readonly parts: Uint8Array[] = [];
  private size = 0;

  /** `expected`: the declared size, when there is one (Content-Length, the file's size). */
  constructor(expected?: number) {
    if (expected !== undefined && Number.isSafeInteger(expected) && expected >= 0) this.buffer = allocBody(expected);
  }

  get length(): number {
    return this.size;
  }

  add(piece: Uint8Array): void {
    this.hash.update(piece);
    const at = this.size;
    this.size += piece.byteLength;
    if (this.buffer !== undefined && this.size <= this.buffer.length) {
      this.buffer.set(piece, at);
      return;
    }
    // More than declared: keep what came, the rest as pieces (joined once at the end).
    if (this.buffer !== undefined) {
      this.parts.push(this.buffer.subarray(0, at));
      this.buffer = undefined;
    }
    this.parts.push(piece);
  }

  /** The bytes and their SHA-256 (hex). */
  finish(): { readonly bytes: Buffer; readonly digest: string } {
    const bytes = this.buffer !== undefined ? this.buffer.subarray(0, this.size) : Buffer.concat(this.parts, this.size);
    return { bytes, digest: this.hash.digest('hex') };
  }
}

function allocBody(size: number): Buffer {
  return size >= SHARED_BODY_MIN_BYTES ? Buffer.from(new SharedArrayBuffer(size)) : Buffer.allocUnsafe(size);
}

/** The bytes on a SharedArrayBuffer, for a worker thread to read without a copy: as they are when they already are, else copied there. */
export function onSharedMemory(bytes: Buffer): Buffer {
  if (bytes.buffer instanceof SharedArrayBuffer) return bytes;
  const copy = Buffer.from(new SharedArrayBuffer(bytes.length));
  bytes.copy(copy);
  return copy;
}
