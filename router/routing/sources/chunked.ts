// Turns a verified table header and its chunk list into an ActiveTable without stalling the router:
// chunks the router already holds (from the table in use) are reused, the others are read (source or
// cache) and checked against their SHA-256, and every route is validated, cross-checked and indexed in
// short slices (SliceClock). Each chunk's routes become one segment of bytes (compact-routes.ts), held
// for the next table. Only the final swap runs in one go, and it is one assignment.

import { TableAssembler } from '../../table/assembler.ts';
import { TableValidationError, type TableProblem } from '../../table/errors.ts';
import { chunkDocuments, type ChunkRef, type TableChunk } from '../../table/manifest.ts';
import type { RoutingTable } from '../../table/types.ts';
import type { ActiveTable } from '../active-table.ts';
import { ActiveTableBuilder } from '../build-active.ts';
import type { RouteSegment } from '../compact-routes.ts';
import type { SliceClock } from '../slices.ts';
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

export interface AssembledTable {
  readonly active: ActiveTable;
  readonly chunks: HeldChunks;
  /** The chunks that were read (not held): what the cache needs to write. */
  readonly read: readonly TableChunk[];
}

export async function assembleChunkedTable(header: RoutingTable, refs: readonly ChunkRef[], held: HeldChunks, readChunk: ChunkReader, clock: SliceClock): Promise<AssembledTable> {
  const missing = [...new Map(refs.filter((ref) => !held.has(ref.sha256)).map((ref) => [ref.sha256, ref] as const)).values()];
  const bytesOf = new Map<string, Buffer>();
  await forEachLimited(missing, CHUNK_FETCH_CONCURRENCY, async (ref) => {
    bytesOf.set(ref.sha256, await readChunk(ref));
  });

  clock.begin();
  const assembler = new TableAssembler();
  const builder = new ActiveTableBuilder();
  const favicons: TableProblem[] = [];
  const chunks = new Map<string, RouteSegment>();
  let index = 0;
  for (const ref of refs) {
    const reused = chunks.get(ref.sha256) ?? held.get(ref.sha256);
    if (reused !== undefined) {
      await builder.adopt(reused, clock, (route) => assembler.addParsed(route));
      index += reused.length;
      chunks.set(ref.sha256, reused);
      continue;
    }
    builder.beginSegment();
    // A chunk's hash, UTF-8 decode and JSON.parse run in one step, as long as the chunk is big: a step
    // that would overrun the slice starts the next one instead.
    await clock.tick(ref.bytes / DECODE_BYTES_PER_MS);
    // Checked route by route (chunkDocuments): one chunk's canonical check whole would outlast a slice.
    for (const document of chunkDocuments(bytesOf.get(ref.sha256)!, ref)) {
      const route = assembler.addDocument(document);
      if (route !== undefined) {
        const problem = embeddedFaviconProblem(route, index);
        if (problem !== undefined) favicons.push(problem);
        builder.add(route);
      }
      index++;
      await clock.tick();
    }
    chunks.set(ref.sha256, builder.endSegment());
  }
  assembler.finish();
  if (favicons.length > 0) throw new TableValidationError(favicons);
  const { routes: _, ...tableHeader } = header;
  const active = builder.finish(tableHeader);
  const read = missing.map((ref) => ({ ref, bytes: bytesOf.get(ref.sha256)! }));
  return { active, chunks, read };
}

async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(workers);
}
