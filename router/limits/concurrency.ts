// Caps on connections that are open but not yet done (transferred, relayed or closed): a global
// one, checked on accept, and one per client key, checked once the client's address is known (after
// a PROXY header). Slow or silent peers can then hold at most their share, never the whole router.

export interface ConcurrencyCapsOptions {
  readonly maxTotal: number;
  readonly maxPerKey: number;
}

export class ConcurrencyCaps {
  readonly maxTotal: number;
  readonly maxPerKey: number;
  private total = 0;
  private readonly perKey = new Map<string, number>();

  constructor(opts: ConcurrencyCapsOptions) {
    this.maxTotal = opts.maxTotal;
    this.maxPerKey = opts.maxPerKey;
  }

  get pending(): number {
    return this.total;
  }

  /** Claims a global slot; false when the router already holds `maxTotal` pending connections. */
  tryOpen(): boolean {
    if (this.total >= this.maxTotal) return false;
    this.total++;
    return true;
  }

  releaseOpen(): void {
    if (this.total > 0) this.total--;
  }

  /** Claims a slot for `key`; false when that client already has `maxPerKey` pending connections. */
  tryClaim(key: string): boolean {
    const n = this.perKey.get(key) ?? 0;
    if (n >= this.maxPerKey) return false;
    this.perKey.set(key, n + 1);
    return true;
  }

  release(key: string): void {
    const n = this.perKey.get(key) ?? 0;
    if (n <= 1) this.perKey.delete(key);
    else this.perKey.set(key, n - 1);
  }

  /** Keys with at least one pending connection (bounded by maxTotal). */
  get trackedKeys(): number {
    return this.perKey.size;
  }
}
