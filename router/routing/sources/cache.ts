// The last good envelope on local disk, so a router restarted during a control-plane outage still
// serves. The file holds the envelope exactly as fetched: at start it is verified like any fetch
// (signature, table id, expiry), so a cache file is worth no more trust than the network.

import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';

export const CACHE_FILE_MODE = 0o600;
export const CACHE_DIR_MODE = 0o700;

export class TableCache {
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  /** The cached envelope bytes, or undefined when there is no cache (yet). Other read errors throw. */
  async read(maxBytes: number): Promise<Buffer | undefined> {
    let handle;
    try {
      handle = await open(this.path, 'r');
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      // Read one byte past the cap, so an oversized file is refused by the verifier with its real size class.
      const { size } = await handle.stat();
      const buffer = Buffer.alloc(Math.min(size, maxBytes + 1));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  }

  /**
   * Writes the envelope atomically: a temp file in the same directory (created 0600), flushed, then
   * renamed over the cache. A crash at any point leaves either the old cache or the new one, never half.
   */
  async write(bytes: Uint8Array): Promise<void> {
    const dir = dirname(this.path);
    await mkdir(dir, { recursive: true, mode: CACHE_DIR_MODE });
    const temp = join(dir, `.${basename(this.path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    const handle = await open(temp, 'wx', CACHE_FILE_MODE);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } catch (err) {
      await handle.close();
      await rm(temp, { force: true });
      throw err;
    }
    await handle.close();
    try {
      await rename(temp, this.path);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }

  /** Chunks of a cached chunked table: `<cache_file>.chunks/<sha256>.json`, each verified against the manifest when read. */
  get chunkDir(): string {
    return `${this.path}.chunks`;
  }

  /** A cached chunk's bytes (at most `maxBytes`), or undefined when it is not cached. */
  async readChunk(sha256: string, maxBytes: number): Promise<Buffer | undefined> {
    let handle;
    try {
      handle = await open(join(this.chunkDir, `${sha256}.json`), 'r');
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      const buffer = Buffer.alloc(maxBytes);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  }

  /**
   * Stores the chunks of a chunked table before its manifest is written over the cache (write), then
   * removes chunk files no chunk in `keep` names. Each chunk is written like the cache: temp file, rename.
   */
  async writeChunks(chunks: readonly { readonly sha256: string; readonly bytes: Uint8Array }[]): Promise<void> {
    await mkdir(this.chunkDir, { recursive: true, mode: CACHE_DIR_MODE });
    for (const chunk of chunks) await new TableCache(join(this.chunkDir, `${chunk.sha256}.json`)).write(chunk.bytes);
  }

  /** Removes cached chunks the table in use does not name (after its manifest is in the cache). */
  async pruneChunks(keep: ReadonlySet<string>): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.chunkDir);
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return;
      throw err;
    }
    for (const name of names) {
      const sha = /^([0-9a-f]{64})\.json$/.exec(name)?.[1];
      if (sha === undefined || !keep.has(sha)) await rm(join(this.chunkDir, name), { force: true });
    }
  }
}
