// The table from a local file: a signed envelope (JSON with `payloadType`), or a plain routes file
// (TOML, or the same shape as JSON) for a single router or development. Re-read on every poll; an
// unchanged file is "not modified", so editing routes.toml (and raising its version) reloads it.

import { open } from 'node:fs/promises';
import { extname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chunkObjectKey } from '../../table/chunk-keys.ts';
import type { ChunkRef } from '../../table/manifest.ts';
import { parseTableFile, TableFileError } from '../file-source.ts';
import { BodyCollector } from './body.ts';
import { FILE_INLINE_MAX_BYTES, loadFileOffThread } from './file-off-thread.ts';
import { TableSourceError, type FetchResult, type TableSource } from './source.ts';

export class FileTableSource implements TableSource {
  readonly description: string;
  private readonly path: string;
  private lastDigest: string | undefined;

  /** Files up to this size are read on the event loop (a few ms); bigger ones in a worker thread. */
  private readonly inlineMaxBytes: number;

  constructor(path: string, opts: { readonly inlineMaxBytes?: number } = {}) {
    this.path = path;
    this.description = pathToFileURL(path).href;
    this.inlineMaxBytes = opts.inlineMaxBytes ?? FILE_INLINE_MAX_BYTES;
  }

  invalidate(): void {
    this.lastDigest = undefined;
  }

  async fetch(signal?: AbortSignal): Promise<FetchResult> {
    let bytes: Buffer;
    let digest: string;
    try {
      ({ bytes, digest } = await readInPieces(this.path));
    } catch (cause) {
      const code = (cause as { code?: string }).code;
      throw new TableSourceError('ERR_SOURCE_FILE', `${this.path}: ${code === 'ENOENT' ? 'file not found' : `cannot read (${code ?? String(cause)})`}`, { cause });
    }
    if (digest === this.lastDigest) return { kind: 'not_modified' };
    this.lastDigest = digest;
    let table;
    try {
      if (bytes.length > this.inlineMaxBytes) {
        // A big file is read in a worker thread, which builds its table too: 10,000 routes of TOML are
        // ~150 ms of parsing and validating, a stall of every ping and login if done here.
        const loaded = await loadFileOffThread(this.path, bytes, signal);
        if (loaded.kind === 'envelope') return { kind: 'envelope', bytes, digest };
        return { kind: 'unsigned', table: loaded.table, bytes, digest };
      }
      if (isEnvelopeFile(this.path, bytes)) return { kind: 'envelope', bytes, digest };
      // Favicon paths resolve next to the file, as they always have for routes.toml.
      table = parseTableFile(this.path, bytes.toString('utf8'));
    } catch (err) {
      // A broken file must be read again on the next poll, after the operator has fixed it.
      this.lastDigest = undefined;
      if (err instanceof TableFileError) throw new TableSourceError('ERR_SOURCE_FILE', err.message, { cause: err });
      throw err;
    }
    return { kind: 'unsigned', table, bytes, digest };
  }

  /** A chunked table published with `passagectl table publish --to file://PATH` keeps its chunks in PATH.chunks/. */
  async fetchChunk(ref: ChunkRef): Promise<Buffer> {
    const file = chunkObjectKey(this.path, ref.sha256);
    try {
      const handle = await open(file, 'r');
      try {
        const buffer = Buffer.alloc(ref.bytes + 1);
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
        return buffer.subarray(0, bytesRead);
      } finally {
        await handle.close();
      }
    } catch (cause) {
      const code = (cause as { code?: string }).code;
      throw new TableSourceError(code === 'ENOENT' ? 'ERR_SOURCE_NOT_FOUND' : 'ERR_SOURCE_FILE', `${file}: ${code === 'ENOENT' ? 'chunk file not found' : `cannot read (${code ?? String(cause)})`}`, { cause });
    }
  }
}

/** Bytes read per step: the file is re-read on every poll, and hashed and copied a piece at a time (body.ts). */
const FILE_PIECE_BYTES = 1024 * 1024;

/** The file's bytes and SHA-256, read FILE_PIECE_BYTES at a time (up to the size it had when opened). */
async function readInPieces(path: string): Promise<{ bytes: Buffer; digest: string }> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const body = new BodyCollector(size);
    const piece = Buffer.allocUnsafeSlow(Math.min(FILE_PIECE_BYTES, Math.max(size, 1)));
    while (body.length < size) {
      const { bytesRead } = await handle.read(piece, 0, Math.min(piece.length, size - body.length), body.length);
      if (bytesRead === 0) break;
      body.add(piece.subarray(0, bytesRead));
    }
    return body.finish();
  } finally {
    await handle.close();
  }
}

/** A JSON file whose top level names a payloadType is an envelope; anything else is a plain routes file. */
export function isEnvelopeFile(path: string, bytes: Buffer): boolean {
  if (extname(path) !== '.json') return false;
  try {
    const doc: unknown = JSON.parse(bytes.toString('utf8'));
    return typeof doc === 'object' && doc !== null && !Array.isArray(doc) && 'payloadType' in doc;
  } catch {
    return false;
  }
}
