// Published tables in a directory a web server or bucket sync serves: PATH holds the latest envelope
// (what an `http` router source fetches), PATH.history/<16-digit version>.json the history. A version
// file is created with O_EXCL, so a version is taken at most once; the latest is replaced by rename,
// so a reader never sees half a file. Meant for one publisher at a time (CI); DynamoDB is the store
// for concurrent publishers.

import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, utimes } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CliError, PublishConflictError } from '../context.ts';
import { decodePublished } from './document.ts';
import { chunkHashOf, chunkObjectKey, chunkPrefix } from '../../router/table/chunk-keys.ts';
import type { TableChunk } from '../../router/table/manifest.ts';
import type { PublishedEntry, PublishedTableStore, StoredChunk } from './store.ts';

export class FileTableStore implements PublishedTableStore {
  readonly description: string;
  private readonly path: string;
  private readonly historyDir: string;

  constructor(path: string) {
    this.path = path;
    this.historyDir = `${path}.history`;
    this.description = `file://${path}`;
  }

  async latest(): Promise<PublishedEntry | undefined> {
    return this.readEntry(this.path);
  }

  async get(version: number): Promise<PublishedEntry | undefined> {
    return this.readEntry(this.versionFile(version));
  }

  async history(limit: number): Promise<PublishedEntry[]> {
    let names: string[];
    try {
      names = await readdir(this.historyDir);
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return [];
      throw err;
    }
    const versions = names.filter((n) => /^\d{16}\.json$/.test(n)).sort().reverse().slice(0, limit);
    const entries = await Promise.all(versions.map((n) => this.readEntry(join(this.historyDir, n))));
    return entries.filter((e): e is PublishedEntry => e !== undefined);
  }

  async publish(entry: PublishedEntry, previousVersion: number | undefined): Promise<void> {
    await mkdir(this.historyDir, { recursive: true });
    const versionFile = this.versionFile(entry.version);
    let handle;
    try {
      handle = await open(versionFile, 'wx', 0o644);
    } catch (err) {
      if ((err as { code?: string }).code === 'EEXIST') throw new PublishConflictError(entry.version);
      throw err;
    }
    await handle.writeFile(entry.envelope);
    await handle.close();
    const latest = await this.latest();
    if (latest?.version !== previousVersion) {
      await rm(versionFile, { force: true });
      throw new PublishConflictError(latest?.version);
    }
    const temp = join(dirname(this.path), `.${basename(this.path)}.${randomBytes(4).toString('hex')}.tmp`);
    await mkdir(dirname(this.path), { recursive: true });
    const out = await open(temp, 'wx', 0o644);
    await out.writeFile(entry.envelope);
    await out.sync();
    await out.close();
    await rename(temp, this.path);
  }

  async putChunks(chunks: readonly TableChunk[]): Promise<number> {
    await mkdir(chunkPrefix(this.path), { recursive: true });
    let written = 0;
    for (const chunk of chunks) {
      const file = chunkObjectKey(this.path, chunk.ref.sha256);
      let handle;
      try {
        handle = await open(file, 'wx', 0o644);
      } catch (err) {
        if ((err as { code?: string }).code !== 'EEXIST') throw err;
        // Content-addressed: the same bytes. Its time becomes now, so `table gc` keeps it for its grace period.
        const now = new Date();
        await utimes(file, now, now);
        continue;
      }
      try {
        await handle.writeFile(chunk.bytes);
        await handle.sync();
      } catch (err) {
        await handle.close();
        await rm(file, { force: true });
        throw err;
      }
      await handle.close();
      written++;
    }
    return written;
  }

  async readChunk(sha256: string): Promise<Buffer | undefined> {
    try {
      return await readFile(chunkObjectKey(this.path, sha256));
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return undefined;
      throw new CliError('PASSAGE_STORE_UNREACHABLE', `${chunkObjectKey(this.path, sha256)}: cannot read (${(err as { code?: string }).code ?? String(err)})`);
    }
  }

  async listChunks(): Promise<StoredChunk[]> {
    let names: string[];
    try {
      names = await readdir(chunkPrefix(this.path));
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return [];
      throw err;
    }
    const chunks: StoredChunk[] = [];
    for (const name of names) {
      const sha256 = chunkHashOf(name);
      if (sha256 === undefined) continue;
      chunks.push({ sha256, writtenAt: (await stat(join(chunkPrefix(this.path), name))).mtimeMs });
    }
    return chunks;
  }

  async statChunk(sha256: string): Promise<StoredChunk | undefined> {
    try {
      return { sha256, writtenAt: (await stat(chunkObjectKey(this.path, sha256))).mtimeMs };
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async deleteChunk(sha256: string): Promise<void> {
    await rm(chunkObjectKey(this.path, sha256), { force: true });
  }

  private versionFile(version: number): string {
    return join(this.historyDir, `${String(version).padStart(16, '0')}.json`);
  }

  private async readEntry(file: string): Promise<PublishedEntry | undefined> {
    let envelope: string;
    try {
      envelope = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return undefined;
      throw new CliError('PASSAGE_STORE_UNREACHABLE', `${file}: cannot read (${(err as { code?: string }).code ?? String(err)})`);
    }
    return { version: decodePublished(envelope, file).table.version, envelope };
  }
}
