// A big local routes file is read in a worker thread (file-worker.ts): the TOML or JSON parse, the
// schema, the favicons beside it, and the build of its table as segments and key tables (as for a
// chunked table, assemble-off-thread.ts). The loop receives the parts and makes the routes with adapters.
// A signed envelope in a file is only recognised there, and verified by the poller as any envelope.

import { siblingModule } from '../../module-url.ts';
import type { ActiveTable, TableHeader } from '../active-table.ts';
import { activeTableFromParts } from '../build-active.ts';
import { TableFileError } from '../file-source.ts';
import { fromWire, type WireParts } from '../parts-wire.ts';
import { SliceClock } from '../slices.ts';
import { BUILD_THREAD_HEAP_MB } from './assemble-off-thread.ts';
import { onSharedMemory } from './body.ts';
import { runTableThread, TableThreadError } from './off-thread.ts';

const FILE_WORKER = siblingModule(import.meta.url, 'file-worker');

/** Files up to this size are read on the event loop: a few ms (a 1,000-route routes.toml is ~20 ms). */
export const FILE_INLINE_MAX_BYTES = 32 * 1024;

export type FileWorkerReply =
  | { readonly kind: 'envelope' }
  | { readonly kind: 'table'; readonly header: TableHeader; readonly parts: WireParts }
  | { readonly kind: 'invalid'; readonly message: string }
  | { readonly kind: 'failed'; readonly message: string };

/** Reads `bytes` (the file at `path`) off the loop; throws TableFileError for a broken file, TableThreadError if the thread fails. */
export async function loadFileOffThread(path: string, bytes: Buffer, signal?: AbortSignal): Promise<{ kind: 'envelope' } | { kind: 'table'; table: ActiveTable }> {
  // Read onto a SharedArrayBuffer already when big (body.ts); else copied there (a few hundred KiB at most).
  const workerData = { path, bytes: onSharedMemory(bytes) };
  const reply = await runTableThread<FileWorkerReply>(FILE_WORKER, workerData, 'table file worker', { signal, heapMb: FILE_THREAD_HEAP_MB });
  switch (reply.kind) {
    case 'envelope':
      return { kind: 'envelope' };
    case 'invalid':
      throw new TableFileError(reply.message);
    case 'failed':
      throw new TableThreadError(`table file worker failed: ${reply.message}`);
    case 'table':
      return { kind: 'table', table: await activeTableFromParts(reply.header, fromWire(reply.parts), new SliceClock()) };
  }
}

/**
 * A routes file is parsed whole (TOML has no streaming parser), so unlike a build thread's the heap
 * grows with the file: room for the largest table a router accepts as a file, [table] max_bytes
 * aside (a file source has no byte bound of its own: the operator's own disk).
 */
const FILE_THREAD_HEAP_MB = Math.max(BUILD_THREAD_HEAP_MB, 2048);
