// Published tables in a directory a web server or bucket sync serves: PATH holds the latest envelope
// (what an `http` router source fetches), PATH.history/<16-digit version>.json the history. A version
// file is created with O_EXCL, so a version is taken at most once; the latest is replaced by rename,
// so a reader never sees half a file. Meant for one publisher at a time (CI); DynamoDB is the store
// for concurrent publishers.

import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CliError, PublishConflictError } from '../context.ts';
import { decodePublished } from './document.ts';
import type { PublishedEntry, PublishedTableStore } from './store.ts';

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
