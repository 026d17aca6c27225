// The routes of a big table as bytes outside the V8 heap (RouteList, route-list.ts). Each route is kept
// as the JSON of its parsed Route in a segment's Buffer (one segment per chunk of a chunked table, or
// per SEGMENT_ROUTES routes), with its favicon taken out: a favicon (a data URI of up to tens of KiB,
// often one shared by every route) is kept once per segment and routes name it by number. A Route
// object is made when a connection asks for one, and the last ROUTE_CACHE_ROUTES made are kept.
//
// Why: a 100,000-route table held as objects is ~25 small objects and ~800 bytes per route on the V8
// heap; each major GC walks them all, and its atomic pause was 13-28 ms on the bench VM (the slices of
// an apply stayed under 10 ms, the process did not). As bytes, a Buffer is one object to the GC.
//
// Identity: a Route made again is a new object. What is keyed by Route object either recomputes what it
// lost (access matchers) or is pinned: the routes with adapters (RouteAdapters binds them by object) are
// made once at build time and every `at` returns that object.

import type { Route } from '../table/types.ts';
import { FifoCache } from './fifo-cache.ts';
import type { RouteList } from './route-list.ts';

/** Routes a segment takes before the next begins, where no chunk sets its bounds (a handed-over or rebuilt table). */
export const SEGMENT_ROUTES = 512;
/** Route objects a compact list keeps for the connections that ask for them again (~1 KiB each). */
export const ROUTE_CACHE_ROUTES = 4_096;
/** A segment's bytes are addressed by 32-bit offsets. */
const SEGMENT_MAX_BYTES = 0xffff_ffff;

/** The routes of one chunk, or one run of routes: immutable, so a later table reusing the chunk shares it. */
export interface RouteSegment {
  readonly length: number;
  /** The routes' JSON texts, one after another. */
  readonly bytes: Buffer;
  /** Where route i's JSON ends; it starts where route i - 1's ends (0 for the first). */
  readonly ends: Uint32Array;
  /** Route i's favicon: an index into `favicons`, or -1 for none. */
  readonly faviconOf: Int32Array;
  readonly favicons: readonly string[];
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * A segment as postMessage delivered it: a Buffer arrives as a plain Uint8Array (same memory, shared),
 * so it is wrapped again; the lengths are checked, since every route is read through them.
 */
export function receivedSegment(segment: RouteSegment): RouteSegment {
  const { length, ends, faviconOf, favicons } = segment;
  const bytes: Uint8Array = segment.bytes;
  if (!(Number.isInteger(length) && ends.length === length && faviconOf.length === length && (length === 0 || ends[length - 1]! <= bytes.byteLength))) {
    throw new RangeError('not a route segment');
  }
  return { length, bytes: Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), ends, faviconOf, favicons };
}

/** The route at `i` of a segment, as a new object. */
export function readSegmentRoute(segment: RouteSegment, i: number): Route {
  if (!(i >= 0 && i < segment.length)) throw new RangeError(`no route ${i} in a segment of ${segment.length}`);
  const start = i === 0 ? 0 : segment.ends[i - 1]!;
  const route = JSON.parse(segment.bytes.toString('utf8', start, segment.ends[i])) as Route;
  const favicon = segment.faviconOf[i]!;
  if (favicon >= 0) (route.status as Mutable<Route['status']>).favicon = segment.favicons[favicon]!;
  return route;
}

/**
 * The buffer segments are written in before each is copied out at its exact size: one per builder,
 * reused by its segments one after another, so a chunk's segment is one allocation, not a buffer grown
 * five or six times (each past glibc's mmap threshold a map and an unmap, and each an ArrayBuffer for
 * V8's collector to sweep while the table is built).
 */
export class SegmentScratch {
  bytes = Buffer.allocUnsafeSlow(64 * 1024);
}

/** Writes routes into one segment; `scratch` is not shared with a writer in use. */
export class SegmentWriter {
  private readonly scratch: SegmentScratch;
  private used = 0;
  private readonly ends: number[] = [];
  private readonly faviconOf: number[] = [];
  private readonly favicons: string[] = [];
  private readonly faviconIds = new Map<string, number>();

  constructor(scratch: SegmentScratch = new SegmentScratch()) {
    this.scratch = scratch;
  }

  get length(): number {
    return this.ends.length;
  }

  add(route: Route): void {
    const favicon = route.status.favicon;
    const json = JSON.stringify(favicon === undefined ? route : { ...route, status: { ...route.status, favicon: undefined } });
    // UTF-16 code units to UTF-8 bytes: at most three bytes each.
    const room = this.used + json.length * 3;
    if (room > SEGMENT_MAX_BYTES) throw new RangeError(`a route segment cannot hold more than ${SEGMENT_MAX_BYTES} bytes`);
    if (room > this.scratch.bytes.length) this.grow(room);
    this.used += this.scratch.bytes.write(json, this.used, 'utf8');
    this.ends.push(this.used);
    this.faviconOf.push(favicon === undefined ? -1 : this.faviconNumber(favicon));
  }

  /**
   * The segment written; the writer is not used after. Its arrays are on SharedArrayBuffers: a segment
   * built in a worker thread (assemble-worker.ts) reaches the router's loop without a copy, and the
   * next table's worker reads the segments the loop holds without one.
   */
  finish(): RouteSegment {
    const bytes = Buffer.from(new SharedArrayBuffer(this.used));
    this.scratch.bytes.copy(bytes, 0, 0, this.used);
    const n = this.ends.length;
    const ends = new Uint32Array(new SharedArrayBuffer(n * Uint32Array.BYTES_PER_ELEMENT));
    ends.set(this.ends);
    const faviconOf = new Int32Array(new SharedArrayBuffer(n * Int32Array.BYTES_PER_ELEMENT));
    faviconOf.set(this.faviconOf);
    return { length: n, bytes, ends, faviconOf, favicons: this.favicons };
  }

  private grow(atLeast: number): void {
    const next = Buffer.allocUnsafeSlow(Math.min(SEGMENT_MAX_BYTES, Math.max(atLeast, this.scratch.bytes.length * 2)));
    this.scratch.bytes.copy(next, 0, 0, this.used);
    this.scratch.bytes = next;
  }

  private faviconNumber(favicon: string): number {
    let id = this.faviconIds.get(favicon);
    if (id === undefined) {
      id = this.favicons.push(favicon) - 1;
      this.faviconIds.set(favicon, id);
    }
    return id;
  }
}

/** A table's routes in segments (RouteList). */
export class CompactRouteList implements RouteList {
  readonly length: number;
  private readonly segments: readonly RouteSegment[];
  /** The position of each segment's first route. */
  private readonly starts: Uint32Array;
  private readonly pinned: ReadonlyMap<number, Route>;
  private readonly made: FifoCache<number, Route>;

  /** `pinned`: routes by position that must stay the same object (the routes with adapters). */
  constructor(segments: readonly RouteSegment[], pinned: ReadonlyMap<number, Route> = new Map(), cacheRoutes = ROUTE_CACHE_ROUTES) {
    this.segments = segments;
    this.starts = new Uint32Array(segments.length);
    let length = 0;
    segments.forEach((segment, i) => {
      this.starts[i] = length;
      length += segment.length;
    });
    this.length = length;
    this.pinned = pinned;
    this.made = new FifoCache(cacheRoutes);
  }

  /** Bytes of the segments' arrays (outside the V8 heap; a segment shared with another table counts in both). */
  get byteLength(): number {
    return this.segments.reduce((sum, s) => sum + s.bytes.byteLength + s.ends.byteLength + s.faviconOf.byteLength, 0);
  }

  at(i: number): Route {
    return this.pinned.get(i) ?? this.made.get(i) ?? this.made.set(i, this.make(i));
  }

  read(i: number): Route {
    return this.pinned.get(i) ?? this.made.get(i) ?? this.make(i);
  }

  *[Symbol.iterator](): Iterator<Route> {
    for (let i = 0; i < this.length; i++) yield this.read(i);
  }

  private make(i: number): Route {
    if (!(Number.isInteger(i) && i >= 0 && i < this.length)) throw new RangeError(`no route ${i} in a table of ${this.length}`);
    // The last segment starting at or before i.
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.starts[mid]! <= i) lo = mid;
      else hi = mid - 1;
    }
    return readSegmentRoute(this.segments[lo]!, i - this.starts[lo]!);
  }
}
