// Published tables in S3: KEY holds the latest envelope (what CloudFront serves to the routers' `http`
// source), KEY.history/v<16-digit version>.json the immutable history. S3 has conditional writes, so a
// publish is race-safe the same way as DynamoDB's, in two steps:
//   1. PUT KEY.history/v<new>  If-None-Match: *     — a version number is taken at most once;
//   2. PUT KEY                 If-Match: <ETag read>  (If-None-Match: * when nothing was there)
//                              — the latest moves only from the object we diffed against.
// S3 answers 412 PreconditionFailed (or 409 ConditionalRequestConflict while a racing conditional write
// is in flight) when the condition fails; the loser stops there, writes nothing more, and reports who
// won. A loser that failed step 2 leaves its history object behind: a version that was never latest.

import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type GetObjectCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { CliError, PublishConflictError } from '../context.ts';
import { describeFailure } from '../errors.ts';
import { decodePublished } from './document.ts';
import { chunkHashOf, chunkObjectKey, chunkPrefix } from '../../router/table/chunk-keys.ts';
import type { TableChunk } from '../../router/table/manifest.ts';
import { writeNewChunks, type PublishedEntry, type PublishedTableStore, type StoredChunk } from './store.ts';

/** Routers poll every 10 s behind a 5 s CloudFront TTL: the edge may keep the latest for 5 s, no longer. */
export const S3_LATEST_CACHE_CONTROL = 'max-age=5';
/** A history object never changes once written. */
export const S3_HISTORY_CACHE_CONTROL = 'max-age=31536000, immutable';
/** Reads stop here (a router's default `[table] max_bytes` is 4 MiB); publish refuses anything bigger. */
export const S3_OBJECT_LIMIT = 16 * 1024 * 1024;
const PUBLISHED_AT = 'published-at';

interface Read {
  readonly entry: PublishedEntry;
  readonly etag: string | undefined;
}

export class S3TableStore implements PublishedTableStore {
  readonly description: string;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly key: string;
  private readonly now: () => number;
  /** What the last latest() saw: publish's If-Match uses this ETag when it is the version diffed against. */
  private seen: { readonly version: number | undefined; readonly etag: string | undefined } | undefined;

  constructor(client: S3Client, bucket: string, key: string, now: () => number) {
    this.client = client;
    this.bucket = bucket;
    this.key = key;
    this.now = now;
    this.description = `s3://${bucket}/${key}`;
  }

  private get historyPrefix(): string {
    return `${this.key}.history/v`;
  }

  historyKey(version: number): string {
    return `${this.historyPrefix}${String(version).padStart(16, '0')}.json`;
  }

  async latest(): Promise<PublishedEntry | undefined> {
    const read = await this.read(this.key);
    this.seen = { version: read?.entry.version, etag: read?.etag };
    return read?.entry;
  }

  async get(version: number): Promise<PublishedEntry | undefined> {
    const read = await this.read(this.historyKey(version));
    if (read !== undefined && read.entry.version !== version) {
      throw new CliError('PASSAGE_STORE_BAD_ITEM', `${this.description}: ${this.historyKey(version)} holds version ${read.entry.version}`);
    }
    return read?.entry;
  }

  async history(limit: number): Promise<PublishedEntry[]> {
    const versions: number[] = [];
    let token: string | undefined;
    do {
      const out = await this.call(() =>
        this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.historyPrefix, ...(token === undefined ? {} : { ContinuationToken: token }) })),
      );
      for (const object of out.Contents ?? []) {
        const match = /^v(\d{16})\.json$/.exec((object.Key ?? '').slice(this.historyPrefix.length - 1));
        if (match !== null) versions.push(Number(match[1]));
      }
      token = out.IsTruncated === true ? out.NextContinuationToken : undefined;
    } while (token !== undefined);
    const newest = versions.sort((a, b) => b - a).slice(0, limit);
    const entries = await Promise.all(newest.map((v) => this.get(v)));
    return entries.filter((e): e is PublishedEntry => e !== undefined);
  }

  async publish(entry: PublishedEntry, previousVersion: number | undefined): Promise<void> {
    const size = Buffer.byteLength(entry.envelope, 'utf8');
    if (size > S3_OBJECT_LIMIT) {
      throw new CliError('PASSAGE_TABLE_TOO_LARGE', `the envelope is ${size} bytes; passagectl stores at most ${S3_OBJECT_LIMIT} in S3 (routers accept \`[table] max_bytes\`, 4 MiB by default)`);
    }
    // The ETag of the latest this publish diffed against; read again if latest() was not asked (or saw another version).
    let seen = this.seen;
    if (seen === undefined || seen.version !== previousVersion) {
      await this.latest();
      seen = this.seen!;
      if (seen.version !== previousVersion) throw new PublishConflictError(seen.version);
    }
    const common = {
      Bucket: this.bucket,
      Body: entry.envelope,
      ContentType: 'application/json',
      Metadata: { [PUBLISHED_AT]: new Date(this.now()).toISOString() },
    };
    try {
      await this.call(() =>
        this.client.send(new PutObjectCommand({ ...common, Key: this.historyKey(entry.version), CacheControl: S3_HISTORY_CACHE_CONTROL, IfNoneMatch: '*' })),
      );
    } catch (err) {
      if (isConditionFailure(err)) throw new PublishConflictError(entry.version);
      throw err;
    }
    try {
      await this.call(() =>
        this.client.send(
          new PutObjectCommand({
            ...common,
            Key: this.key,
            CacheControl: S3_LATEST_CACHE_CONTROL,
            ...(seen.etag === undefined ? { IfNoneMatch: '*' } : { IfMatch: seen.etag }),
          }),
        ),
      );
    } catch (err) {
      // 404 NoSuchKey: the latest this publish read (If-Match) was deleted since; also not ours to replace.
      if (!isConditionFailure(err) && !isNotFound(err)) throw err;
      const winner = await this.latest().catch(() => undefined);
      throw new PublishConflictError(winner?.version);
    }
    this.seen = undefined;
  }

  async putChunks(chunks: readonly TableChunk[]): Promise<number> {
    const publishedAt = new Date(this.now()).toISOString();
    const write = (chunk: TableChunk, createOnly: boolean) =>
      this.call(() =>
        this.client.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: chunkObjectKey(this.key, chunk.ref.sha256),
            Body: chunk.bytes,
            ContentType: 'application/json',
            CacheControl: S3_HISTORY_CACHE_CONTROL,
            Metadata: { [PUBLISHED_AT]: publishedAt },
            // Content-addressed: an existing object already holds these bytes (rewritten, its LastModified now).
            ...(createOnly ? { IfNoneMatch: '*' } : {}),
          }),
        ),
      );
    return writeNewChunks(chunks, (chunk) => write(chunk, true), isConditionFailure, (chunk) => write(chunk, false));
  }

  async statChunk(sha256: string): Promise<StoredChunk | undefined> {
    try {
      const out = await this.call(() => this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: chunkObjectKey(this.key, sha256) })));
      return { sha256, writtenAt: out.LastModified?.getTime() };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async readChunk(sha256: string): Promise<Buffer | undefined> {
    const object = await this.getObject(chunkObjectKey(this.key, sha256));
    return object === undefined ? undefined : Buffer.from(object.text, 'utf8');
  }

  async listChunks(): Promise<StoredChunk[]> {
    const chunks: StoredChunk[] = [];
    let token: string | undefined;
    do {
      const out = await this.call(() =>
        this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: chunkPrefix(this.key), ...(token === undefined ? {} : { ContinuationToken: token }) })),
      );
      for (const object of out.Contents ?? []) {
        const sha256 = chunkHashOf(object.Key ?? '');
        if (sha256 !== undefined) chunks.push({ sha256, writtenAt: object.LastModified?.getTime() });
      }
      token = out.IsTruncated === true ? out.NextContinuationToken : undefined;
    } while (token !== undefined);
    return chunks;
  }

  async deleteChunk(sha256: string): Promise<void> {
    await this.call(() => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: chunkObjectKey(this.key, sha256) })));
  }

  private async read(key: string): Promise<Read | undefined> {
    const object = await this.getObject(key);
    if (object === undefined) return undefined;
    const { out, text: envelope } = object;
    const where = `s3://${this.bucket}/${key}`;
    const publishedAt = out.Metadata?.[PUBLISHED_AT] ?? out.LastModified?.toISOString();
    return {
      entry: { version: decodePublished(envelope, where).table.version, envelope, ...(publishedAt === undefined ? {} : { publishedAt }) },
      etag: out.ETag,
    };
  }

  /** An object and its body as text; undefined when there is none. Refuses more than S3_OBJECT_LIMIT bytes. */
  private async getObject(key: string): Promise<{ out: GetObjectCommandOutput; text: string } | undefined> {
    let out: GetObjectCommandOutput;
    try {
      out = await this.call(() => this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key })));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    if (out.ContentLength !== undefined && out.ContentLength > S3_OBJECT_LIMIT) {
      destroy(out.Body);
      throw new CliError('PASSAGE_TABLE_TOO_LARGE', `${this.description}: ${key} is ${out.ContentLength} bytes, more than passagectl reads (${S3_OBJECT_LIMIT})`);
    }
    return { out, text: await this.readBody(out.Body, key) };
  }

  /** The body as text, refusing more than S3_OBJECT_LIMIT bytes even when Content-Length was absent. */
  private async readBody(body: GetObjectCommandOutput['Body'], key: string): Promise<string> {
    if (body === undefined) return '';
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      for await (const chunk of body as AsyncIterable<Uint8Array | string>) {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        total += bytes.length;
        if (total > S3_OBJECT_LIMIT) {
          destroy(body);
          throw new CliError('PASSAGE_TABLE_TOO_LARGE', `${this.description}: ${key} is more than passagectl reads (${S3_OBJECT_LIMIT} bytes)`);
        }
        chunks.push(bytes);
      }
    } catch (err) {
      if (err instanceof CliError) throw err;
      throw new CliError('PASSAGE_STORE_UNREACHABLE', `${this.description}: reading ${key} failed (${(err as Error).message})`, 1, { cause: err });
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  /** AWS-side failures (no bucket, no credentials, unreachable) are expected: one line, no stack. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isConditionFailure(err) || isNotFound(err)) throw err;
      if ((err as { name?: string }).name === 'NoSuchBucket') throw new CliError('PASSAGE_STORE_NOT_FOUND', `${this.description}: S3 bucket "${this.bucket}" does not exist`);
      throw describeFailure(this.description, err, 'PASSAGE_STORE_UNREACHABLE');
    }
  }
}

function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

/** 412: the If-Match / If-None-Match failed; 409: another conditional write to the key was in flight. */
function isConditionFailure(err: unknown): boolean {
  const name = (err as { name?: string }).name;
  return name === 'PreconditionFailed' || name === 'ConditionalRequestConflict' || statusOf(err) === 412;
}

function isNotFound(err: unknown): boolean {
  const name = (err as { name?: string }).name;
  return name === 'NoSuchKey' || name === 'NotFound' || (statusOf(err) === 404 && name !== 'NoSuchBucket');
}

function destroy(body: unknown): void {
  (body as { destroy?: () => void } | undefined)?.destroy?.();
}
