// Turns a verified table header and its chunk list into an ActiveTable without stalling the router:
// chunks the router already holds (from the table in use) are reused, the others are read (source or
// cache) and checked against their SHA-256, and every route is validated, cross-checked and indexed.
// Each chunk's routes become one segment of bytes (compact-routes.ts), held for the next table.
//
// Where: a table of ASSEMBLE_OFF_THREAD_MIN_ROUTES routes or more is built in a worker thread
// (assemble-worker.ts), which hands back the segments and the route index as shared or transferred
// memory; the loop only makes the routes with adapters and swaps. A smaller one is built on the loop
// in short slices (SliceClock): a few slices cost less than starting a thread. Only the final swap
// runs in one go, and it is one assignment.

import { TableAssembler } from '../../table/assembler.ts';
import { TableValidationError, type TableProblem } from '../../table/errors.ts';
import { chunkDocuments, type ChunkRef, type TableChunk } from '../../table/manifest.ts';
import type { RoutingTable } from '../../table/types.ts';
import type { ActiveTable } from '../active-table.ts';
import { ActiveTableBuilder, activeTableFromParts, type TableParts } from '../build-active.ts';
import type { RouteSegment } from '../compact-routes.ts';
import type { SliceClock } from '../slices.ts';
import { assembleOffThread } from './assemble-off-thread.ts';
import { onSharedMemory } from './body.ts';
import { embeddedFaviconProblem } from './favicons.ts';

/** Reads one chunk's bytes (at most `ref.bytes` + 1 of them); throws a TableSourceError when it cannot. */
export type ChunkReader = (ref: ChunkRef) => Promise<Buffer>;

/** The routes of each chunk by hash, as bytes: what a router holds of the table in use. */
export type HeldChunks = ReadonlyMap<string, RouteSegment>;

/**
 * How fast a chunk is decoded before its first route (hash, UTF-8, JSON.parse): about 110 KB per ms on
 * the bench VM (151 chunks of 15.6 KB, median 0.14 ms), so a 256 KiB chunk is ~2.5 ms of one step.
 */
const DECODE_BYTES_PER_MS = 100_000;

/** Chunks fetched in parallel per table (a one-route change fetches one). */
export const CHUNK_FETCH_CONCURRENCY = 8;

/**
 * Tables with at least this many routes are built in a worker thread. On the loop, even in 4 ms slices,
 * a status exchange (several turns of the loop) waits for a slice at each turn: at 1,000 routes its
 * p99 during the apply was 13-24 ms in slices against 4.9-5.7 ms with a worker thread, whose start
 * made the apply ~250 ms longer (docs/BENCHMARKS.md). Below this a table is a few slices.
 */
export const ASSEMBLE_OFF_THREAD_MIN_ROUTES = 512;

export interface AssembleOptions {
  /** Default ASSEMBLE_OFF_THREAD_MIN_ROUTES; 0 builds every table in a worker thread, Infinity none. */
  readonly offThreadMinRoutes?: number;
  /** Aborting ends the build (and terminates its worker thread). */
  readonly signal?: AbortSignal;
  /** The build thread's old-generation limit (default BUILD_THREAD_HEAP_MB). */
  readonly threadHeapMb?: number;
}

export interface AssembledTable {
  readonly active: ActiveTable;
  readonly chunks: HeldChunks;
  /** The chunks that were read (not held): what the cache needs to write. */
  readonly read: readonly TableChunk[];
  /** Whether the routes were built in a worker thread. */
  readonly offThread: boolean;
}

export async function assembleChunkedTable(header: RoutingTable, refs: readonly ChunkRef[], held: HeldChunks, readChunk: ChunkReader, clock: SliceClock, opts: AssembleOptions = {}): Promise<AssembledTable> {
  const routeCount = refs.reduce((sum, ref) => sum + ref.routes, 0);
  const offThread = routeCount >= (opts.offThreadMinRoutes ?? ASSEMBLE_OFF_THREAD_MIN_ROUTES);
  const missing = [...new Map(refs.filter((ref) => !held.has(ref.sha256)).map((ref) => [ref.sha256, ref] as const)).values()];
  const bytesOf = new Map<string, Buffer>();
  await forEachLimited(missing, CHUNK_FETCH_CONCURRENCY, async (ref) => {
    const bytes = await readChunk(ref);
    // Shared with the worker thread, not copied to it (a chunk is at most 256 KiB: a copy is µs).
    bytesOf.set(ref.sha256, offThread ? onSharedMemory(bytes) : bytes);
  });

  let parts: TableParts;
  if (offThread) {
    parts = await assembleOffThread(refs, held, bytesOf, opts.signal, opts.threadHeapMb);
  } else {
    clock.begin();
    parts = await buildChunkedParts(refs, held, bytesOf, clock);
  }
  clock.begin();
  const { routes: _, ...tableHeader } = header;
  const active = await activeTableFromParts(tableHeader, parts, clock);
  const chunks = new Map<string, RouteSegment>();
  refs.forEach((ref, i) => chunks.set(ref.sha256, parts.segments[i]!));
  const read = missing.map((ref) => ({ ref, bytes: bytesOf.get(ref.sha256)! }));
  return { active, chunks, read, offThread };
}

/**
 * Validates, cross-checks and indexes every route of `refs` in order, one segment per ref (segments[i]
 * is refs[i]'s: reused when held, else written from its bytes). Throws a TableError when refused.
 * The worker thread runs this too, with a clock that never yields.
 */
export async function buildChunkedParts(refs: readonly ChunkRef[], held: HeldChunks, bytesOf: ReadonlyMap<string, Uint8Array>, clock: SliceClock): Promise<TableParts> {
  const assembler = new TableAssembler();
  const builder = new ActiveTableBuilder();
  const favicons: TableProblem[] = [];
  const built = new Map<string, RouteSegment>();
  let index = 0;
  for (const ref of refs) {
    const reused = built.get(ref.sha256) ?? held.get(ref.sha256);
    if (reused !== undefined) {
      await builder.adopt(reused, clock, (route) => assembler.addParsed(route));
      index += reused.length;
      built.set(ref.sha256, reused);
      continue;
    }
    const bytes = bytesOf.get(ref.sha256);
    if (bytes === undefined) throw new RangeError(`chunk ${ref.sha256} was neither held nor read`);
    builder.beginSegment();
    // A chunk's hash, UTF-8 decode and JSON.parse run in one step, as long as the chunk is big: a step
    // that would overrun the slice starts the next one instead.
    await clock.tick(ref.bytes / DECODE_BYTES_PER_MS);
    // Checked route by route (chunkDocuments): one chunk's canonical check whole would outlast a slice.
    for (const document of chunkDocuments(bytes, ref)) {
      const route = assembler.addDocument(document);
      if (route !== undefined) {
        const problem = embeddedFaviconProblem(route, index);
        if (problem !== undefined) favicons.push(problem);
        builder.add(route);
      }
      index++;
      await clock.tick();
    }
    built.set(ref.sha256, builder.endSegment());
  }
  assembler.finish();
  if (favicons.length > 0) throw new TableValidationError(favicons);
  return builder.parts();
}

async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(workers);
}
