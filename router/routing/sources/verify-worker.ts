// Worker thread: verifies one big envelope off the router's event loop. A single-envelope table (signature,
// canonical JSON, the whole schema: verifyEnvelope, the same checks as on the loop), then splits the
// verified document into chunks the loop can apply in slices; a chunked table's manifest gets
// verifyManifestEnvelope. See off-thread.ts.

import { parentPort, workerData } from 'node:worker_threads';
import { createHash } from 'node:crypto';
import { verifyEnvelope } from '../../table/envelope.ts';
import { TableError } from '../../table/errors.ts';
import { envelopePayloadType, splitTableDocument, TABLE_MANIFEST_PAYLOAD_TYPE, verifyManifestEnvelope } from '../../table/manifest.ts';
import type { OffThreadReply, OffThreadRequest } from './off-thread.ts';

const request = workerData as OffThreadRequest;
let reply: OffThreadReply;
try {
  if (envelopePayloadType(request.bytes) === TABLE_MANIFEST_PAYLOAD_TYPE) {
    // A big chunked table's manifest: the chunks are the loop's to read.
    const verified = verifyManifestEnvelope(request.bytes, request.trustedKeys, request.opts);
    reply = {
      kind: 'verified',
      format: 'chunked',
      manifest: verified.manifest,
      chunkBytes: [],
      payloadDigest: createHash('sha256').update(verified.payloadBytes).digest('hex'),
      keyid: verified.keyid,
    };
  } else {
    const verified = verifyEnvelope(request.bytes, request.trustedKeys, request.opts);
    const { manifest, chunks } = splitTableDocument(verified.document);
    const chunkBytes = chunks.map((chunk) => {
      // On a SharedArrayBuffer: the loop hands it on to the thread that builds the table (assemble-off-thread.ts) without a copy.
      const copy = new Uint8Array(new SharedArrayBuffer(chunk.bytes.length));
      copy.set(chunk.bytes);
      return copy;
    });
    reply = {
      kind: 'verified',
      format: 'envelope',
      manifest,
      chunkBytes,
      payloadDigest: createHash('sha256').update(verified.payloadBytes).digest('hex'),
      keyid: verified.keyid,
    };
  }
} catch (err) {
  reply = err instanceof TableError ? { kind: 'refused', code: err.code, message: err.message } : { kind: 'failed', message: (err as Error).stack ?? String(err) };
}
parentPort!.postMessage(reply);
