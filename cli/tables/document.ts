// Reading routing tables as operators write them (routes.toml, JSON) or as they are published (signed
// envelopes), for every `passagectl table` command. Validation is the router's own (router/table/).

import { open, readFile } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import { decodeEnvelope, type TableDocument } from '../../router/table/envelope.ts';
import {
  assembleDocument,
  decodeChunk,
  decodeManifestPayload,
  envelopePayloadType,
  parseManifestHeader,
  MAX_CHUNK_BYTES,
  TABLE_MANIFEST_PAYLOAD_TYPE,
  type ManifestDocument,
  type TableChunk,
} from '../../router/table/manifest.ts';
import { parseRoutingTable } from '../../router/table/schema.ts';
import { chunkObjectKey, chunkPrefix } from '../../router/table/chunk-keys.ts';
import type { RoutingTable } from '../../router/table/types.ts';
import { loadFavicon } from '../../router/table/favicon.ts';
import { tomlToJsonValues } from '../../router/table/toml.ts';
import { TableError } from '../../router/table/errors.ts';
import { CliError, EXIT_FAILURE } from '../context.ts';


export interface PlainTable {
  readonly kind: 'plain';
  /** snake_case, favicons inlined: ready to sign. */
  readonly document: Record<string, unknown>;
  readonly table: RoutingTable;
}

export interface EnvelopeTable {
  readonly kind: 'envelope';
  readonly envelopeText: string;
  /** A chunked table decoded from its manifest alone (decodePublished): the header, without routes. */
  readonly document: TableDocument;
  /** Likewise: a chunked table's routes are here once its chunks are read (readPublished). */
  readonly table: RoutingTable;
  /** Key ids that signed it (not verified here: routers verify). */
  readonly keyids: readonly string[];
  /** Set for a chunked table: the signed manifest. */
  readonly manifest?: ManifestDocument;
  /** Set when the chunks are at hand (signed here, to be published). */
  readonly chunks?: readonly TableChunk[];
}

export type LocalTable = PlainTable | EnvelopeTable;

export async function readTableFile(file: string): Promise<LocalTable> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    const code = (cause as { code?: string }).code;
    throw new CliError('PASSAGE_FILE', `${file}: ${code === 'ENOENT' ? 'file not found' : `cannot read (${code ?? String(cause)})`}`);
  }
  const isJson = extname(file) === '.json';
  let doc: unknown;
  try {
    doc = isJson ? JSON.parse(text) : tomlToJsonValues(parseToml(text));
  } catch (cause) {
    const where = cause instanceof TomlError ? ` (line ${cause.line}, column ${cause.column})` : '';
    throw new CliError('PASSAGE_TABLE_SYNTAX', `${file}: invalid ${isJson ? 'JSON' : 'TOML'}${where}: ${(cause as Error).message.split('\n')[0]}`);
  }
  // A chunked table signed by `table sign --out FILE` keeps its chunks beside it, in FILE.chunks/.
  if (isJson && isObject(doc) && 'payloadType' in doc) return readPublished(localChunks(file), text, file);
  if (!isObject(doc)) throw new CliError('PASSAGE_TABLE_SYNTAX', `${file}: a routing table must be a TOML or JSON table`);
  const document = inlineFavicons(doc, dirname(resolve(file)), file);
  return { kind: 'plain', document, table: withName(file, () => parseRoutingTable(document)) };
}

/** Decodes a published envelope without verifying it (passagectl holds no trust anchors; routers do). */
export function decodePublished(envelopeText: string, name: string): EnvelopeTable {
  return withName(name, () => {
    if (envelopePayloadType(envelopeText) === TABLE_MANIFEST_PAYLOAD_TYPE) {
      const decoded = decodeEnvelope(envelopeText, TABLE_MANIFEST_PAYLOAD_TYPE);
      const manifest = decodeManifestPayload(decoded.payloadBytes);
      const keyids = decoded.signatures.map((s) => s.keyid);
      return { kind: 'envelope', envelopeText, document: manifest.table, table: parseManifestHeader(manifest), keyids, manifest };
    }
    const decoded = decodeEnvelope(envelopeText);
    const document = JSON.parse(decoded.payloadBytes.toString('utf8')) as TableDocument;
    const table = parseRoutingTable(document, { requireExpiry: true });
    return { kind: 'envelope', envelopeText, document, table, keyids: decoded.signatures.map((s) => s.keyid) };
  });
}

/** Where readPublished reads a chunked table's chunks (a PublishedTableStore). */
export interface ChunkStore {
  readChunk(sha256: string): Promise<Buffer | undefined>;
  /** Where a missing chunk was looked for, for the message (default: "the store"). */
  readonly chunksAt?: string;
}

/** A published table, whole: a chunked one's chunks are read from `store`, checked against the manifest, and kept (publish writes them). */
export async function readPublished(store: ChunkStore, envelopeText: string, name: string): Promise<EnvelopeTable> {
  const published = decodePublished(envelopeText, name);
  const manifest = published.manifest;
  if (manifest === undefined) return published;
  const routes: unknown[][] = [];
  const chunks: TableChunk[] = [];
  for (const ref of manifest.chunks) {
    const bytes = await store.readChunk(ref.sha256);
    if (bytes === undefined) throw new CliError('ERR_TABLE_CHUNK', `${name}: chunk ${ref.sha256} named by the manifest is missing from ${store.chunksAt ?? 'the store'}`);
    routes.push(withName(name, () => decodeChunk(bytes, ref)));
    chunks.push({ ref, bytes });
  }
  const document = assembleDocument(manifest, routes);
  return { ...published, document, table: withName(name, () => parseRoutingTable(document, { requireExpiry: true })), chunks };
}

/** The chunks beside a local manifest file (FILE.chunks/<sha256>.json), each read up to one byte past the largest chunk. */
export function localChunks(file: string): ChunkStore {
  return {
    chunksAt: `${chunkPrefix(file)} (\`passagectl table sign --out ${file}\` writes the chunks there)`,
    readChunk: (sha256) => readBoundedFile(chunkObjectKey(file, sha256), MAX_CHUNK_BYTES + 1),
  };
}

/** At most `limit` bytes of `path`, or undefined when it does not exist. */
export async function readBoundedFile(path: string, limit: number): Promise<Buffer | undefined> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return undefined;
    throw new CliError('PASSAGE_FILE', `${path}: cannot read (${(err as { code?: string }).code ?? String(err)})`);
  }
  try {
    const buffer = Buffer.alloc(limit);
    let length = 0;
    while (length < limit) {
      const { bytesRead } = await handle.read(buffer, length, limit - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}

/** Routes in a published table, without reading a chunked table's chunks. */
export function routeCount(published: EnvelopeTable): number {
  return published.manifest === undefined ? published.table.routes.length : published.manifest.chunks.reduce((n, c) => n + c.routes, 0);
}

/** Prefixes TableErrors with where the table came from, keeping their code for --json. */
function withName<T>(name: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof TableError) throw new CliError(err.code, `${name}: ${err.message}`, EXIT_FAILURE, { cause: err });
    if (err instanceof SyntaxError) throw new CliError('ERR_TABLE_MALFORMED_ENVELOPE', `${name}: payload is not JSON`, EXIT_FAILURE, { cause: err });
    throw err;
  }
}

/** A signed table travels to routers that cannot read the operator's files: favicon paths become data URIs. */
function inlineFavicons(doc: Record<string, unknown>, baseDir: string, file: string): Record<string, unknown> {
  if (!Array.isArray(doc.routes)) return doc;
  const routes = doc.routes.map((route: unknown, i) => {
    if (!isObject(route) || !isObject(route.status) || typeof route.status.favicon !== 'string') return route;
    const favicon = route.status.favicon;
    if (favicon.startsWith('data:')) return route;
    // The router refuses anything but a 64×64 PNG, so refuse it before signing, with the router's own loader.
    try {
      return { ...route, status: { ...route.status, favicon: loadFavicon(favicon, baseDir) } };
    } catch (err) {
      throw new CliError('PASSAGE_FAVICON', `${file}: routes[${i}].status.favicon: ${(err as Error).message}`);
    }
  });
  return { ...doc, routes };
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** "lobby: 2 routes, 5 targets" style counts. */
export function countTargets(table: RoutingTable): number {
  return table.routes.reduce((n, r) => n + r.targets.length, 0);
}
