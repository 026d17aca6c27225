import { performance } from 'node:perf_hooks';
import { MAX_STATUS_CACHE_ENTRIES, MAX_STATUS_REQUESTS_PER_ROUTE, STATUS_CACHE_TTL_MS, STATUS_FAILURE_TTL_MS } from './limits.ts';

/** How an answer was found: cached, fetched now, joined a fetch in flight, or not available. */
export type StatusCacheResult = 'hit' | 'miss' | 'coalesced' | 'failed' | 'busy';

export interface StatusLookup {
  /** The backend's JSON; undefined when the backend could not answer (the caller shows the fallback). */
  readonly json: string | undefined;
  readonly result: StatusCacheResult;
}

interface Entry {
  readonly json: string | undefined;
  readonly expiresAt: number;
}

export interface StatusCacheOptions {
  readonly ttlMs?: number;
  readonly failureTtlMs?: number;
  readonly maxEntries?: number;
  readonly maxRequestsPerRoute?: number;
  readonly now?: () => number;
}

/**
 * Backend status answers keyed by route **and** client protocol: a backend (or ViaVersion in front
 * of it) answers each protocol differently, and an answer cached for one version shows
 * "incompatible" to the others. One request in flight per key; everyone else waits for it. Failures
 * are remembered briefly too, so a down backend is not asked on every ping.
 */
export class BackendStatusCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<string | undefined>>();
  private readonly requestsPerRoute = new Map<string, number>();
  private readonly ttlMs: number;
  private readonly failureTtlMs: number;
  private readonly maxEntries: number;
  private readonly maxRequestsPerRoute: number;
  private readonly now: () => number;

  constructor(opts: StatusCacheOptions = {}) {
    this.ttlMs = opts.ttlMs ?? STATUS_CACHE_TTL_MS;
    this.failureTtlMs = opts.failureTtlMs ?? STATUS_FAILURE_TTL_MS;
    this.maxEntries = opts.maxEntries ?? MAX_STATUS_CACHE_ENTRIES;
    this.maxRequestsPerRoute = opts.maxRequestsPerRoute ?? MAX_STATUS_REQUESTS_PER_ROUTE;
    this.now = opts.now ?? (() => performance.now());
  }

  get size(): number {
    return this.entries.size;
  }

  /** The answer for (route, protocol), from the cache or from `fetch` (which rejects when the backend cannot answer). */
  async lookup(route: string, protocol: number, fetch: () => Promise<string>): Promise<StatusLookup> {
    const key = `${route}\0${protocol}`;
    const entry = this.entries.get(key);
    if (entry !== undefined && entry.expiresAt > this.now()) return { json: entry.json, result: entry.json === undefined ? 'failed' : 'hit' };
    const pending = this.inFlight.get(key);
    if (pending !== undefined) {
      const json = await pending;
      return { json, result: json === undefined ? 'failed' : 'coalesced' };
    }
    const running = this.requestsPerRoute.get(route) ?? 0;
    if (running >= this.maxRequestsPerRoute) return { json: undefined, result: 'busy' };
    this.requestsPerRoute.set(route, running + 1);
    const request = fetch().then(
      (json) => json as string | undefined,
      () => undefined,
    );
    this.inFlight.set(key, request);
    let json: string | undefined;
    try {
      json = await request;
    } finally {
      this.inFlight.delete(key);
      const left = (this.requestsPerRoute.get(route) ?? 1) - 1;
      if (left > 0) this.requestsPerRoute.set(route, left);
      else this.requestsPerRoute.delete(route);
    }
    this.store(key, { json, expiresAt: this.now() + (json === undefined ? this.failureTtlMs : this.ttlMs) });
    return { json, result: json === undefined ? 'failed' : 'miss' };
  }

  private store(key: string, entry: Entry): void {
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      // Expired entries go first; if none, the oldest (Map order is insertion order).
      const now = this.now();
      for (const [k, e] of this.entries) if (e.expiresAt <= now) this.entries.delete(k);
      if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    }
    this.entries.set(key, entry);
  }
}
