// The last good envelope on local disk, so a router restarted during a control-plane outage still
// serves. The file holds the envelope exactly as fetched: at start it is verified like any fetch
// (signature, table id, expiry), so a cache file is worth no more trust than the network.

import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
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
}

