// A big table's routes are validated, written as bytes and indexed in a worker thread
// (assemble-worker.ts): at 100,000 routes that is seconds of CPU and ~100 MB of short-lived objects,
// which on the event loop, even in slices, meant stalls of 10-20 ms (a slice with a scavenge in it).
// The chunks and the held segments go to the thread as SharedArrayBuffers (no copy); the segments
// come back the same way and the route index's arrays are transferred, so receiving the table costs
// the loop a structured clone of some hundred small objects.

import { siblingModule } from '../../module-url.ts';
import { TableChunkError, TableError, TableValidationError, type ChunkCheck, type TableErrorCode, type TableProblem } from '../../table/errors.ts';
import type { ChunkRef } from '../../table/manifest.ts';
import type { TableParts } from '../build-active.ts';
import { receivedSegment, type RouteSegment } from '../compact-routes.ts';
import { fromWire, type WireParts } from '../parts-wire.ts';
import type { HeldChunks } from './chunked.ts';
import { runTableThread, TableThreadError } from './off-thread.ts';

const ASSEMBLE_WORKER = siblingModule(import.meta.url, 'assemble-worker');

/**
 * The old generation a table build thread may grow to. Its heap does not grow with the table (routes go
 * to segments and key tables outside it; one chunk's documents are parsed at a time): about 22 MB in use
 * at 100,000 routes (`--trace-gc`). A thread that needs more stops with ERR_WORKER_OUT_OF_MEMORY, a
 * failed poll (passage_table_poll_failures_total), never the router's heap.
 */
export const BUILD_THREAD_HEAP_MB = 256;

export interface AssembleRequest {
  readonly refs: readonly ChunkRef[];
  /** The bytes of the chunks not held, by hash. */
  readonly chunks: ReadonlyMap<string, Uint8Array>;
  /** The held segments `refs` name, by hash (their favicons blanked: the thread needs only ids and hosts). */
  readonly held: ReadonlyMap<string, RouteSegment>;
}

/** A refusal, as data: a TableError does not survive postMessage as one. */
export type AssembleRefusal =
  | { readonly type: 'invalid'; readonly problems: readonly TableProblem[] }
  | { readonly type: 'chunk'; readonly sha256: string; readonly detail: string; readonly check: ChunkCheck }
  | { readonly type: 'table'; readonly code: TableErrorCode; readonly message: string };

export type AssembleReply =
  /** refs[i]'s segment, or null where it is the held one (not sent back). */
  | { readonly kind: 'built'; readonly parts: WireParts<RouteSegment | null> }
  | { readonly kind: 'refused'; readonly refusal: AssembleRefusal }
  | { readonly kind: 'failed'; readonly message: string };

/** Builds the parts of a table in a new worker thread; throws the TableError a build on the loop would. */
export async function assembleOffThread(refs: readonly ChunkRef[], held: HeldChunks, chunks: ReadonlyMap<string, Uint8Array>, signal?: AbortSignal, heapMb = BUILD_THREAD_HEAP_MB): Promise<TableParts> {
  const named = new Map<string, RouteSegment>();
  const sent = new Map<string, RouteSegment>();
  for (const ref of refs) {
    const segment = held.get(ref.sha256);
    if (segment === undefined) continue;
    named.set(ref.sha256, segment);
    // Without its favicons (tens of KiB each, one per segment, copied by postMessage on this loop): the
    // thread reads a held route only for its id and hosts, and sends the held segments back as null.
    sent.set(ref.sha256, { ...segment, favicons: segment.favicons.map(() => '') });
  }
  const request: AssembleRequest = { refs, chunks, held: sent };
  const reply = await runTableThread<AssembleReply>(ASSEMBLE_WORKER, request, 'table assembly worker', { signal, heapMb });
  return partsOf(reply, refs, named);
}

function partsOf(reply: AssembleReply, refs: readonly ChunkRef[], held: ReadonlyMap<string, RouteSegment>): TableParts {
  if (reply.kind === 'refused') throw refusalError(reply.refusal);
  if (reply.kind === 'failed') throw new TableThreadError(`table assembly worker failed: ${reply.message}`);
  if (reply.parts.segments.length !== refs.length) throw new RangeError(`table assembly worker built ${reply.parts.segments.length} segments for ${refs.length} chunks`);
  return fromWire(reply.parts, (segment, i) => (segment === null ? held.get(refs[i]!.sha256) : receivedSegment(segment)));
}

function refusalError(refusal: AssembleRefusal): TableError {
  switch (refusal.type) {
    case 'invalid':
      return new TableValidationError(refusal.problems);
    case 'chunk':
      return new TableChunkError(refusal.sha256, refusal.detail, { check: refusal.check });
    case 'table':
      return new TableError(refusal.code, refusal.message);
  }
}

/** The refusal a TableError is, as data. */
export function refusalOf(err: TableError): AssembleRefusal {
  if (err instanceof TableValidationError) return { type: 'invalid', problems: err.problems.map(({ path, message }) => ({ path, message })) };
  if (err instanceof TableChunkError) return { type: 'chunk', sha256: err.sha256, detail: err.detail, check: err.check };
  return { type: 'table', code: err.code, message: err.message };
}
