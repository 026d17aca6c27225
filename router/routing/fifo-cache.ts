// A Map with a cap: once it holds `capacity` entries, setting a new key drops the oldest one. For
// caches a client can walk (one entry per route of a 100,000-route table): what they hold is bounded
// however many keys are asked for, and a hit costs one Map lookup (no reordering, unlike an LRU).

export class FifoCache<K, V> {
  readonly capacity: number;
  private readonly entries = new Map<K, V>();

  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`a cache needs a capacity of at least 1, got ${capacity}`);
    this.capacity = capacity;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: K): V | undefined {
    return this.entries.get(key);
  }

  set(key: K, value: V): V {
    if (!this.entries.has(key) && this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value as K);
    this.entries.set(key, value);
    return value;
  }
}
