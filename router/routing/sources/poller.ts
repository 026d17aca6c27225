// Polls a table source, verifies what it gets, and swaps good tables into the TableStore. Anything
// wrong leaves the last good table in place: a bad publish or an outage never takes a router down.
// Every source goes through the same checks here, so "what a router accepts" lives in one place.

import { createHash, type KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import { events, publish } from '../../events.ts';
import { compareToCurrent, DEFAULT_CLOCK_SKEW_MS, verifyEnvelope } from '../../table/envelope.ts';
import { envelopePayloadType, parseManifestHeader, TABLE_MANIFEST_PAYLOAD_TYPE, verifyManifestEnvelope, type ChunkRef, type TableChunk } from '../../table/manifest.ts';
import { ActiveTable } from '../active-table.ts';
import { DEFAULT_SLICE_BUDGET_MS, SliceClock } from '../slices.ts';
import { assembleChunkedTable, type ChunkReader, type HeldChunks } from './chunked.ts';
import { INLINE_VERIFY_MAX_BYTES, TableThreadError, verifyOffThread } from './off-thread.ts';
import { TableChunkError, TableError, TableValidationError, type TableProblem } from '../../table/errors.ts';
import type { RoutingTable } from '../../table/types.ts';
import { embeddedFaviconProblem } from './favicons.ts';
import type { TableStore } from '../store.ts';
import type { TableCache } from './cache.ts';
import { REJECTION_BELOW_MIN_VERSION, REJECTION_UNSIGNED, REJECTION_VERSION_CONFLICT, TableSourceError, type TableSource } from './source.ts';

/** After an outage, a fleet retrying in lockstep would hammer the control plane; these spread it out. */
export const MAX_BACKOFF_MS = 5 * 60_000;
/** Backoff never grows past this many poll intervals (nor past MAX_BACKOFF_MS). */
export const MAX_BACKOFF_INTERVALS = 30;
/** While a router has no table at all it serves nothing, so it retries sooner. */
export const MAX_BACKOFF_INTERVALS_WITHOUT_TABLE = 2;
/** While the table in use is past expires_at (a withheld or broken source), this often at most a warn says so. */
export const EXPIRED_WARN_INTERVAL_MS = 10 * 60_000;

export interface PollerOptions {
  readonly source: TableSource;
  readonly store: TableStore;
  readonly trustedKeys: readonly KeyObject[];
  readonly expectedTableId: string;
  readonly allowUnsigned: boolean;
  readonly maxBytes: number;
  readonly intervalMs: number;
  readonly skewMs?: number;
  /**
   * The version floor (`[table] min_version`): a table below it is refused from every origin (source,
   * cache, file), so a router that starts with no cache cannot be handed an old, still-unexpired table.
   */
  readonly minVersion?: number;
  /** Remote sources only: the last good envelope survives restarts here. */
  readonly cache?: TableCache;
  readonly log: Logger;
  /** Tags the diagnostics-channel events (metrics count only their own router's). */
  readonly eventSource?: object;
  readonly now?: () => number;
  readonly random?: () => number;
  /** Time on the event loop per slice while a big table is applied (default DEFAULT_SLICE_BUDGET_MS; 0 yields after every step). */
  readonly sliceBudgetMs?: number;
  /** Rest between two slices (default: SliceClock's, DEFAULT_SLICE_PAUSE_MS). */
  readonly slicePauseMs?: number;
  /** Envelopes up to this size are verified on the event loop, bigger ones in a worker thread (default INLINE_VERIFY_MAX_BYTES). */
  readonly inlineVerifyMaxBytes?: number;
  /** Chunked tables of this many routes or more are built in a worker thread, smaller ones on the loop in slices (default ASSEMBLE_OFF_THREAD_MIN_ROUTES). */
  readonly assembleOffThreadMinRoutes?: number;
  /** The build thread's old-generation limit in MB (default BUILD_THREAD_HEAP_MB). */
  readonly assembleThreadHeapMb?: number;
}

/** What the last applied table cost: chunks it has, chunks read for it (not held from the table before), slices it took. */
export interface ApplyStats {
  readonly version: number;
  readonly format: 'envelope' | 'chunked' | 'unsigned';
  /** The signed bytes: the envelope, or the manifest and its chunks together. */
  readonly bytes: number;
  readonly chunks: number;
  readonly chunksRead: number;
  readonly yields: number;
  /** The longest slice of the apply on the event loop, ms (0 when applied in one go). */
  readonly longestSliceMs: number;
  /** Whether the routes were built in a worker thread (a big chunked or single-envelope table). */
  readonly offThread: boolean;
}

/** A verified envelope before it is applied: small tables are parsed whole; big and chunked ones are assembled from chunks in slices. */
type Candidate =
  | { readonly kind: 'whole'; readonly table: RoutingTable; readonly payloadDigest: Buffer; readonly keyid: string }
  | {
      readonly kind: 'chunks';
      readonly format: 'envelope' | 'chunked';
      readonly header: RoutingTable;
      readonly refs: readonly ChunkRef[];
      readonly read: ChunkReader;
      readonly payloadDigest: Buffer;
      readonly keyid: string;
    };

export type PollOutcome =
  | { readonly kind: 'applied'; readonly version: number }
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'rejected'; readonly reason: string; readonly message: string }
  | { readonly kind: 'error'; readonly code: string; readonly message: string };

interface Problem {
  readonly code: string;
  readonly message: string;
  readonly at: string;
}

/** What /status shows under `tableSource`. */
export interface TableSourceStatus {
  readonly source: string;
  readonly pollIntervalSeconds: number;
  readonly loadedFrom: 'source' | 'cache' | null;
  readonly lastPollAt: string | null;
  readonly lastAppliedAt: string | null;
  readonly nextPollAt: string | null;
  readonly consecutiveErrors: number;
  readonly lastRejection: Problem | null;
  readonly lastError: Problem | null;
  readonly rejections: Readonly<Record<string, number>>;
  /** `[table] min_version`: nothing below it is applied. */
  readonly minVersion: number;
  /** When the table in use expired (it is still served as the last good table), or null while it is current. */
  readonly expiredAt: string | null;
  /** The table in use as it was published; null before the first. */
  readonly inUse: TableInUseStatus | null;
}

export interface TableInUseStatus {
  /** `chunked`: a manifest and its chunks; `envelope`: one signed envelope; `unsigned`: a plain local file. */
  readonly format: ApplyStats['format'];
  /** Chunks of a chunked table (0 otherwise). */
  readonly chunks: number;
  /** The published bytes: the envelope, or the manifest and its chunks together. */
  readonly bytes: number;
  /** Chunks read from the source by the last poll: 0 when nothing changed, 1 for a one-route change. */
  readonly chunksFetchedLastPoll: number;
}

/** The wait before the next poll: the interval minus up to 20% jitter; after errors, capped exponential backoff with up to 50% jitter. */
export function nextDelay(intervalMs: number, consecutiveErrors: number, hasTable: boolean, random: () => number): number {
  // Jitter only shortens the wait, so a new table still arrives within one poll interval.
  if (consecutiveErrors === 0) return Math.round(intervalMs * (1 - 0.2 * random()));
  const intervals = hasTable ? MAX_BACKOFF_INTERVALS : MAX_BACKOFF_INTERVALS_WITHOUT_TABLE;
  const cap = Math.max(intervalMs, Math.min(intervalMs * intervals, MAX_BACKOFF_MS));
  const backoff = Math.min(intervalMs * 2 ** Math.min(consecutiveErrors, 20), cap);
  return Math.round(backoff * (1 - 0.5 * random()));
}

export class TablePoller {
  private readonly opts: PollerOptions;
  private readonly now: () => number;
  private readonly random: () => number;
  private held: { table: { version: number; expiresAt?: number }; payloadBytes: Buffer; digest: string } | undefined;
  /** When the expired-table warn was last logged (rate-limited to EXPIRED_WARN_INTERVAL_MS). */
  private expiredWarnedAt: number | undefined;
  /** Bytes refused for a reason time cannot cure: the same bytes again are not verified (or counted) again. */
  private refusedDigest: string | undefined;
  /** The same for tables refused while fetching (over the size cap), whose bytes we never hold. */
  private refusedAtFetch: string | undefined;
  private consecutiveErrors = 0;
  private loadedFrom: 'source' | 'cache' | null = null;
  private lastPollAt: number | undefined;
  private lastAppliedAt: number | undefined;
  private nextPollAt: number | undefined;
  private lastRejection: Problem | undefined;
  private lastError: Problem | undefined;
  private readonly rejections: Record<string, number> = {};
  /** Code and message of the last problem logged: the same problem every poll is logged once. */
  private lastLogged: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<PollOutcome> | undefined;
  private readonly abort = new AbortController();
  /** Parsed routes of the chunks of the table in use, by hash: a new version re-reads only the chunks that changed. */
  private heldChunks: HeldChunks = new Map();
  private lastApplyStats: ApplyStats | undefined;
  /** Chunks the last poll read from the source (for /status). */
  private lastPollChunksFetched = 0;

  constructor(opts: PollerOptions) {
    this.opts = opts;
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
  }

  /** Serves the cached envelope if it still verifies. Returns whether a table was applied from it. */
  async loadCache(): Promise<boolean> {
    const cache = this.opts.cache;
    if (cache === undefined) return false;
    let bytes;
    try {
      bytes = await cache.read(this.opts.maxBytes);
    } catch (err) {
      this.opts.log.warn({ err, cacheFile: cache.path }, 'cannot read the table cache; waiting for the source');
      return false;
    }
    if (bytes === undefined) return false;
    let outcome;
    try {
      outcome = await this.consider(bytes, 'cache');
    } catch (err) {
      this.opts.log.warn({ err, cacheFile: cache.path }, 'cannot assemble the cached table; waiting for the source');
      return false;
    }
    if (outcome.kind === 'applied') this.opts.log.info({ cacheFile: cache.path, version: outcome.version }, 'serving the cached table until the source answers');
    return outcome.kind === 'applied';
  }

  /** Polls after `firstDelayMs` (now by default), then every interval. */
  start(firstDelayMs = 0): void {
    this.schedule(firstDelayMs);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.abort.abort();
    await this.inFlight?.catch(() => undefined);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  /** One fetch-verify-swap round. Never throws for source or table problems: they become outcomes. */
  pollOnce(): Promise<PollOutcome> {
    this.inFlight ??= this.fetchAndApply().finally(() => {
      this.inFlight = undefined;
      this.warnIfExpired();
    });
    return this.inFlight;
  }

  status(): TableSourceStatus {
    const iso = (t: number | undefined): string | null => (t === undefined ? null : new Date(t).toISOString());
    return {
      source: this.opts.source.description,
      pollIntervalSeconds: this.opts.intervalMs / 1000,
      loadedFrom: this.loadedFrom,
      lastPollAt: iso(this.lastPollAt),
      lastAppliedAt: iso(this.lastAppliedAt),
      nextPollAt: iso(this.nextPollAt),
      consecutiveErrors: this.consecutiveErrors,
      lastRejection: this.lastRejection ?? null,
      lastError: this.lastError ?? null,
      rejections: { ...this.rejections },
      minVersion: this.minVersion,
      expiredAt: this.expiredAt() === undefined ? null : iso(this.expiredAt()),
      inUse: this.inUseStatus(),
    };
  }

  private inUseStatus(): TableInUseStatus | null {
    const stats = this.lastApplyStats;
    if (stats === undefined) return null;
    return { format: stats.format, chunks: stats.format === 'chunked' ? stats.chunks : 0, bytes: stats.bytes, chunksFetchedLastPoll: this.lastPollChunksFetched };
  }

  /** expires_at of the table in use once it has passed; undefined while current (or unsigned without expiry). */
  expiredAt(): number | undefined {
    const expiresAt = this.held?.table.expiresAt;
    return expiresAt !== undefined && this.now() >= expiresAt ? expiresAt : undefined;
  }

  /**
   * A frozen source (withheld, or publishing nothing newer) leaves an expired table in use. It keeps
   * serving (availability beats a fleet-wide outage), but says so: at most every EXPIRED_WARN_INTERVAL_MS.
   */
  private warnIfExpired(): void {
    const expiredAt = this.expiredAt();
    if (expiredAt === undefined) {
      this.expiredWarnedAt = undefined;
      return;
    }
    const now = this.now();
    if (this.expiredWarnedAt !== undefined && now - this.expiredWarnedAt < EXPIRED_WARN_INTERVAL_MS) return;
    this.expiredWarnedAt = now;
    this.opts.log.warn(
      { source: this.opts.source.description, code: 'ERR_TABLE_EXPIRED_IN_USE', version: this.held!.table.version, expiredAt: new Date(expiredAt).toISOString(), lastAppliedAt: this.lastAppliedAt === undefined ? null : new Date(this.lastAppliedAt).toISOString() },
      'the routing table in use has expired and the source offers nothing newer; still serving it as the last good table',
    );
  }

  private get minVersion(): number {
    return this.opts.minVersion ?? 0;
  }

  private schedule(delayMs: number): void {
    if (this.abort.signal.aborted) return;
    this.nextPollAt = this.now() + delayMs;
    this.timer = setTimeout(() => {
      void this.pollOnce()
        // A bug past the checks (a throwing swap listener) must neither crash the router nor end polling.
        .catch((err: unknown) => this.fail(err))
        .then(() => {
          this.schedule(nextDelay(this.opts.intervalMs, this.consecutiveErrors, this.opts.store.current !== undefined, this.random));
        });
    }, delayMs);
  }

  private async fetchAndApply(): Promise<PollOutcome> {
    const started = performance.now();
    this.lastPollAt = this.now();
    this.lastPollChunksFetched = 0;
    let result;
    try {
      result = await this.opts.source.fetch(this.abort.signal);
    } catch (err) {
      const durationSeconds = (performance.now() - started) / 1000;
      // The size cap is checked while fetching, but an oversized table is a refused table, not an outage.
      if (err instanceof TableError) {
        publish(events.tableFetch, this.tag, { result: 'envelope', durationSeconds });
        this.recovered();
        const key = `${err.code} ${err.message}`;
        if (key === this.refusedAtFetch) return { kind: 'unchanged' };
        this.refusedAtFetch = key;
        return this.reject(err.code, err.message);
      }
      publish(events.tableFetch, this.tag, { result: 'error', durationSeconds, kind: errorCode(err) });
      return this.fail(err);
    }
    const durationSeconds = (performance.now() - started) / 1000;
    publish(events.tableFetch, this.tag, { result: result.kind === 'not_modified' ? 'not_modified' : 'envelope', durationSeconds });
    this.recovered();
    if (result.kind === 'not_modified') return { kind: 'unchanged' };
    this.refusedAtFetch = undefined;
    if (result.kind === 'unsigned') return this.considerUnsigned(result.table, result.bytes, result.digest);
    const outcome = await this.consider(result.bytes, 'source', result.digest);
    if (outcome.kind === 'applied' && this.opts.cache !== undefined) await this.writeCache(result.bytes);
    return outcome;
  }

  /** What the last applied table cost (chunks read, slices); undefined before the first. */
  lastApply(): ApplyStats | undefined {
    return this.lastApplyStats;
  }

  /**
   * Verifies an envelope: a small one here, on the loop (a few ms); a bigger one in a worker thread,
   * which hands back its routes as chunks. A chunked table's manifest names its chunks itself.
   */
  private async verify(bytes: Buffer, origin: 'source' | 'cache'): Promise<Candidate> {
    const opts = {
      maxBytes: this.opts.maxBytes,
      expectedTableId: this.opts.expectedTableId,
      now: this.now(),
      skewMs: this.opts.skewMs ?? DEFAULT_CLOCK_SKEW_MS,
      ...(this.held === undefined ? {} : { currentVersion: this.held.table.version }),
    };
    const read = origin === 'cache' ? this.cachedChunkReader() : this.sourceChunkReader();
    if (bytes.length > (this.opts.inlineVerifyMaxBytes ?? INLINE_VERIFY_MAX_BYTES)) {
      const verified = await verifyOffThread({ bytes, trustedKeys: this.opts.trustedKeys, opts }, this.abort.signal);
      const header = parseManifestHeader(verified.manifest);
      const payloadDigest = Buffer.from(verified.payloadDigest, 'hex');
      if (verified.format === 'chunked') return { kind: 'chunks', format: 'chunked', header, refs: verified.manifest.chunks, read, payloadDigest, keyid: verified.keyid };
      const given = new Map(verified.manifest.chunks.map((ref, i) => [ref.sha256, Buffer.from(verified.chunkBytes[i]!.buffer, verified.chunkBytes[i]!.byteOffset, verified.chunkBytes[i]!.byteLength)] as const));
      return { kind: 'chunks', format: 'envelope', header, refs: verified.manifest.chunks, read: async (ref) => given.get(ref.sha256)!, payloadDigest, keyid: verified.keyid };
    }
    if (envelopePayloadType(bytes) === TABLE_MANIFEST_PAYLOAD_TYPE) {
      const verified = verifyManifestEnvelope(bytes, this.opts.trustedKeys, opts);
      return { kind: 'chunks', format: 'chunked', header: verified.header, refs: verified.manifest.chunks, read, payloadDigest: sha256(verified.payloadBytes), keyid: verified.keyid };
    }
    const verified = verifyEnvelope(bytes, this.opts.trustedKeys, opts);
    checkEmbeddedFavicons(verified.table);
    return { kind: 'whole', table: verified.table, payloadDigest: sha256(verified.payloadBytes), keyid: verified.keyid };
  }

  private sourceChunkReader(): ChunkReader {
    const source = this.opts.source;
    return (ref) => {
      if (source.fetchChunk === undefined) {
        return Promise.reject(new TableSourceError('ERR_SOURCE_BAD_ITEM', `${source.description} served a chunked table but cannot serve chunks`));
      }
      return source.fetchChunk(ref, this.abort.signal);
    };
  }

  private cachedChunkReader(): ChunkReader {
    const cache = this.opts.cache!;
    return async (ref) => {
      const bytes = await cache.readChunk(ref.sha256, ref.bytes + 1);
      if (bytes === undefined) throw new TableSourceError('ERR_SOURCE_FILE', `${cache.chunkDir}: chunk ${ref.sha256} is not cached`);
      return bytes;
    };
  }

  /** Verifies an envelope and applies it if it is newer than the table held; `known`: the SHA-256 of `bytes` (hex), if the source computed it while reading them. */
  private async consider(bytes: Buffer, origin: 'source' | 'cache', known?: string): Promise<PollOutcome> {
    const digest = known ?? createHash('sha256').update(bytes).digest('hex');
    // The steady state of a DynamoDB poll: the same item again. Nothing to verify.
    if (digest === this.held?.digest || digest === this.refusedDigest) return { kind: 'unchanged' };
    let verified: Candidate;
    try {
      verified = await this.verify(bytes, origin);
    } catch (err) {
      if (err instanceof TableThreadError) return this.fail(err);
      if (!(err instanceof TableError)) throw err;
      // A table from a clock ahead of ours becomes valid by itself; everything else stays refused.
      if (err.code !== 'ERR_TABLE_NOT_YET_VALID') this.refusedDigest = digest;
      else this.opts.source.invalidate?.();
      return this.reject(err.code, `${origin === 'cache' ? 'cached table: ' : ''}${err.message}`);
    }
    const header = verified.kind === 'whole' ? verified.table : verified.header;
    if (header.version < this.minVersion) {
      this.refusedDigest = digest;
      return this.reject(REJECTION_BELOW_MIN_VERSION, `${origin === 'cache' ? 'cached table: ' : ''}${belowFloor(header.version, this.minVersion)}`);
    }
    // Compared by payload digest: the same version must carry the same signed bytes.
    const comparison = compareToCurrent({ table: header, payloadBytes: verified.payloadDigest }, this.held);
    if (comparison === 'same') {
      this.held = { table: heldTable(header), payloadBytes: verified.payloadDigest, digest };
      return { kind: 'unchanged' };
    }
    if (comparison !== 'newer') {
      this.refusedDigest = digest;
      return this.reject(REJECTION_VERSION_CONFLICT, `version ${header.version} was published twice with different contents; keeping the table held`);
    }
    const held = { table: heldTable(header), payloadBytes: verified.payloadDigest, digest };
    if (verified.kind === 'whole') {
      this.apply(verified.table, held, origin, verified.keyid, new Map());
      this.lastApplyStats = { version: header.version, format: 'envelope', bytes: bytes.length, chunks: 0, chunksRead: 0, yields: 0, longestSliceMs: 0, offThread: false };
      return { kind: 'applied', version: header.version };
    }
    const clock = new SliceClock(this.opts.sliceBudgetMs ?? DEFAULT_SLICE_BUDGET_MS, this.abort.signal, this.opts.slicePauseMs);
    const chunked = verified.format === 'chunked';
    let fetched = 0;
    const read: ChunkReader = !chunked ? verified.read : async (ref) => {
      const chunk = await verified.read(ref);
      fetched++;
      return chunk;
    };
    let assembled;
    try {
      assembled = await assembleChunkedTable(header, verified.refs, this.heldChunks, read, clock, {
        ...(this.opts.assembleOffThreadMinRoutes === undefined ? {} : { offThreadMinRoutes: this.opts.assembleOffThreadMinRoutes }),
        ...(this.opts.assembleThreadHeapMb === undefined ? {} : { threadHeapMb: this.opts.assembleThreadHeapMb }),
        signal: this.abort.signal,
      });
    } catch (err) {
      // A chunk that cannot be read yet (not replicated, an outage) is a failed poll, retried; bad bytes are a refusal.
      if (err instanceof TableSourceError || err instanceof TableThreadError) return this.fail(err);
      if (!(err instanceof TableError)) throw err;
      if (err instanceof TableChunkError) publish(events.tableChunkRefused, this.tag, { check: err.check, origin });
      this.refusedDigest = digest;
      return this.reject(err.code, `${origin === 'cache' ? 'cached table: ' : ''}${err.message}`);
    } finally {
      this.countChunksFetched(origin, fetched);
    }
    // Chunks go to the cache before the manifest that names them (fetchAndApply writes it next).
    if (origin === 'source' && chunked && this.opts.cache !== undefined) await this.writeCachedChunks(assembled.read);
    this.apply(assembled.active, held, origin, verified.keyid, assembled.chunks);
    const size = chunked ? verified.refs.reduce((sum, ref) => sum + ref.bytes, bytes.length) : bytes.length;
    this.lastApplyStats = { version: header.version, format: verified.format, bytes: size, chunks: verified.refs.length, chunksRead: assembled.read.length, yields: clock.yields, longestSliceMs: clock.longestSliceMs, offThread: assembled.offThread };
    return { kind: 'applied', version: header.version };
  }

  private countChunksFetched(origin: 'source' | 'cache', count: number): void {
    if (origin === 'source') this.lastPollChunksFetched = count;
    if (count > 0) publish(events.tableChunksFetched, this.tag, { origin, count });
  }

  /** `built`: a plain routes file, parsed, or a big one already built in a worker thread (file-off-thread.ts). */
  private considerUnsigned(built: RoutingTable | ActiveTable, bytes: Buffer, known?: string): PollOutcome {
    const table = built instanceof ActiveTable ? built.table : built;
    if (!this.opts.allowUnsigned) {
      return this.reject(REJECTION_UNSIGNED, `${this.opts.source.description} is not a signed envelope and table.allow_unsigned is false`);
    }
    const digest = known ?? createHash('sha256').update(bytes).digest('hex');
    if (table.version < this.minVersion) return this.reject(REJECTION_BELOW_MIN_VERSION, belowFloor(table.version, this.minVersion));
    const comparison = compareToCurrent({ table, payloadBytes: bytes }, this.held);
    if (comparison === 'same') return { kind: 'unchanged' };
    if (comparison === 'stale') return this.reject('ERR_TABLE_STALE_VERSION', `table version ${table.version} is older than the current version ${this.held!.table.version}`);
    if (comparison === 'conflict') {
      return this.reject(REJECTION_VERSION_CONFLICT, `the file changed but its version is still ${table.version}; raise the version to apply it`);
    }
    this.apply(built, { table: heldTable(table), payloadBytes: bytes, digest }, 'source', undefined, new Map());
    this.lastApplyStats = { version: table.version, format: 'unsigned', bytes: bytes.length, chunks: 0, chunksRead: 0, yields: 0, longestSliceMs: 0, offThread: built instanceof ActiveTable };
    return { kind: 'applied', version: table.version };
  }

  private apply(next: RoutingTable | ActiveTable, held: NonNullable<TablePoller['held']>, origin: 'source' | 'cache', keyid: string | undefined, chunks: HeldChunks): void {
    const previous = this.held?.table.version;
    const table = next instanceof ActiveTable ? next.table : next;
    this.opts.store.swap(next);
    this.held = held;
    this.heldChunks = chunks;
    this.loadedFrom = origin;
    this.lastAppliedAt = this.now();
    this.refusedDigest = undefined;
    this.lastLogged = undefined;
    publish(events.tableApplied, this.tag, {
      tableId: table.tableId,
      version: table.version,
      origin,
      chunksHeld: chunks.size,
      ...(table.issuedAt === undefined ? {} : { issuedAt: table.issuedAt }),
      ...(table.expiresAt === undefined ? {} : { expiresAt: table.expiresAt }),
    });
    this.opts.log.info({ table: table.tableId, version: table.version, previous, origin, keyid, routes: table.routes.length }, `routing table ${table.tableId}@${table.version} applied`);
  }

  private reject(reason: string, message: string): PollOutcome {
    this.rejections[reason] = (this.rejections[reason] ?? 0) + 1;
    this.lastRejection = { code: reason, message, at: new Date(this.now()).toISOString() };
    publish(events.tableRejected, this.tag, { reason });
    this.logOnce('warn', reason, message, 'routing table rejected; keeping the last good table');
    return { kind: 'rejected', reason, message };
  }

  private fail(err: unknown): PollOutcome {
    this.consecutiveErrors++;
    const code = errorCode(err);
    const message = (err as Error).message ?? String(err);
    this.lastError = { code, message, at: new Date(this.now()).toISOString() };
    publish(events.tablePollFailed, this.tag, { kind: code });
    if (err instanceof TableSourceError) this.logOnce('warn', code, message, 'cannot fetch the routing table; keeping the last good table');
    else if (err instanceof TableThreadError) this.logOnce('error', code, message, 'a table thread failed; keeping the last good table, the next poll tries again');
    else this.logOnce('error', code, message, 'unexpected failure while fetching the routing table', err);
    return { kind: 'error', code, message };
  }

  private recovered(): void {
    if (this.consecutiveErrors > 0) this.opts.log.info({ source: this.opts.source.description, failedPolls: this.consecutiveErrors }, 'table source answers again');
    this.consecutiveErrors = 0;
    if (this.lastLogged?.startsWith('ERR_SOURCE')) this.lastLogged = undefined;
  }

  private logOnce(level: 'warn' | 'error', code: string, message: string, what: string, err?: unknown): void {
    const key = `${code} ${message}`;
    if (key === this.lastLogged) return;
    this.lastLogged = key;
    this.opts.log[level]({ source: this.opts.source.description, code, reason: message, ...(err === undefined ? {} : { err }) }, what);
  }

  private async writeCache(bytes: Buffer): Promise<void> {
    try {
      await this.opts.cache!.write(bytes);
      await this.opts.cache!.pruneChunks(new Set(this.heldChunks.keys()));
    } catch (err) {
      this.logOnce('warn', 'ERR_CACHE_WRITE', (err as Error).message, 'cannot write the table cache; a restart during an outage would have no table');
    }
  }

  private async writeCachedChunks(chunks: readonly TableChunk[]): Promise<void> {
    try {
      await this.opts.cache!.writeChunks(chunks.map((c) => ({ sha256: c.ref.sha256, bytes: c.bytes })));
    } catch (err) {
      this.logOnce('warn', 'ERR_CACHE_WRITE', (err as Error).message, 'cannot write the table cache; a restart during an outage would have no table');
    }
  }

  private get tag(): object {
    return this.opts.eventSource ?? this;
  }
}

function sha256(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}

function heldTable(table: { readonly version: number; readonly expiresAt?: number }): { version: number; expiresAt?: number } {
  return table.expiresAt === undefined ? { version: table.version } : { version: table.version, expiresAt: table.expiresAt };
}

function belowFloor(version: number, floor: number): string {
  return `table version ${version} is below table.min_version ${floor} (an old table replayed, or the floor set past what was published)`;
}

function errorCode(err: unknown): string {
  return err instanceof TableSourceError || err instanceof TableThreadError ? err.code : 'ERR_SOURCE_INTERNAL';
}

/** A remote table cannot point at files on the router's disk: favicons must travel inside it, as PNG data URIs. */
function checkEmbeddedFavicons(table: RoutingTable): void {
  const problems: TableProblem[] = [];
  table.routes.forEach((route, i) => {
    const problem = embeddedFaviconProblem(route, i);
    if (problem !== undefined) problems.push(problem);
  });
  if (problems.length > 0) throw new TableValidationError(problems);
}
