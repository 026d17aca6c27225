// The table from any HTTP endpoint (S3, CloudFront, a plain web server). Conditional requests keep a
// poll cheap: an unchanged table is a 304 with no body.

import { TABLE_TOKEN_QUERY_PARAMETER } from '../../contracts/stacks.ts';
import { redactUrl } from '../../redact-url.ts';
import { chunkUrl } from '../../table/chunk-keys.ts';
import { TableChunkError, TableTooLargeError } from '../../table/errors.ts';
import type { ChunkRef } from '../../table/manifest.ts';
import { BodyCollector } from './body.ts';
import { isTimeout, TableSourceError, withTimeout, type FetchResult, type TableSource } from './source.ts';

/** A poll that has not answered in this time is a failed poll; the next one starts fresh. */
export const DEFAULT_HTTP_TIMEOUT_MS = 5_000;

export interface HttpSourceOptions {
  readonly url: string;
  /** Bytes; the body is cut off as soon as it passes this, whatever Content-Length said. */
  readonly maxBytes: number;
  readonly timeoutMs?: number;
  /** Sent as the `passage_token` query argument (the CDK table endpoint refuses requests without it). */
  readonly token?: string;
  /** Injected in tests; defaults to the global fetch. */
  readonly fetch?: typeof fetch;
}

export class HttpTableSource implements TableSource {
  readonly description: string;
  private readonly opts: HttpSourceOptions;
  private etag: string | undefined;
  /** The URL fetched: `url` plus the token, which never appears in `description`. */
  private readonly requestUrl: string;

  constructor(opts: HttpSourceOptions) {
    this.opts = opts;
    if (opts.token === undefined) {
      this.requestUrl = opts.url;
    } else {
      const u = new URL(opts.url);
      u.searchParams.set(TABLE_TOKEN_QUERY_PARAMETER, opts.token);
      this.requestUrl = u.toString();
    }
    // Never show credentials or signed query strings (presigned S3 URLs) in logs or /status.
    this.description = redactUrl(opts.url);
  }

  invalidate(): void {
    this.etag = undefined;
  }

  async fetch(signal: AbortSignal): Promise<FetchResult> {
    const timeoutMs = this.opts.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.etag !== undefined) headers['if-none-match'] = this.etag;
    const doFetch = this.opts.fetch ?? fetch;
    const combined = withTimeout(signal, timeoutMs);
    let res: Response;
    try {
      // A token is for this endpoint only: a redirect elsewhere would carry it along, so none is followed.
      res = await doFetch(this.requestUrl, { headers, signal: combined, redirect: this.opts.token === undefined ? 'follow' : 'manual' });
    } catch (cause) {
      throw fetchFailure(cause, this.description, timeoutMs);
    }
    if (res.status === 304) {
      await res.body?.cancel();
      return { kind: 'not_modified' };
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      const code = res.status === 404 ? 'ERR_SOURCE_NOT_FOUND' : 'ERR_SOURCE_HTTP_STATUS';
      throw new TableSourceError(code, `${this.description} answered HTTP ${res.status}`);
    }
    const { bytes, digest } = await readCapped(res, this.opts.maxBytes, this.description, timeoutMs);
    const etag = res.headers.get('etag');
    this.etag = etag ?? undefined;
    return { kind: 'envelope', bytes, digest };
  }

  /** `<url path>.chunks/<sha256>.json`, same query: immutable, so no conditional request. */
  async fetchChunk(ref: ChunkRef, signal: AbortSignal): Promise<Buffer> {
    const timeoutMs = this.opts.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS;
    const url = chunkUrl(this.opts.url, ref.sha256);
    const what = `${this.description} chunk ${ref.sha256.slice(0, 16)}`;
    let res: Response;
    try {
      res = await (this.opts.fetch ?? fetch)(url, { headers: { accept: 'application/json' }, signal: withTimeout(signal, timeoutMs), redirect: 'follow' });
    } catch (cause) {
      throw fetchFailure(cause, what, timeoutMs);
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new TableSourceError(res.status === 404 ? 'ERR_SOURCE_NOT_FOUND' : 'ERR_SOURCE_HTTP_STATUS', `${what} answered HTTP ${res.status}`);
    }
    // One byte over the declared size is enough to refuse it (the hash check names the chunk).
    try {
      return (await readCapped(res, ref.bytes + 1, what, timeoutMs)).bytes;
    } catch (err) {
      if (err instanceof TableTooLargeError) throw new TableChunkError(ref.sha256, `is larger than the ${ref.bytes} bytes the manifest says`, { check: 'size' });
      throw err;
    }
  }
}

/**
 * Reads the body chunk by chunk and stops at the cap, so a huge or endless answer costs at most maxBytes;
 * each chunk is copied into a buffer of the declared size and hashed as it arrives (body.ts).
 */
async function readCapped(res: Response, maxBytes: number, description: string, timeoutMs: number): Promise<{ bytes: Buffer; digest: string }> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) {
    await res.body?.cancel();
    throw new TableTooLargeError(maxBytes, declared);
  }
  const body = new BodyCollector(Number.isNaN(declared) ? undefined : declared);
  if (res.body === null) return body.finish();
  const reader = res.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (body.length + value.byteLength > maxBytes) {
        await reader.cancel();
        // The size seen so far: the rest was never read.
        throw new TableTooLargeError(maxBytes, body.length + value.byteLength);
      }
      body.add(value);
    }
  } catch (cause) {
    if (cause instanceof TableTooLargeError) throw cause;
    throw fetchFailure(cause, description, timeoutMs);
  }
  return body.finish();
}

function fetchFailure(cause: unknown, description: string, timeoutMs: number): TableSourceError {
  if (isTimeout(cause)) return new TableSourceError('ERR_SOURCE_TIMEOUT', `${description} did not answer within ${timeoutMs} ms`, { cause });
  const detail = (cause as { cause?: { code?: string } }).cause?.code ?? (cause as Error).message;
  return new TableSourceError('ERR_SOURCE_UNREACHABLE', `${description} is unreachable (${detail})`, { cause });
}
