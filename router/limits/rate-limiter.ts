// A sliding-window rate limiter with O(1) memory per key: two fixed-window counters, the previous
// one weighted by how much of it still overlaps the sliding window (the approximation Cloudflare and
// nginx use). A key's budget is `limit` events per `windowMs`.

export interface SlidingWindowOptions {
  readonly windowMs: number;
  readonly limit: number;
  /** Keys tracked at most; past it the least recently seen key is forgotten (its budget resets). */
  readonly maxKeys: number;
  /** Called when the number of tracked keys changes (for the size gauge). */
  readonly onSizeChange?: (size: number) => void;
}

interface Window {
  /** Start of the current fixed window (ms, a multiple of windowMs). */
  start: number;
  current: number;
  previous: number;
}

export class SlidingWindowLimiter {
  readonly windowMs: number;
  readonly limit: number;
  readonly maxKeys: number;
  /** In least-recently-seen order: a hit moves the key to the end, eviction and expiry take from the front. */
  private readonly windows = new Map<string, Window>();
  private readonly onSizeChange: ((size: number) => void) | undefined;

  constructor(opts: SlidingWindowOptions) {
    this.windowMs = opts.windowMs;
    this.limit = opts.limit;
    this.maxKeys = opts.maxKeys;
    this.onSizeChange = opts.onSizeChange;
  }

  get size(): number {
    return this.windows.size;
  }

  /** Counts one event for `key` and returns true, or returns false (counting nothing) when its budget is spent. */
  tryAcquire(key: string, now = Date.now()): boolean {
    const before = this.windows.size;
    this.expire(now);
    const aligned = now - (now % this.windowMs);
    let w = this.windows.get(key);
    if (w === undefined) {
      if (this.windows.size >= this.maxKeys) this.windows.delete(this.windows.keys().next().value as string);
      w = { start: aligned, current: 0, previous: 0 };
    } else {
      this.windows.delete(key);
      if (aligned !== w.start) {
        w.previous = aligned - w.start === this.windowMs ? w.current : 0;
        w.current = 0;
        w.start = aligned;
      }
    }
    this.windows.set(key, w);
    if (this.windows.size !== before) this.onSizeChange?.(this.windows.size);
    const overlap = 1 - (now - w.start) / this.windowMs;
    if (w.previous * overlap + w.current + 1 > this.limit) return false;
    w.current++;
    return true;
  }

  /**
   * Forgets keys idle for two whole windows (their count can no longer matter). The map is in
   * last-seen order, so this stops at the first key still in use: O(expired keys).
   */
  expire(now = Date.now()): void {
    const oldestUseful = now - (now % this.windowMs) - this.windowMs;
    const before = this.windows.size;
    for (const [key, w] of this.windows) {
      if (w.start >= oldestUseful) break;
      this.windows.delete(key);
    }
    if (this.windows.size !== before) this.onSizeChange?.(this.windows.size);
  }
}
