// Every way a routing table can be refused, in one place. The `code` strings are stable: the router
// counts rejections by code and shows the last one on /status, and tests pin them.

import { PassageError } from '../errors.ts';

export const TABLE_ERROR_CODES = [
  'ERR_TABLE_INVALID',
  'ERR_TABLE_SIGNATURE',
  'ERR_TABLE_UNTRUSTED_KEY',
  'ERR_TABLE_WRONG_ID',
  'ERR_TABLE_STALE_VERSION',
  'ERR_TABLE_EXPIRED',
  'ERR_TABLE_NOT_YET_VALID',
  'ERR_TABLE_TOO_LARGE',
  'ERR_TABLE_MALFORMED_ENVELOPE',
  'ERR_TABLE_NOT_CANONICAL_JSON',
  'ERR_TABLE_KEY',
  'ERR_TABLE_CHUNK',
] as const;
export type TableErrorCode = (typeof TABLE_ERROR_CODES)[number];

export class TableError extends PassageError {
  readonly code: TableErrorCode;

  constructor(code: TableErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** One thing wrong with a table document; `path` looks like `routes[2].targets[0].address`. */
export interface TableProblem {
  readonly path: string;
  readonly message: string;
}

export class TableValidationError extends TableError {
  readonly problems: readonly TableProblem[];

  constructor(problems: readonly TableProblem[]) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    const lines = problems.map((p) => `  ${p.path || '(document)'}: ${p.message}`);
    super('ERR_TABLE_INVALID', `routing table is invalid (${count}):\n${lines.join('\n')}`);
    this.problems = problems;
  }
}

export class TableSignatureError extends TableError {
  constructor(message: string) {
    super('ERR_TABLE_SIGNATURE', message);
  }
}

export class TableUntrustedKeyError extends TableError {
  /** The key ids the envelope named, none of which is trusted. */
  readonly keyids: readonly string[];

  constructor(keyids: readonly string[]) {
    super('ERR_TABLE_UNTRUSTED_KEY', `no signature by a trusted key (envelope signed by: ${keyids.join(', ') || 'nobody'})`);
    this.keyids = keyids;
  }
}

export class TableWrongIdError extends TableError {
  readonly expected: string;
  readonly actual: string;

  constructor(expected: string, actual: string) {
    super('ERR_TABLE_WRONG_ID', `table_id is "${actual}", this router serves "${expected}"`);
    this.expected = expected;
    this.actual = actual;
  }
}

export class TableStaleVersionError extends TableError {
  readonly version: number;
  readonly currentVersion: number;

  constructor(version: number, currentVersion: number) {
    super('ERR_TABLE_STALE_VERSION', `table version ${version} is older than the current version ${currentVersion}`);
    this.version = version;
    this.currentVersion = currentVersion;
  }
}

export class TableExpiredError extends TableError {
  readonly expiresAt: number;
  readonly now: number;
  readonly skewMs: number;

  constructor(expiresAt: number, now: number, skewMs: number) {
    super(
      'ERR_TABLE_EXPIRED',
      `table expired at ${new Date(expiresAt).toISOString()} (now ${new Date(now).toISOString()}, skew allowed ${skewMs} ms)`,
    );
    this.expiresAt = expiresAt;
    this.now = now;
    this.skewMs = skewMs;
  }
}

/** issued_at lies further in the future than clock skew explains: a wrong clock on one side. */
export class TableNotYetValidError extends TableError {
  readonly issuedAt: number;
  readonly now: number;
  readonly skewMs: number;

  constructor(issuedAt: number, now: number, skewMs: number) {
    super(
      'ERR_TABLE_NOT_YET_VALID',
      `table issued_at ${new Date(issuedAt).toISOString()} is in the future (now ${new Date(now).toISOString()}, skew allowed ${skewMs} ms)`,
    );
    this.issuedAt = issuedAt;
    this.now = now;
    this.skewMs = skewMs;
  }
}

export class TableTooLargeError extends TableError {
  readonly limit: number;
  readonly size: number;

  constructor(limit: number, size: number) {
    super('ERR_TABLE_TOO_LARGE', `table envelope is ${size} bytes, the limit is ${limit}`);
    this.limit = limit;
    this.size = size;
  }
}

export class TableMalformedEnvelopeError extends TableError {
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_TABLE_MALFORMED_ENVELOPE', `malformed table envelope: ${message}`, options);
  }
}

/** A value that RFC 8785 cannot serialize (NaN, undefined, a Date, a cycle…); `path` locates it. */
export class CanonicalJsonError extends TableError {
  readonly path: string;

  constructor(path: string, message: string) {
    super('ERR_TABLE_NOT_CANONICAL_JSON', `${path || '(value)'}: ${message}`);
    this.path = path;
  }
}

/** A key file that cannot be used; the message always names the file. */
export class TableKeyError extends TableError {
  readonly file: string;

  constructor(file: string, message: string, options?: ErrorOptions) {
    super('ERR_TABLE_KEY', `${file}: ${message}`, options);
    this.file = file;
  }
}

/** Which check a chunk failed: its size, its SHA-256, or its content (JSON, canonical form, route count). */
export const CHUNK_CHECKS = ['size', 'sha256', 'content'] as const;
export type ChunkCheck = (typeof CHUNK_CHECKS)[number];

/** A chunk of a chunked table that does not match its manifest entry (size, SHA-256, shape); `sha256` names it. */
export class TableChunkError extends TableError {
  readonly sha256: string;
  /** The failed check: a bounded metric label (passage_table_chunk_failures_total). */
  readonly check: ChunkCheck;

  /** What is wrong with it, without the chunk's name (the message is both). */
  readonly detail: string;

  constructor(sha256: string, message: string, options?: ErrorOptions & { readonly check?: ChunkCheck }) {
    super('ERR_TABLE_CHUNK', `chunk ${sha256.slice(0, 16)}…: ${message}`, options);
    this.sha256 = sha256;
    this.detail = message;
    this.check = options?.check ?? 'content';
  }
}
