// Worker thread: builds one table's parts (buildChunkedParts, the same code as on the loop, with a
// clock that never yields) and posts them back. See assemble-off-thread.ts.

import { parentPort, workerData } from 'node:worker_threads';
import { TableError } from '../../table/errors.ts';
import { receivedSegment, type RouteSegment } from '../compact-routes.ts';
import { toWire } from '../parts-wire.ts';
import { SliceClock } from '../slices.ts';
import { refusalOf, type AssembleReply, type AssembleRequest } from './assemble-off-thread.ts';
import { buildChunkedParts } from './chunked.ts';

const request = workerData as AssembleRequest;
const held = new Map<string, RouteSegment>([...request.held].map(([sha, segment]) => [sha, receivedSegment(segment)] as const));
let reply: AssembleReply;
let transfer: ArrayBuffer[] = [];
try {
  const parts = await buildChunkedParts(request.refs, held, request.chunks, new SliceClock(Number.POSITIVE_INFINITY));
  // Held segments are the loop's own: not sent back.
  const { wire, transfer: buffers } = toWire(parts, (segment, i) => (held.get(request.refs[i]!.sha256) === segment ? null : segment));
  transfer = buffers;
  reply = { kind: 'built', parts: wire };
} catch (err) {
  reply = err instanceof TableError ? { kind: 'refused', refusal: refusalOf(err) } : { kind: 'failed', message: (err as Error).stack ?? String(err) };
}
parentPort!.postMessage(reply, transfer);
