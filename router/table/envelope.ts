// Signed routing tables in a DSSE envelope (github.com/secure-systems-lab/dsse): the signature covers
// the exact payload bytes, and the router parses those bytes only after a trusted key has vouched for them.

import { sign, verify, type KeyObject } from 'node:crypto';
import { canonicalBytes } from './canonical.ts';
import {
  TableError,
  TableExpiredError,
  TableMalformedEnvelopeError,
  TableNotYetValidError,
  TableSignatureError,
  TableStaleVersionError,
  TableTooLargeError,
  TableUntrustedKeyError,
  TableValidationError,
  TableWrongIdError,
} from './errors.ts';
import { KEY_ID_LENGTH, keyIdOf } from './keys.ts';
import { parseRoutingTable } from './schema.ts';
import type { RoutingTable } from './types.ts';

export const TABLE_PAYLOAD_TYPE = 'application/vnd.passage.table+json';
/** The routers' default `[table] max_bytes` (router/config/schema.ts reads it), and publish's check of a single envelope. */
export const DEFAULT_MAX_TABLE_BYTES = 4 * 1024 * 1024;
/** The largest `[table] max_bytes` a router takes (1 GiB): about 3 million routes of the benchmark's shape. */
export const MAX_TABLE_BYTES_LIMIT = 1024 * 1024 * 1024;
export const DEFAULT_CLOCK_SKEW_MS = 60_000;
/** Each signature by a trusted key costs a verification; an envelope cannot make us do more than this. */
export const MAX_SIGNATURES = 8;
const ED25519_SIGNATURE_BYTES = 64;
const ENVELOPE_KEYS = ['payloadType', 'payload', 'signatures'];
const SIGNATURE_KEYS = ['keyid', 'sig'];
const KEY_ID_PATTERN = new RegExp(`^[0-9a-f]{${KEY_ID_LENGTH}}$`);

export interface EnvelopeSignature {
  readonly keyid: string;
  /** Standard base64 (RFC 4648 §4, padded) of the 64-byte Ed25519 signature. */
  readonly sig: string;
}

export interface TableEnvelope {
  readonly payloadType: string;
  /** Standard base64 of the RFC 8785 canonical JSON of the table document. */
  readonly payload: string;
  readonly signatures: readonly EnvelopeSignature[];
}

/** The table document as signed: snake_case keys, exactly what the payload bytes encode. */
export type TableDocument = Readonly<Record<string, unknown>>;

export interface VerifiedTable {
  readonly table: RoutingTable;
  readonly document: TableDocument;
  readonly payloadBytes: Buffer;
  /** The trusted key whose signature verified. */
  readonly keyid: string;
}

export interface SignedTable {
  readonly envelope: TableEnvelope;
  readonly table: RoutingTable;
  readonly document: TableDocument;
  readonly payloadBytes: Buffer;
}

export interface SignOptions {
  /** When set, issued_at becomes `now` and expires_at `now + expiresInMs` (the document's own are replaced). */
  readonly expiresInMs?: number;
  /** Milliseconds since the epoch; defaults to Date.now(). */
  readonly now?: number;
}

/**
 * Validates `doc` as a signed table would be validated, canonicalizes it and signs it with every given key
 * (several keys during a rotation, so routers trusting either accept it). The input is not modified.
 */
export function signTable(doc: unknown, privateKeys: KeyObject | readonly KeyObject[], opts: SignOptions = {}): SignedTable {
  if (!isObject(doc)) throw new TableValidationError([{ path: '', message: 'must be a table (JSON object)' }]);
  let document: TableDocument = doc;
  if (opts.expiresInMs !== undefined) {
    if (!Number.isSafeInteger(opts.expiresInMs) || opts.expiresInMs <= 0) {
      throw new RangeError(`expiresInMs must be a positive integer, got ${opts.expiresInMs}`);
    }
    const now = opts.now ?? Date.now();
    document = { ...doc, issued_at: new Date(now).toISOString(), expires_at: new Date(now + opts.expiresInMs).toISOString() };
  }
  const table = parseRoutingTable(document, { requireExpiry: true });
  const payloadBytes = canonicalBytes(document);
  const keys = Array.isArray(privateKeys) ? (privateKeys as readonly KeyObject[]) : [privateKeys as KeyObject];
  if (keys.length === 0) throw new TypeError('signTable needs at least one private key');
  const pae = preAuthEncoding(TABLE_PAYLOAD_TYPE, payloadBytes);
  const signatures = keys.map((key) => {
    if (key.type !== 'private') throw new TypeError('signTable needs Ed25519 private keys');
    return { keyid: keyIdOf(key), sig: sign(null, pae, key).toString('base64') };
  });
  const envelope: TableEnvelope = { payloadType: TABLE_PAYLOAD_TYPE, payload: payloadBytes.toString('base64'), signatures };
  return { envelope, table, document, payloadBytes };
}

/** DSSE v1 pre-authentication encoding: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, LEN in ASCII decimal bytes. */
export function preAuthEncoding(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), payload]);
}

export interface DecodedEnvelope {
  readonly envelope: TableEnvelope;
  readonly payloadBytes: Buffer;
  readonly signatures: readonly { readonly keyid: string; readonly sig: Buffer }[];
}

/** Parses an envelope strictly (exact keys, strict base64, our payload type) without verifying or reading the payload. */
export function decodeEnvelope(json: string | Uint8Array, payloadType: string = TABLE_PAYLOAD_TYPE): DecodedEnvelope {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof json === 'string' ? json : new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch (cause) {
    throw new TableMalformedEnvelopeError('not UTF-8 JSON', { cause });
  }
  const envelope = requireExactKeys(parsed, ENVELOPE_KEYS, 'envelope');
  if (envelope.payloadType !== payloadType) {
    throw new TableMalformedEnvelopeError(`payloadType must be "${payloadType}", got ${JSON.stringify(envelope.payloadType)}`);
  }
  const payloadBytes = decodeBase64(envelope.payload, 'payload');
  const list = envelope.signatures;
  if (!Array.isArray(list) || list.length === 0) throw new TableMalformedEnvelopeError('signatures must be a non-empty array');
  if (list.length > MAX_SIGNATURES) throw new TableMalformedEnvelopeError(`${list.length} signatures, the limit is ${MAX_SIGNATURES}`);
  const signatures = list.map((entry: unknown, i) => {
    const at = `signatures[${i}]`;
    const { keyid, sig } = requireExactKeys(entry, SIGNATURE_KEYS, at);
    if (typeof keyid !== 'string' || !KEY_ID_PATTERN.test(keyid)) {
      throw new TableMalformedEnvelopeError(`${at}.keyid must be ${KEY_ID_LENGTH} lower-case hex characters`);
    }
    const bytes = decodeBase64(sig, `${at}.sig`);
    if (bytes.length !== ED25519_SIGNATURE_BYTES) {
      throw new TableMalformedEnvelopeError(`${at}.sig is ${bytes.length} bytes, an Ed25519 signature is ${ED25519_SIGNATURE_BYTES}`);
    }
    return { keyid, sig: bytes };
  });
  return {
    envelope: {
      payloadType,
      payload: envelope.payload as string,
      signatures: signatures.map((s) => ({ keyid: s.keyid, sig: s.sig.toString('base64') })),
    },
    payloadBytes,
    signatures,
  };
}

export interface VerifyOptions {
  /** Checked against the raw input before anything is parsed. */
  readonly maxBytes: number;
  readonly expectedTableId: string;
  /** Milliseconds since the epoch. */
  readonly now: number;
  /** How far apart the publisher's clock and ours may be. */
  readonly skewMs: number;
  /** Rejects lower versions; an equal version passes, so compareToCurrent can tell a no-op from a conflict. */
  readonly currentVersion?: number;
}

/**
 * Accepts a table only if it is small enough, well-formed, signed by a trusted key over the exact payload
 * bytes, canonical, valid, ours, current and not from a future clock. Throws a TableError otherwise.
 */
export function verifyEnvelope(json: string | Uint8Array, trustedKeys: readonly KeyObject[], opts: VerifyOptions): VerifiedTable {
  const size = typeof json === 'string' ? Buffer.byteLength(json, 'utf8') : json.byteLength;
  if (size > opts.maxBytes) throw new TableTooLargeError(opts.maxBytes, size);

  const { payloadBytes, signatures } = decodeEnvelope(json);
  const keyid = verifiedKeyId(payloadBytes, signatures, trustedKeys);

  // Only now are the bytes trusted enough to parse.
  let document: unknown;
  try {
    document = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(payloadBytes));
  } catch (cause) {
    throw new TableMalformedEnvelopeError('payload is not UTF-8 JSON', { cause });
  }
  // Non-canonical bytes (duplicate keys, "1.0", escapes) could be read differently by another parser.
  if (!isCanonical(document, payloadBytes)) throw new TableMalformedEnvelopeError('payload is not RFC 8785 canonical JSON');

  const table = parseRoutingTable(document, { requireExpiry: true });
  checkTableHeader(table, opts);
  return { table, document: document as TableDocument, payloadBytes, keyid };
}

/** The checks on a signed table's id, validity window and version (shared with chunked tables' manifests). */
export function checkTableHeader(table: RoutingTable, opts: Omit<VerifyOptions, 'maxBytes'>): void {
  if (table.tableId !== opts.expectedTableId) throw new TableWrongIdError(opts.expectedTableId, table.tableId);
  // requireExpiry guarantees both timestamps.
  const expiresAt = table.expiresAt!;
  const issuedAt = table.issuedAt!;
  if (opts.now - opts.skewMs >= expiresAt) throw new TableExpiredError(expiresAt, opts.now, opts.skewMs);
  if (issuedAt > opts.now + opts.skewMs) throw new TableNotYetValidError(issuedAt, opts.now, opts.skewMs);
  if (opts.currentVersion !== undefined && table.version < opts.currentVersion) {
    throw new TableStaleVersionError(table.version, opts.currentVersion);
  }
}

/** The key id of the first trusted key whose signature verifies over the payload (DSSE PAE of `payloadType`). */
export function verifiedKeyId(payloadBytes: Buffer, signatures: DecodedEnvelope['signatures'], trustedKeys: readonly KeyObject[], payloadType: string = TABLE_PAYLOAD_TYPE): string {
  const trusted = new Map(trustedKeys.map((key) => [keyIdOf(key), key] as const));
  const pae = preAuthEncoding(payloadType, payloadBytes);
  let sawTrustedKey = false;
  for (const { keyid, sig } of signatures) {
    const key = trusted.get(keyid);
    if (key === undefined) continue;
    sawTrustedKey = true;
    // One good signature by a trusted key is enough (DSSE); the keyid is only a hint to find the key.
    if (verify(null, pae, key, sig)) return keyid;
  }
  if (!sawTrustedKey) throw new TableUntrustedKeyError(signatures.map((s) => s.keyid));
  throw new TableSignatureError('no signature by a trusted key matches the payload');
}

export function isCanonical(document: unknown, payloadBytes: Buffer): boolean {
  try {
    return canonicalBytes(document).equals(payloadBytes);
  } catch (error) {
    if (error instanceof TableError) return false; // e.g. a lone surrogate escaped in a string
    throw error;
  }
}

export type VersionComparison = 'newer' | 'same' | 'stale' | 'conflict';

export interface TableSnapshot {
  readonly table: Pick<RoutingTable, 'version'>;
  readonly payloadBytes: Uint8Array;
}

/**
 * How a verified table relates to the one held: 'same' (equal version, identical bytes: a no-op) and
 * 'conflict' (equal version, different bytes: two publishers, or a publisher bug) are both not applied.
 */
export function compareToCurrent(next: TableSnapshot, current: TableSnapshot | undefined): VersionComparison {
  if (current === undefined || next.table.version > current.table.version) return 'newer';
  if (next.table.version < current.table.version) return 'stale';
  return Buffer.compare(next.payloadBytes, current.payloadBytes) === 0 ? 'same' : 'conflict';
}

function decodeBase64(value: unknown, what: string): Buffer {
  if (typeof value !== 'string') throw new TableMalformedEnvelopeError(`${what} must be a base64 string`);
  const bytes = Buffer.from(value, 'base64');
  // Buffer.from skips invalid characters and ignores padding bits, so several texts decode alike;
  // accepting only the one canonical spelling means no byte of the envelope can change unnoticed.
  if (bytes.toString('base64') !== value) throw new TableMalformedEnvelopeError(`${what} is not canonical padded base64`);
  return bytes;
}

function requireExactKeys(value: unknown, keys: readonly string[], what: string): Record<string, unknown> {
  if (!isObject(value)) throw new TableMalformedEnvelopeError(`${what} must be a JSON object`);
  for (const key of Object.keys(value)) {
    if (!keys.includes(key)) throw new TableMalformedEnvelopeError(`${what} has unknown key ${JSON.stringify(key)}`);
  }
  for (const key of keys) {
    if (!Object.hasOwn(value, key)) throw new TableMalformedEnvelopeError(`${what} is missing "${key}"`);
  }
  return value;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
