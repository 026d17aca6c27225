// Chunked, content-addressed routing tables (docs/TABLES.md, "Chunked tables"). A table too large for
// one DynamoDB item (or too costly to re-send whole for a one-route change) is published as a signed
// manifest, a DSSE envelope like the single-envelope format, whose payload names the table header
// (everything but `routes`) and the SHA-256 of each chunk; a chunk is the RFC 8785 canonical JSON of a
// run of consecutive routes and is stored under its hash. The signature covers the hashes, so a chunk
// needs no signature of its own: a router checks its hash before reading it.
//
// Chunk boundaries are content-defined at route granularity: a chunk ends after a route whose id hashes
// to 0 mod TARGET_ROUTES_PER_CHUNK (or when a size cap is reached). Changing one route changes one chunk;
// adding or removing one changes at most two. Route order is kept, so the assembled document is exactly
// the document a single envelope would carry.

import { createHash, sign, type KeyObject } from 'node:crypto';
import { canonicalBytes } from './canonical.ts';
import {
  checkTableHeader,
  decodeEnvelope,
  isCanonical,
  isObject,
  preAuthEncoding,
  verifiedKeyId,
  type TableDocument,
  type TableEnvelope,
  type VerifyOptions,
} from './envelope.ts';
import { TableChunkError, TableError, TableMalformedEnvelopeError, TableTooLargeError, TableValidationError } from './errors.ts';
import { keyIdOf } from './keys.ts';
import { parseRoutingTable } from './schema.ts';
import type { RoutingTable } from './types.ts';

export const TABLE_MANIFEST_PAYLOAD_TYPE = 'application/vnd.passage.table-manifest+json';
/** The mean chunk length, in routes: about 12 KiB for the benchmark's routes. */
export const TARGET_ROUTES_PER_CHUNK = 128;
/**
 * A chunk never holds more routes than this, nor more bytes (below DynamoDB's 400 KB item limit, and
 * quick to decode). A cap cuts a chunk where the route ids did not ask for it, which can shift the
 * cuts after it, so the caps sit far above the mean length: they are rarely reached.
 */
export const MAX_CHUNK_ROUTES = 4096;
export const MAX_CHUNK_BYTES = 256 * 1024;
/** A manifest lists at most this many chunks (typically 250,000 routes), so the manifest itself fits one DynamoDB item. */
export const MAX_MANIFEST_CHUNKS = 2048;
/** `passagectl table publish` chunks a table whose canonical payload is larger than this (a DynamoDB item holds ~290 KiB of payload). */
export const CHUNKED_PUBLISH_THRESHOLD_BYTES = 192 * 1024;
const SHA256_PATTERN = /^[0-9a-f]{64}$/;
const MANIFEST_KEYS = ['table', 'chunks'];
const CHUNK_REF_KEYS = ['sha256', 'bytes', 'routes'];

/** One manifest entry: the chunk's SHA-256 (lower-case hex, its storage key), its size in bytes and its number of routes. */
export interface ChunkRef {
  readonly sha256: string;
  readonly bytes: number;
  readonly routes: number;
}

export interface TableChunk {
  readonly ref: ChunkRef;
  /** Canonical JSON of an array of route documents. */
  readonly bytes: Buffer;
}

/** The manifest payload: `{ "table": <the table document without routes>, "chunks": [ChunkRef…] }`. */
export interface ManifestDocument {
  readonly table: TableDocument;
  readonly chunks: readonly ChunkRef[];
}

export interface SignedChunkedTable {
  readonly envelope: TableEnvelope;
  /** The whole table, parsed from the document that was split. */
  readonly table: RoutingTable;
  readonly document: TableDocument;
  readonly manifest: ManifestDocument;
  readonly payloadBytes: Buffer;
  readonly chunks: readonly TableChunk[];
}

export interface VerifiedManifest {
  readonly manifest: ManifestDocument;
  /** The table header, validated as a table with no routes (id, version, timestamps, messages…). */
  readonly header: RoutingTable;
  readonly payloadBytes: Buffer;
  readonly keyid: string;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Splits route documents into content-defined chunks (see the file comment). */
export function chunkRouteDocuments(routes: readonly unknown[]): TableChunk[] {
  const chunks: TableChunk[] = [];
  let run: Buffer[] = [];
  let runBytes = 2; // "[" and "]"
  const close = (): void => {
    if (run.length === 0) return;
    const parts: Buffer[] = [Buffer.from('[')];
    run.forEach((part, i) => parts.push(...(i === 0 ? [part] : [Buffer.from(','), part])));
    parts.push(Buffer.from(']'));
    const bytes = Buffer.concat(parts);
    chunks.push({ ref: { sha256: sha256Hex(bytes), bytes: bytes.length, routes: run.length }, bytes });
    run = [];
    runBytes = 2;
  };
  routes.forEach((route, i) => {
    const bytes = canonicalBytes(route);
    if (bytes.length + 2 > MAX_CHUNK_BYTES) {
      throw new TableValidationError([{ path: `routes[${i}]`, message: `is ${bytes.length} bytes of canonical JSON, more than a chunk holds (${MAX_CHUNK_BYTES - 2})` }]);
    }
    if (run.length > 0 && runBytes + 1 + bytes.length > MAX_CHUNK_BYTES) close();
    runBytes += (run.length > 0 ? 1 : 0) + bytes.length;
    run.push(bytes);
    if (run.length >= MAX_CHUNK_ROUTES || endsChunk(route)) close();
  });
  close();
  return chunks;
}

/** The content-defined boundary: a function of the route's id only, so editing a route never moves one. */
function endsChunk(route: unknown): boolean {
  const id = isObject(route) && typeof route.id === 'string' ? route.id : canonicalBytes(route).toString('utf8');
  return createHash('sha256').update(id).digest().readUInt32BE(0) % TARGET_ROUTES_PER_CHUNK === 0;
}

/** The manifest and chunks for a (validated) table document. */
export function splitTableDocument(document: TableDocument): { readonly manifest: ManifestDocument; readonly chunks: readonly TableChunk[] } {
  const { routes, ...header } = document;
  const chunks = chunkRouteDocuments(Array.isArray(routes) ? routes : []);
  if (chunks.length > MAX_MANIFEST_CHUNKS) {
    throw new TableValidationError([{ path: 'routes', message: `makes ${chunks.length} chunks, a manifest lists at most ${MAX_MANIFEST_CHUNKS}` }]);
  }
  return { manifest: { table: header, chunks: chunks.map((c) => c.ref) }, chunks };
}

/** The document a manifest and its chunks' route documents (in manifest order) stand for. */
export function assembleDocument(manifest: ManifestDocument, chunkRoutes: readonly (readonly unknown[])[]): TableDocument {
  return { ...manifest.table, routes: chunkRoutes.flat() };
}

/**
 * Like signTable, for the chunked format: validates the document as a signed table, splits it, and
 * signs the manifest with every key. Options as signTable's (expiry is set before splitting).
 */
export function signChunkedTable(doc: unknown, privateKeys: KeyObject | readonly KeyObject[], opts: { expiresInMs?: number; now?: number } = {}): SignedChunkedTable {
  if (!isObject(doc)) throw new TableValidationError([{ path: '', message: 'must be a table (JSON object)' }]);
  let document: TableDocument = doc;
  if (opts.expiresInMs !== undefined) {
    if (!Number.isSafeInteger(opts.expiresInMs) || opts.expiresInMs <= 0) throw new RangeError(`expiresInMs must be a positive integer, got ${opts.expiresInMs}`);
    const now = opts.now ?? Date.now();
    document = { ...doc, issued_at: new Date(now).toISOString(), expires_at: new Date(now + opts.expiresInMs).toISOString() };
  }
  const table = parseRoutingTable(document, { requireExpiry: true });
  const { manifest, chunks } = splitTableDocument(document);
  const payloadBytes = canonicalBytes(manifest);
  const keys = Array.isArray(privateKeys) ? (privateKeys as readonly KeyObject[]) : [privateKeys as KeyObject];
  if (keys.length === 0) throw new TypeError('signChunkedTable needs at least one private key');
  const pae = preAuthEncoding(TABLE_MANIFEST_PAYLOAD_TYPE, payloadBytes);
  const signatures = keys.map((key) => {
    if (key.type !== 'private') throw new TypeError('signChunkedTable needs Ed25519 private keys');
    return { keyid: keyIdOf(key), sig: sign(null, pae, key).toString('base64') };
  });
  const envelope: TableEnvelope = { payloadType: TABLE_MANIFEST_PAYLOAD_TYPE, payload: payloadBytes.toString('base64'), signatures };
  return { envelope, table, document, manifest, payloadBytes, chunks };
}

/** The payloadType of an envelope, without checking anything else (undefined when it has none). */
export function envelopePayloadType(json: string | Uint8Array): string | undefined {
  try {
    const parsed: unknown = JSON.parse(typeof json === 'string' ? json : Buffer.from(json.buffer, json.byteOffset, json.byteLength).toString('utf8'));
    return isObject(parsed) && typeof parsed.payloadType === 'string' ? parsed.payloadType : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Accepts a manifest only if it passes every check verifyEnvelope makes of a table (size, shape, a
 * trusted signature over the exact bytes, canonical JSON, a valid header, id, validity window, version),
 * and its chunk list is well-formed: at most MAX_MANIFEST_CHUNKS entries, each within the chunk caps,
 * together at most `maxBytes`.
 */
export function verifyManifestEnvelope(json: string | Uint8Array, trustedKeys: readonly KeyObject[], opts: VerifyOptions): VerifiedManifest {
  const size = typeof json === 'string' ? Buffer.byteLength(json, 'utf8') : json.byteLength;
  if (size > opts.maxBytes) throw new TableTooLargeError(opts.maxBytes, size);
  const { payloadBytes, signatures } = decodeEnvelope(json, TABLE_MANIFEST_PAYLOAD_TYPE);
  const keyid = verifiedKeyId(payloadBytes, signatures, trustedKeys, TABLE_MANIFEST_PAYLOAD_TYPE);
  const manifest = decodeManifestPayload(payloadBytes);
  const declared = manifest.chunks.reduce((sum, c) => sum + c.bytes, 0);
  if (declared > opts.maxBytes) throw new TableTooLargeError(opts.maxBytes, declared);
  const header = parseManifestHeader(manifest);
  checkTableHeader(header, opts);
  return { manifest, header, payloadBytes, keyid };
}

/** Parses manifest payload bytes strictly (UTF-8, canonical JSON, exact keys, bounded chunk list); no signature check. */
export function decodeManifestPayload(payloadBytes: Buffer): ManifestDocument {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(payloadBytes));
  } catch (cause) {
    throw new TableMalformedEnvelopeError('manifest payload is not UTF-8 JSON', { cause });
  }
  if (!isCanonical(parsed, payloadBytes)) throw new TableMalformedEnvelopeError('manifest payload is not RFC 8785 canonical JSON');
  const doc = exactKeys(parsed, MANIFEST_KEYS, 'manifest');
  if (!isObject(doc.table)) throw new TableMalformedEnvelopeError('manifest.table must be a JSON object');
  if (Object.hasOwn(doc.table, 'routes')) throw new TableMalformedEnvelopeError('manifest.table must not hold routes (they are in the chunks)');
  const list = doc.chunks;
  if (!Array.isArray(list) || list.length === 0) throw new TableMalformedEnvelopeError('manifest.chunks must be a non-empty array');
  if (list.length > MAX_MANIFEST_CHUNKS) throw new TableMalformedEnvelopeError(`manifest lists ${list.length} chunks, the limit is ${MAX_MANIFEST_CHUNKS}`);
  const chunks = list.map((entry: unknown, i): ChunkRef => {
    const at = `manifest.chunks[${i}]`;
    const ref = exactKeys(entry, CHUNK_REF_KEYS, at);
    if (typeof ref.sha256 !== 'string' || !SHA256_PATTERN.test(ref.sha256)) throw new TableMalformedEnvelopeError(`${at}.sha256 must be 64 lower-case hex characters`);
    if (!isCount(ref.bytes, 2, MAX_CHUNK_BYTES)) throw new TableMalformedEnvelopeError(`${at}.bytes must be an integer from 2 to ${MAX_CHUNK_BYTES}, got ${JSON.stringify(ref.bytes)}`);
    if (!isCount(ref.routes, 1, MAX_CHUNK_ROUTES)) throw new TableMalformedEnvelopeError(`${at}.routes must be an integer from 1 to ${MAX_CHUNK_ROUTES}, got ${JSON.stringify(ref.routes)}`);
    return { sha256: ref.sha256, bytes: ref.bytes as number, routes: ref.routes as number };
  });
  return { table: doc.table, chunks };
}

/** The header as a table with no routes: every table-level check of the schema, before any chunk is fetched. */
export function parseManifestHeader(manifest: ManifestDocument): RoutingTable {
  return parseRoutingTable({ ...manifest.table, routes: [] }, { requireExpiry: true });
}

/** Checks a fetched chunk against its manifest entry (size, SHA-256, a canonical JSON array of `routes` objects) and returns its route documents. */
export function decodeChunk(bytes: Uint8Array, ref: ChunkRef): unknown[] {
  return [...chunkDocuments(bytes, ref)];
}

/**
 * decodeChunk one route at a time, for a caller that works in slices. The size, the SHA-256 and the
 * JSON array shape are checked before the first document; each document is checked to be the next
 * canonical bytes of the chunk before it is handed out (re-serializing a whole 256 KiB chunk at once
 * takes 15 ms, one route some µs), and the closing bracket after the last one.
 */
export function* chunkDocuments(bytes: Uint8Array, ref: ChunkRef): Generator<Record<string, unknown>, void, undefined> {
  if (bytes.byteLength !== ref.bytes) throw new TableChunkError(ref.sha256, `is ${bytes.byteLength} bytes, the manifest says ${ref.bytes}`, { check: 'size' });
  if (sha256Hex(bytes) !== ref.sha256) throw new TableChunkError(ref.sha256, 'SHA-256 does not match the manifest', { check: 'sha256' });
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(buffer));
  } catch (cause) {
    throw new TableChunkError(ref.sha256, 'is not UTF-8 JSON', { cause });
  }
  if (!Array.isArray(parsed) || parsed.length !== ref.routes || !parsed.every(isObject)) {
    throw new TableChunkError(ref.sha256, `must be a JSON array of ${ref.routes} route objects`);
  }
  // The canonical form of an array of objects is "[" + the items' canonical forms joined by "," + "]".
  let offset = 0;
  for (const document of parsed as Record<string, unknown>[]) {
    if (buffer[offset] !== (offset === 0 ? OPEN_BRACKET : COMMA)) throw notCanonical(ref);
    offset = matchCanonical(document, buffer, offset + 1, ref);
    yield document;
  }
  if (buffer[offset] !== CLOSE_BRACKET || offset + 1 !== buffer.length) throw notCanonical(ref);
}

const OPEN_BRACKET = 0x5b;
const COMMA = 0x2c;
const CLOSE_BRACKET = 0x5d;

/** The offset after `document`'s canonical bytes, which must appear in `buffer` at `offset`. */
function matchCanonical(document: unknown, buffer: Buffer, offset: number, ref: ChunkRef): number {
  let canonical: Buffer;
  try {
    canonical = canonicalBytes(document);
  } catch (error) {
    // e.g. a lone surrogate escaped in a string
    if (error instanceof TableError) throw notCanonical(ref);
    throw error;
  }
  const end = offset + canonical.length;
  if (end > buffer.length || canonical.compare(buffer, offset, end) !== 0) throw notCanonical(ref);
  return end;
}

function notCanonical(ref: ChunkRef): TableChunkError {
  return new TableChunkError(ref.sha256, 'is not RFC 8785 canonical JSON');
}

function isCount(value: unknown, min: number, max: number): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max;
}

function exactKeys(value: unknown, keys: readonly string[], what: string): Record<string, unknown> {
  if (!isObject(value)) throw new TableMalformedEnvelopeError(`${what} must be a JSON object`);
  for (const key of Object.keys(value)) if (!keys.includes(key)) throw new TableMalformedEnvelopeError(`${what} has unknown key ${JSON.stringify(key)}`);
  for (const key of keys) if (!Object.hasOwn(value, key)) throw new TableMalformedEnvelopeError(`${what} is missing "${key}"`);
  return value;
}
