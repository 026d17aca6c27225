// The published tables at one location: the latest, the immutable history, and publishing a new
// version such that of two racing publishers exactly one wins.

import type { CliContext } from '../context.ts';
import { CliError, UsageError } from '../context.ts';
import { describeFailure } from '../errors.ts';
import type { TableChunk } from '../../router/table/manifest.ts';
import { chunkUrl } from '../../router/table/chunk-keys.ts';
import { decodePublished } from './document.ts';
import { DynamoDbTableStore } from './dynamodb-store.ts';
import { FileTableStore } from './file-store.ts';
import type { TableLocation } from './location.ts';
import { S3TableStore } from './s3-store.ts';

export interface PublishedEntry {
  readonly version: number;
  /** The envelope JSON exactly as routers fetch it. */
  readonly envelope: string;
  readonly publishedAt?: string;
}

export interface PublishedTableStore {
  readonly description: string;
  /** The table id the location is for, when the location names one (dynamodb://TABLE/ID). */
  readonly tableId?: string;
  latest(): Promise<PublishedEntry | undefined>;
  /** Newest first. */
  history(limit: number): Promise<PublishedEntry[]>;
  get(version: number): Promise<PublishedEntry | undefined>;
  /**
   * Publishes `entry` if the latest is still `previousVersion` (undefined: nothing published yet).
   * Throws PublishConflictError, having written nothing, when someone else got there first.
   */
  publish(entry: PublishedEntry, previousVersion: number | undefined): Promise<void>;
  /**
   * Chunks of chunked tables (router/table/manifest.ts), immutable and named by their SHA-256, shared by
   * every version. putChunks writes those not stored yet (before the manifest that names them) and
   * says how many it wrote; one already stored (an orphan of a publish that stopped half-way, which
   * `table gc` may be about to remove) is written again, so its time is now and gc's grace keeps it.
   */
  putChunks(chunks: readonly TableChunk[]): Promise<number>;
  readChunk(sha256: string): Promise<Buffer | undefined>;
  /** Every stored chunk, with when it was written (ms since the epoch) where the store knows. */
  listChunks(): Promise<StoredChunk[]>;
  /** One stored chunk as listChunks would list it now; undefined when it is not stored. */
  statChunk(sha256: string): Promise<StoredChunk | undefined>;
  deleteChunk(sha256: string): Promise<void>;
}

export interface StoredChunk {
  readonly sha256: string;
  readonly writtenAt: number | undefined;
}

/** Chunk writes in flight at once. */
export const CHUNK_WRITE_CONCURRENCY = 8;

/** Runs `fn` over `items`, at most `limit` at a time; resolves to the results in order. */
export async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i]!);
      }
    }),
  );
  return results;
}

/**
 * Writes content-addressed chunks, `CHUNK_WRITE_CONCURRENCY` at a time, each with a create-only
 * `write`: a chunk that already exists holds the same bytes, so its condition failure is not an error;
 * it is written again with `rewrite` (unconditionally), which makes its stored time now. Resolves to
 * how many chunks were new.
 */
export async function writeNewChunks<C>(chunks: readonly C[], write: (chunk: C) => Promise<unknown>, isAlreadyThere: (err: unknown) => boolean, rewrite: (chunk: C) => Promise<unknown>): Promise<number> {
  const written = await mapLimited(chunks, CHUNK_WRITE_CONCURRENCY, async (chunk) => {
    try {
      await write(chunk);
      return 1;
    } catch (err) {
      if (!isAlreadyThere(err)) throw err;
      await rewrite(chunk);
      return 0;
    }
  });
  return written.reduce((a: number, b) => a + b, 0);
}

export function openStore(location: TableLocation, ctx: CliContext): PublishedTableStore {
  switch (location.kind) {
    case 'dynamodb':
      return new DynamoDbTableStore(ctx.clients.dynamodb({ region: location.region, endpoint: location.endpoint }), location.table, location.tableId, ctx.now);
    case 's3':
      return new S3TableStore(ctx.clients.s3({ region: location.region, endpoint: location.endpoint }), location.bucket, location.key, ctx.now);
    case 'file':
      return new FileTableStore(location.path);
    case 'http':
      return new HttpTableStore(location.url, ctx.clients.fetch);
  }
}

/** An endpoint that serves the latest envelope (S3, CloudFront): readable, not writable, no history. */
class HttpTableStore implements PublishedTableStore {
  readonly description: string;
  private readonly url: string;
  private readonly fetchFn: typeof fetch;

  constructor(url: string, fetchFn: typeof fetch) {
    this.url = url;
    this.fetchFn = fetchFn;
    this.description = url;
  }

  async latest(): Promise<PublishedEntry | undefined> {
    let res: Response;
    try {
      res = await this.fetchFn(this.url, { signal: AbortSignal.timeout(10_000) });
    } catch (cause) {
      throw describeFailure(this.url, cause, 'PASSAGE_STORE_UNREACHABLE');
    }
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw new CliError('PASSAGE_STORE_UNREACHABLE', `${this.url} answered HTTP ${res.status}`);
    const envelope = await res.text();
    return { version: decodePublished(envelope, this.url).table.version, envelope };
  }

  history(): Promise<PublishedEntry[]> {
    return Promise.reject(new UsageError(`${this.url}: an HTTP endpoint serves only the latest table; ask dynamodb://, s3:// or file:// for history`));
  }

  get(): Promise<PublishedEntry | undefined> {
    return this.history().then(() => undefined);
  }

  publish(): Promise<void> {
    return Promise.reject(new UsageError(`${this.url}: passagectl cannot publish over HTTP; publish to dynamodb://, s3:// or file:// (and serve that file)`));
  }

  putChunks(): Promise<number> {
    return this.publish().then(() => 0);
  }

  async readChunk(sha256: string): Promise<Buffer | undefined> {
    const url = chunkUrl(this.url, sha256);
    let res: Response;
    try {
      res = await this.fetchFn(url, { signal: AbortSignal.timeout(10_000) });
    } catch (cause) {
      throw describeFailure(this.url, cause, 'PASSAGE_STORE_UNREACHABLE');
    }
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw new CliError('PASSAGE_STORE_UNREACHABLE', `${this.url}: chunk ${sha256} answered HTTP ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
  }

  listChunks(): Promise<StoredChunk[]> {
    return this.history().then(() => []);
  }

  statChunk(): Promise<StoredChunk | undefined> {
    return this.history().then(() => undefined);
  }

  deleteChunk(): Promise<void> {
    return this.publish();
  }
}
