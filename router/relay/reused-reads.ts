// Backend → client, the direction that carries chunks and entities in Minecraft, read into one buffer
// per session instead of a fresh buffer per read: a relay without this allocates (and the GC then
// collects) 64 KiB of external memory per read, about 16,000 buffers per GB relayed.

/**
 * Bytes one backend read can return. The buffer lives as long as its session: a relay holds this
 * much per session whether or not bytes flow (1,000 relayed players: 64 MiB), which is what the
 * per-read allocation it replaces would reach at full speed anyway.
 */
export const RELAY_READ_BUFFER_BYTES = 64 * 1024;

/**
 * Where a backend socket's bytes go: `net.connect({ onread: reads.onread })` reads into `buffer`
 * and calls `deliver` with a view of it. The view is only valid until the next read, so whoever
 * takes it must return false (pause reading) when it keeps a reference, and resume the socket once
 * the reference is gone (the relay: once the write to the client has left the buffer).
 * Bytes that arrive before a session takes over are copied and reading pauses (at most one read).
 */
export class ReusedReads {
  readonly buffer = Buffer.allocUnsafe(RELAY_READ_BUFFER_BYTES);
  /** Set by the session that relays these bytes. */
  deliver: ((chunk: Buffer) => boolean) | undefined;
  /** A copy of what was read before `deliver` was set. */
  early: Buffer | undefined;
  readonly onread = {
    buffer: this.buffer,
    callback: (nread: number, buf: Uint8Array): boolean => {
      const chunk = Buffer.from(buf.buffer, buf.byteOffset, nread);
      if (this.deliver !== undefined) return this.deliver(chunk);
      this.early = this.early === undefined ? Buffer.from(chunk) : Buffer.concat([this.early, chunk]);
      return false;
    },
  };
}
