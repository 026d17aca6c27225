// Where a router gets its routing table from. A source only fetches bytes; what they are worth
// (signature, table id, version, expiry) is decided by the poller, the same way for every source.

import { PassageError } from '../../errors.ts';
import type { ChunkRef } from '../../table/manifest.ts';
import type { RoutingTable } from '../../table/types.ts';
import type { ActiveTable } from '../active-table.ts';

export type FetchResult =
  /** A signed envelope as published, not yet verified. */
  | {
      readonly kind: 'envelope';
      readonly bytes: Buffer;
      /** SHA-256 of `bytes` (hex), when the source hashed them as it read them (a big body is never hashed in one step). */
      readonly digest?: string;
    }
  /** A plain local routes file (file source only), already parsed (a big one already built, in a worker thread); accepted only when unsigned tables are allowed. */
  | { readonly kind: 'unsigned'; readonly table: RoutingTable | ActiveTable; readonly bytes: Buffer; readonly digest?: string }
  /** Nothing changed since the last fetch (HTTP 304, the same file). */
  | { readonly kind: 'not_modified' };

export interface TableSource {
  /** Names the source in logs and on /status: `https://…`, `dynamodb://passage/prod`, `file:///etc/…`. */
  readonly description: string;
  /** Fetches the current table. Throws a TableSourceError when the source cannot answer, a TableError when the bytes are refused before verification (size). */
  fetch(signal: AbortSignal): Promise<FetchResult>;
  /** Forgets conditional-request state, so the next fetch returns the bytes even when unchanged. */
  invalidate?(): void;
  /**
   * Fetches one chunk of a chunked table by its hash, reading at most `ref.bytes + 1` bytes (the poller
   * checks size and hash). Throws a TableSourceError when the source cannot answer (ERR_SOURCE_NOT_FOUND:
   * not there, e.g. not yet replicated). A source without it cannot serve chunked tables.
   */
  fetchChunk?(ref: ChunkRef, signal: AbortSignal): Promise<Buffer>;
}

export const SOURCE_ERROR_CODES = [
  'ERR_SOURCE_UNREACHABLE',
  'ERR_SOURCE_TIMEOUT',
  'ERR_SOURCE_HTTP_STATUS',
  'ERR_SOURCE_NOT_FOUND',
  'ERR_SOURCE_BAD_ITEM',
  'ERR_SOURCE_AWS',
  'ERR_SOURCE_FILE',
] as const;
export type SourceErrorCode = (typeof SOURCE_ERROR_CODES)[number];

/** The source could not give us a table this time; the poller backs off and retries. */
export class TableSourceError extends PassageError {
  readonly code: SourceErrorCode;

  constructor(code: SourceErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = 'TableSourceError';
  }
}

/** Rejection reasons the poller adds to the TableError codes of router/table/errors.ts. */
export const REJECTION_UNSIGNED = 'ERR_TABLE_UNSIGNED';
/** The same version with different bytes: two publishers, or a publisher bug. Never applied. */
export const REJECTION_VERSION_CONFLICT = 'ERR_TABLE_VERSION_CONFLICT';
/** Below `[table] min_version`, the floor rendered at deploy time: an old signed table replayed. Never applied. */
export const REJECTION_BELOW_MIN_VERSION = 'ERR_TABLE_BELOW_MIN_VERSION';

/** Aborts when either the caller's signal or the timeout fires; the error says which. */
export function withTimeout(signal: AbortSignal, timeoutMs: number): AbortSignal {
  return AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
}

export function isTimeout(err: unknown): boolean {
  const name = (err as { name?: string } | undefined)?.name;
  return name === 'TimeoutError';
}
