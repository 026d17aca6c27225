// Chunked-table fixtures: big table documents and a table source that serves a manifest and its chunks.
import { sign } from 'node:crypto';
import { canonicalBytes } from '../../router/table/canonical.ts';
import { preAuthEncoding } from '../../router/table/envelope.ts';
import { keyIdOf } from '../../router/table/keys.ts';
import { signChunkedTable, splitTableDocument, TABLE_MANIFEST_PAYLOAD_TYPE, type TableChunk, type ChunkRef } from '../../router/table/manifest.ts';
import { TableSourceError, type FetchResult, type TableSource } from '../../router/routing/sources/source.ts';
import type { KeyObject } from 'node:crypto';

export function manyRoutes(count: number, edit: (i: number) => string = () => ''): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `route-${i}`,
    hosts: [`play${i}.example.com`, `*.net${i}.example.org`],
    status: { motd: `Route ${i}${edit(i)}`, max_players: 500 },
    targets: [{ id: 'a', address: `10.${(i >> 8) & 255}.${i & 255}.1:25565`, meta: { players: '10' } }],
  }));
}

export function bigDocument(tableId: string, count: number, version = 1, edit?: (i: number) => string): Record<string, unknown> {
  return { table_id: tableId, version, routes: manyRoutes(count, edit) };
}

/** Serves the latest published envelope and every chunk ever published; counts chunk reads. */
export class ChunkedSource implements TableSource {
  readonly description = 'chunked://test';
  envelope: Buffer | undefined;
  readonly chunks = new Map<string, Buffer>();
  readonly chunkReads: string[] = [];
  /** Called on every chunk read before it answers (tests start a ping there). */
  onChunkRead: ((ref: ChunkRef) => void) | undefined;

  publish(doc: Record<string, unknown>, key: KeyObject, opts: { now?: number; withhold?: boolean; corrupt?: boolean } = {}): readonly TableChunk[] {
    const signed = signChunkedTable(doc, key, { now: opts.now ?? Date.now(), expiresInMs: 3_600_000 });
    for (const chunk of signed.chunks) {
      if (opts.withhold === true || this.chunks.has(chunk.ref.sha256)) continue;
      this.chunks.set(chunk.ref.sha256, opts.corrupt === true ? Buffer.from(chunk.bytes.toString().replace('Route', 'Rout3')) : chunk.bytes);
    }
    this.envelope = Buffer.from(JSON.stringify(signed.envelope));
    return signed.chunks;
  }

  /** Signs a manifest for `doc` without validating it (a buggy or hostile publisher), issued now, valid an hour. */
  publishUnchecked(doc: Record<string, unknown>, key: KeyObject): void {
    const now = Date.now();
    const dated = { ...doc, issued_at: new Date(now).toISOString(), expires_at: new Date(now + 3_600_000).toISOString() };
    const { manifest, chunks } = splitTableDocument(dated);
    for (const chunk of chunks) this.chunks.set(chunk.ref.sha256, chunk.bytes);
    const payload = canonicalBytes(manifest);
    const sig = sign(null, preAuthEncoding(TABLE_MANIFEST_PAYLOAD_TYPE, payload), key).toString('base64');
    this.envelope = Buffer.from(JSON.stringify({ payloadType: TABLE_MANIFEST_PAYLOAD_TYPE, payload: payload.toString('base64'), signatures: [{ keyid: keyIdOf(key), sig }] }));
  }

  async fetch(): Promise<FetchResult> {
    if (this.envelope === undefined) throw new TableSourceError('ERR_SOURCE_NOT_FOUND', 'nothing published');
    return { kind: 'envelope', bytes: this.envelope };
  }

  async fetchChunk(ref: ChunkRef): Promise<Buffer> {
    this.chunkReads.push(ref.sha256);
    this.onChunkRead?.(ref);
    const bytes = this.chunks.get(ref.sha256);
    if (bytes === undefined) throw new TableSourceError('ERR_SOURCE_NOT_FOUND', `no chunk ${ref.sha256}`);
    return bytes;
  }
}
