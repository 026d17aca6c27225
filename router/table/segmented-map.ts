// A Map with string keys, kept in segments of at most 32,768 entries. A JavaScript Map grows by
// rehashing every entry at once: at 131,072 entries one `set` takes 6–22 ms, at 262,144 15–32 ms
// (scripts/bench/map-growth.ts on the 2-vCPU bench VM, docs/BENCHMARKS.md), a stall of the router's
// event loop in the middle of a sliced table apply. A segment stops growing at SEGMENT_ENTRIES (its
// last rehash, from 16,384 entries, stayed under 2 ms there) and the next one takes the new keys.
// A table under 32,768 entries has one segment and costs what a Map costs; a 100,000-route index
// has four, so a lookup is at most four Map lookups (a handshake's exact host usually fewer).

const SEGMENT_ENTRIES = 32_768;

/** Values are never undefined (`get` stops at the first segment that has one). */
export class SegmentedMap<V extends {}> implements ReadonlyMap<string, V> {
  private readonly segments: Map<string, V>[] = [new Map()];
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(key: string): V | undefined {
    const { segments } = this;
    for (let i = 0; i < segments.length; i++) {
      const value = segments[i]!.get(key);
      if (value !== undefined) return value;
    }
    return undefined;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  set(key: string, value: V): this {
    const segment = this.segmentOf(key);
    if (segment !== undefined) segment.set(key, value);
    else this.insert(key, value);
    return this;
  }

  /**
   * The value `key` already has, or undefined after giving it `value`: "first one wins" in one look
   * through the segments (a `get` and then a `set` would look twice).
   */
  claim(key: string, value: V): V | undefined {
    const first = this.get(key);
    if (first === undefined) this.insert(key, value);
    return first;
  }

  /** Entries in insertion order. */
  *entries(): MapIterator<[string, V]> {
    for (const segment of this.segments) yield* segment.entries();
  }

  *keys(): MapIterator<string> {
    for (const segment of this.segments) yield* segment.keys();
  }

  *values(): MapIterator<V> {
    for (const segment of this.segments) yield* segment.values();
  }

  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries();
  }

  forEach(fn: (value: V, key: string, map: ReadonlyMap<string, V>) => void, thisArg?: unknown): void {
    for (const [key, value] of this.entries()) fn.call(thisArg, value, key, this);
  }

  /** Adds a key no segment holds. */
  private insert(key: string, value: V): void {
    let last = this.segments[this.segments.length - 1]!;
    if (last.size >= SEGMENT_ENTRIES) this.segments.push((last = new Map()));
    last.set(key, value);
    this.count++;
  }

  private segmentOf(key: string): Map<string, V> | undefined {
    for (const segment of this.segments) if (segment.has(key)) return segment;
    return undefined;
  }
}
