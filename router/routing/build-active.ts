// The ActiveTable of a big table, built in slices: routes are indexed one at a time and kept as bytes
// (compact-routes.ts), so neither the build nor the table held after it puts ~100 MB of Route objects
// on the V8 heap, and the swap itself is O(1).

import { ActiveTable, usesAdapters, type TableHeader } from './active-table.ts';
import { CompactRouteList, readSegmentRoute, SEGMENT_ROUTES, SegmentScratch, SegmentWriter, type RouteSegment } from './compact-routes.ts';
import { addToRouteIndex, emptyRouteIndex, type RouteIndex } from './resolve.ts';
import type { SliceClock } from './slices.ts';
import type { KeyTable } from '../table/key-table.ts';
import type { Route, RoutingTable } from '../table/types.ts';

export class ActiveTableBuilder {
  private readonly index = emptyRouteIndex();
  private readonly segments: RouteSegment[] = [];
  private readonly pinned = new Map<number, Route>();
  private readonly adapterRoutes: Route[] = [];
  private writer: SegmentWriter | undefined;
  /** Where this builder's segments are written, one after another. */
  private readonly scratch = new SegmentScratch();
  /** Whether the segment being written is a chunk's (cut by endSegment, not by size). */
  private ownSegment = false;
  private count = 0;

  get length(): number {
    return this.count;
  }

  /** Adds the next route. */
  add(route: Route): void {
    this.writer ??= new SegmentWriter(this.scratch);
    this.writer.add(route);
    this.note(route);
    if (!this.ownSegment && this.writer.length >= SEGMENT_ROUTES) this.closeWriter();
  }

  /** The routes added from now until endSegment form one segment (a chunk's, held for the next table). */
  beginSegment(): void {
    this.closeWriter();
    this.writer = new SegmentWriter(this.scratch);
    this.ownSegment = true;
  }

  endSegment(): RouteSegment {
    return this.closeWriter() ?? new SegmentWriter().finish();
  }

  /** Adds the routes of a segment an earlier table built (an unchanged chunk), shared, not copied; `each` sees each route first. */
  async adopt(segment: RouteSegment, clock: SliceClock, each?: (route: Route) => void): Promise<void> {
    this.closeWriter();
    for (let i = 0; i < segment.length; i++) {
      const route = readSegmentRoute(segment, i);
      each?.(route);
      this.note(route);
      await clock.tick();
    }
    this.segments.push(segment);
  }

  finish(header: TableHeader): ActiveTable {
    this.closeWriter();
    return new ActiveTable({ ...header, routes: new CompactRouteList(this.segments, this.pinned) }, Date.now(), { index: this.index, adapterRoutes: this.adapterRoutes });
  }

  /** What finish() would make a table of, as data: the segments, the index and where the routes with adapters are. */
  parts(): TableParts {
    this.closeWriter();
    return { segments: this.segments, index: this.index, adapterPositions: [...this.pinned.keys()] };
  }

  private note(route: Route): void {
    addToRouteIndex(this.index, route.hosts, this.count);
    if (usesAdapters(route)) {
      this.pinned.set(this.count, route);
      this.adapterRoutes.push(route);
    }
    this.count++;
  }

  private closeWriter(): RouteSegment | undefined {
    const writer = this.writer;
    this.writer = undefined;
    this.ownSegment = false;
    if (writer === undefined) return undefined;
    const segment = writer.finish();
    this.segments.push(segment);
    return segment;
  }
}

/** A table built elsewhere (a worker thread: assemble-worker.ts), before its routes with adapters are made. */
export interface TableParts {
  readonly segments: readonly RouteSegment[];
  readonly index: RouteIndex & { readonly exact: KeyTable; readonly wildcards: KeyTable };
  /** Positions of the routes with adapters (usesAdapters), ascending. */
  readonly adapterPositions: readonly number[];
}

/**
 * The ActiveTable of parts built elsewhere: only the routes with adapters are made here (they must stay
 * the same objects: compact-routes.ts), a slice at a time; the rest is adopted as it is.
 */
export async function activeTableFromParts(header: TableHeader, parts: TableParts, clock: SliceClock): Promise<ActiveTable> {
  const reader = new CompactRouteList(parts.segments, new Map(), 1);
  const pinned = new Map<number, Route>();
  const adapterRoutes: Route[] = [];
  for (const position of parts.adapterPositions) {
    const route = reader.read(position);
    if (!usesAdapters(route)) throw new RangeError(`route ${position} was listed as using adapters and does not`);
    pinned.set(position, route);
    adapterRoutes.push(route);
    await clock.tick();
  }
  return new ActiveTable({ ...header, routes: new CompactRouteList(parts.segments, pinned) }, Date.now(), { index: parts.index, adapterRoutes });
}

/** A table's ActiveTable, built in slices (what `new ActiveTable(table)` builds in one go). */
export async function buildActiveTable(table: RoutingTable, clock: SliceClock): Promise<ActiveTable> {
  const builder = new ActiveTableBuilder();
  for (const route of table.routes) {
    builder.add(route);
    await clock.tick();
  }
  const { routes: _, ...header } = table;
  return builder.finish(header);
}
