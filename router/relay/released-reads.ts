// Client → backend, where Node offers no read buffer of our own: an accepted socket (a `net.Server`
// connection) reads every chunk into a fresh 64 KiB buffer, and `onread` exists only for sockets Node
// connects. What the relay can still do is give each of those buffers back as soon as the backend has
// taken its bytes. Left to the garbage collector, their memory counts as V8 "external memory" until a
// collection finds them: ~16,000 buffers per GB relayed, and V8's external-memory limit then forces a
// full mark-compact of the router's whole heap about every 40 MB.
// Detaching the buffer (`ArrayBuffer.prototype.transfer`, standard JavaScript) frees it at once and
// lowers V8's count with it, so no collection is forced.

/**
 * Frees the memory behind `chunk`, a buffer a socket read handed to a 'data' listener, once nothing
 * needs its bytes any more (the write of it has completed). Only a buffer that spans its whole
 * ArrayBuffer is freed: a view into a shared one (Node's `Buffer` pool, a slice of a larger buffer)
 * may have neighbours still in use. Afterwards `chunk` is empty. Returns whether it was freed.
 */
export function releaseRead(chunk: Buffer): boolean {
  const memory = chunk.buffer;
  if (chunk.byteOffset !== 0 || chunk.byteLength !== memory.byteLength || !(memory instanceof ArrayBuffer) || memory.detached) return false;
  try {
    memory.transfer(0);
    return true;
  } catch {
    // Not detachable (an ArrayBuffer with a detach key): the collector frees it as before.
    return false;
  }
}
