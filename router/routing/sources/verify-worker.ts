// Worker thread: verifies one big single-envelope table off the router's event loop (signature,
// canonical JSON, the whole schema: verifyEnvelope, the same checks as on the loop), then splits the
// verified document into chunks the loop can apply in slices. See off-thread.ts.

import { parentPort, workerData } from 'node:worker_threads';
import { createHash } from 'node:crypto';
import { verifyEnvelope } from '../../table/envelope.ts';
import { TableError } from '../../table/errors.ts';
import { splitTableDocument } from '../../table/manifest.ts';
import type { OffThreadReply, OffThreadRequest } from './off-thread.ts';

const request = workerData as OffThreadRequest;
let reply: OffThreadReply;
const transfer: ArrayBuffer[] = [];
try {
  const verified = verifyEnvelope(request.bytes, request.trustedKeys, request.opts);
  const { manifest, chunks } = splitTableDocument(verified.document);
  const chunkBytes = chunks.map((chunk) => {
    // A fresh ArrayBuffer per chunk: small Buffers share a pool, which must not be transferred.
    const copy = new Uint8Array(new ArrayBuffer(chunk.bytes.length));
    copy.set(chunk.bytes);
    transfer.push(copy.buffer);
    return copy;
  });
  reply = {
    kind: 'verified',
    manifest,
    chunkBytes,
    payloadDigest: createHash('sha256').update(verified.payloadBytes).digest('hex'),
    keyid: verified.keyid,
  };
} catch (err) {
  reply = err instanceof TableError ? { kind: 'refused', code: err.code, message: err.message } : { kind: 'failed', message: (err as Error).stack ?? String(err) };
}
parentPort!.postMessage(reply, transfer);
