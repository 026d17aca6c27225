// passagectl's s3:// table store against an in-memory bucket behind aws-sdk-client-mock (no S3 emulator
// here): the bucket honours If-None-Match: * and If-Match like S3, answering 412 PreconditionFailed.
// Chunked tables too: create-only chunk writes before the manifest, only missing ones, and gc.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  type GetObjectCommandOutput,
  type PutObjectCommandInput,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { CliError, createS3Client, EXIT_CONFLICT, PublishConflictError, UsageError } from '../../../cli/context.ts';
import { parseLocation } from '../../../cli/tables/location.ts';
import { run as keysGenerate } from '../../../cli/commands/keys-generate.ts';
import { run as publish } from '../../../cli/commands/table-publish.ts';
import { run as show } from '../../../cli/commands/table-show.ts';
import { run as history } from '../../../cli/commands/table-history.ts';
import { run as rollback } from '../../../cli/commands/table-rollback.ts';
import { run as diff } from '../../../cli/commands/table-diff.ts';
import { run as gc } from '../../../cli/commands/table-gc.ts';
import { reportFailure } from '../../../cli/main.ts';
import { EXIT_FAILURE } from '../../../cli/exit-codes.ts';
import { chunkObjectKey, chunkPrefix } from '../../../router/table/chunk-keys.ts';
import { sha256Hex, signChunkedTable, TABLE_MANIFEST_PAYLOAD_TYPE } from '../../../router/table/manifest.ts';
import { bigDocument } from '../../helpers/chunked-tables.ts';
import { S3_HISTORY_CACHE_CONTROL, S3_LATEST_CACHE_CONTROL, S3_OBJECT_LIMIT, S3TableStore } from '../../../cli/tables/s3-store.ts';
import { envelopeFor, fakeContext, newKey, trustedBy } from '../../helpers/tables.ts';

const s3 = mockClient(S3Client);
after(() => s3.restore());
const BUCKET = 'passage-tables';
const KEY = 'prod/table.json';
const TO = `s3://${BUCKET}/${KEY}?region=eu-west-1`;
const historyKey = (v: number): string => `${KEY}.history/v${String(v).padStart(16, '0')}.json`;
const dir = mkdtempSync(join(tmpdir(), 'passagectl-s3-'));
const key = newKey();
const NOW = Date.parse('2030-01-01T00:00:00Z');

interface StoredObject {
  readonly body: string;
  readonly etag: string;
  readonly input: PutObjectCommandInput;
  /** When S3 would say it was written (ListObjectsV2's LastModified). */
  readonly modifiedAt?: number;
}

let objects: Map<string, StoredObject>;
let etags = 0;
/** The bucket's clock for the objects it writes (gc compares their age with its grace period). */
let bucketNow = NOW;

function s3Error(name: string, status: number): S3ServiceException {
  return new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message: `${name} (HTTP ${status})` });
}

/** Puts straight into the fake bucket, as another publisher would. */
function putDirect(objectKey: string, body: string): void {
  objects.set(objectKey, { body, etag: `"etag-${++etags}"`, input: { Bucket: BUCKET, Key: objectKey } });
}

function fakeBucket(listPageSize = 1000): void {
  s3.reset();
  objects = new Map();
  etags = 0;
  bucketNow = NOW;
  s3.on(PutObjectCommand).callsFake((input: PutObjectCommandInput) => {
    assert.equal(input.Bucket, BUCKET);
    const existing = objects.get(input.Key!);
    if (input.IfNoneMatch === '*' && existing !== undefined) throw s3Error('PreconditionFailed', 412);
    if (input.IfMatch !== undefined && existing === undefined) throw new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } });
    if (input.IfMatch !== undefined && existing!.etag !== input.IfMatch) throw s3Error('PreconditionFailed', 412);
    const etag = `"etag-${++etags}"`;
    objects.set(input.Key!, { body: String(input.Body), etag, input, modifiedAt: bucketNow });
    return { ETag: etag };
  });
  s3.on(DeleteObjectCommand).callsFake((input: { Key: string }) => {
    objects.delete(input.Key);
    return {};
  });
  s3.on(GetObjectCommand).callsFake((input: { Bucket: string; Key: string }) => {
    const object = objects.get(input.Key);
    if (object === undefined) throw new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } });
    return {
      Body: Readable.from([Buffer.from(object.body)]) as unknown as GetObjectCommandOutput['Body'],
      ETag: object.etag,
      ContentLength: Buffer.byteLength(object.body),
      ContentType: object.input.ContentType,
      Metadata: object.input.Metadata ?? {},
      LastModified: new Date('2030-01-01T00:00:00Z'),
    };
  });
  s3.on(HeadObjectCommand).callsFake((input: { Key: string }) => {
    const object = objects.get(input.Key);
    if (object === undefined) throw new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } });
    return { ETag: object.etag, LastModified: new Date(object.modifiedAt ?? NOW) };
  });
  s3.on(ListObjectsV2Command).callsFake((input: { Prefix?: string; ContinuationToken?: string }) => {
    const keys = [...objects.keys()].filter((k) => k.startsWith(input.Prefix ?? '')).sort();
    const start = Number(input.ContinuationToken ?? 0);
    const page = keys.slice(start, start + listPageSize);
    const more = start + listPageSize < keys.length;
    return { Contents: page.map((Key) => ({ Key, LastModified: new Date(objects.get(Key)!.modifiedAt ?? NOW) })), IsTruncated: more, ...(more ? { NextContinuationToken: String(start + listPageSize) } : {}), KeyCount: page.length };
  });
}

function doc(version: number, address: string): Record<string, unknown> {
  return { table_id: 'prod', version, routes: [{ id: 'lobby', hosts: ['play.example.com'], targets: [{ id: 'a', address }] }] };
}

function store(): S3TableStore {
  return new S3TableStore(createS3Client({ region: 'eu-west-1', endpoint: '' }), BUCKET, KEY, () => NOW);
}

function routes(version: number, address: string): string {
  const file = join(dir, `routes-${version}-${address.replace(/[.:]/g, '_')}.toml`);
  writeFileSync(file, ['table_id = "prod"', `version = ${version}`, '[[routes]]', 'id = "lobby"', 'hosts = ["play.example.com"]', '[[routes.targets]]', 'id = "a"', `address = "${address}"`, ''].join('\n'));
  return file;
}

/** The S3 calls made since the last reset, as `Command Key [condition]`. */
function calls(): string[] {
  return s3.calls().map((c) => {
    const cmd = c.args[0] as { constructor: { name: string }; input: PutObjectCommandInput & { Prefix?: string } };
    const input = cmd.input;
    const condition = input.IfNoneMatch !== undefined ? ` If-None-Match:${input.IfNoneMatch}` : input.IfMatch !== undefined ? ` If-Match:${input.IfMatch}` : '';
    return `${cmd.constructor.name.replace(/Command$/, '')} ${input.Key ?? input.Prefix}${condition}`;
  });
}

describe('passagectl table publishing to s3://', () => {
  let keyFile: string;
  before(async () => {
    await keysGenerate({ out: join(dir, 'keys') }, fakeContext());
    keyFile = join(dir, 'keys', 'passage-signing.key');
  });
  beforeEach(() => fakeBucket());

  test('publish reads the latest, creates the history object, then replaces the latest on the ETag it read', async () => {
    const ctx = fakeContext({ json: true, now: () => NOW });
    await publish({ file: routes(1, '10.0.0.1:25565'), to: TO, keys: [keyFile], expiresInMs: 3_600_000, ...trustedBy(keyFile) }, ctx);
    assert.deepEqual({ ...JSON.parse(ctx.out()), expiresAt: undefined, keyids: undefined, verifiedBy: undefined }, { location: `s3://${BUCKET}/${KEY}`, tableId: 'prod', version: 1, previousVersion: null, expiresAt: undefined, keyids: undefined, verifiedBy: undefined });
    assert.deepEqual(calls(), [`GetObject ${KEY}`, `PutObject ${historyKey(1)} If-None-Match:*`, `PutObject ${KEY} If-None-Match:*`]);

    const firstEtag = objects.get(KEY)!.etag;
    s3.resetHistory();
    await publish({ file: routes(2, '10.0.0.2:25565'), to: TO, keys: [keyFile], expiresInMs: 3_600_000, ...trustedBy(keyFile) }, fakeContext({ now: () => NOW }));
    assert.deepEqual(calls(), [`GetObject ${KEY}`, `PutObject ${historyKey(2)} If-None-Match:*`, `PutObject ${KEY} If-Match:${firstEtag}`]);

    const latest = objects.get(KEY)!;
    assert.equal(JSON.parse(latest.body).payloadType, 'application/vnd.passage.table+json');
    assert.equal(latest.body, objects.get(historyKey(2))!.body);
    assert.equal(latest.input.ContentType, 'application/json');
    assert.equal(latest.input.CacheControl, S3_LATEST_CACHE_CONTROL);
    assert.equal(objects.get(historyKey(2))!.input.CacheControl, S3_HISTORY_CACHE_CONTROL);
    assert.equal(latest.input.Metadata?.['published-at'], '2030-01-01T00:00:00.000Z');
    await assert.rejects(publish({ file: routes(2, '10.0.0.3:25565'), to: TO, keys: [keyFile], expiresInMs: 3_600_000, ...trustedBy(keyFile) }, fakeContext()), (err: unknown) => err instanceof CliError && err.code === 'ERR_TABLE_STALE_VERSION');
  });

  test('a history object that already exists is a conflict (exit 3) and the latest is not touched', async () => {
    putDirect(KEY, envelopeFor(doc(1, '10.0.0.1:1'), key.privateKey));
    const theirs = envelopeFor(doc(2, '10.0.0.9:1'), key.privateKey);
    putDirect(historyKey(2), theirs);
    const before = objects.get(KEY)!;
    s3.resetHistory();
    await assert.rejects(
      publish({ file: routes(2, '10.0.0.2:25565'), to: TO, keys: [keyFile], expiresInMs: 3_600_000, ...trustedBy(keyFile) }, fakeContext()),
      (err: unknown) => err instanceof PublishConflictError && err.exitCode === EXIT_CONFLICT && /someone published version 2 first; nothing was written/.test(err.message),
    );
    assert.deepEqual(calls(), [`GetObject ${KEY}`, `PutObject ${historyKey(2)} If-None-Match:*`]);
    assert.equal(objects.get(KEY), before);
    assert.equal(objects.get(historyKey(2))!.body, theirs);
  });

  test('a latest that changed since it was read is a conflict naming the winner; the loser writes nothing more', async () => {
    putDirect(KEY, envelopeFor(doc(1, '10.0.0.1:1'), key.privateKey));
    const loser = store();
    const seen = await loser.latest();
    assert.equal(seen?.version, 1);
    // Another publisher moves the latest to 3 between the loser's read and its writes.
    const winner = envelopeFor(doc(3, '10.0.0.3:1'), key.privateKey);
    putDirect(historyKey(3), winner);
    putDirect(KEY, winner);
    s3.resetHistory();
    await assert.rejects(
      loser.publish({ version: 2, envelope: envelopeFor(doc(2, '10.0.0.2:1'), key.privateKey) }, 1),
      (err: unknown) => err instanceof PublishConflictError && err.exitCode === EXIT_CONFLICT && err.publishedVersion === 3,
    );
    const seq = calls();
    assert.deepEqual(seq.filter((c) => c.startsWith('PutObject')), [`PutObject ${historyKey(2)} If-None-Match:*`, `PutObject ${KEY} If-Match:"etag-1"`]);
    assert.deepEqual(seq.slice(2), [`GetObject ${KEY}`], 'after the 412 only a read, to name the winner');
    assert.equal(objects.get(KEY)!.body, winner);
  });

  test('a first publish loses to one that created the latest after it looked', async () => {
    const loser = store();
    assert.equal(await loser.latest(), undefined);
    putDirect(KEY, envelopeFor(doc(5, '10.0.0.5:1'), key.privateKey));
    await assert.rejects(loser.publish({ version: 1, envelope: envelopeFor(doc(1, '10.0.0.1:1'), key.privateKey) }, undefined), (err: unknown) => err instanceof PublishConflictError && err.publishedVersion === 5);
    assert.equal((await store().latest())?.version, 5);
  });

  test('a latest deleted since it was read is a conflict too, not a crash', async () => {
    putDirect(KEY, envelopeFor(doc(1, '10.0.0.1:1'), key.privateKey));
    const loser = store();
    await loser.latest();
    objects.delete(KEY);
    await assert.rejects(loser.publish({ version: 2, envelope: envelopeFor(doc(2, '10.0.0.2:1'), key.privateKey) }, 1), (err: unknown) => err instanceof PublishConflictError && /someone published first/.test(err.message));
    assert.equal(objects.has(KEY), false);
  });

  test('publish without a prior latest() reads the ETag itself and refuses a stale previous version', async () => {
    putDirect(KEY, envelopeFor(doc(4, '10.0.0.4:1'), key.privateKey));
    await assert.rejects(store().publish({ version: 5, envelope: envelopeFor(doc(5, '10.0.0.5:1'), key.privateKey) }, 3), (err: unknown) => err instanceof PublishConflictError && err.publishedVersion === 4);
    assert.equal(objects.has(historyKey(5)), false);
    s3.resetHistory();
    await store().publish({ version: 5, envelope: envelopeFor(doc(5, '10.0.0.5:1'), key.privateKey) }, 4);
    assert.deepEqual(calls(), [`GetObject ${KEY}`, `PutObject ${historyKey(5)} If-None-Match:*`, `PutObject ${KEY} If-Match:"etag-1"`]);
  });

  test('of two publishers racing from the same version, exactly one wins', async () => {
    putDirect(KEY, envelopeFor(doc(1, '10.0.0.1:1'), key.privateKey));
    for (const [va, vb] of [[2, 2], [3, 4]] as const) {
      const a = store();
      const b = store();
      const prev = (await Promise.all([a.latest(), b.latest()]))[0]!.version;
      const results = await Promise.allSettled([
        a.publish({ version: va, envelope: envelopeFor(doc(va, '10.0.0.2:1'), key.privateKey) }, prev),
        b.publish({ version: vb, envelope: envelopeFor(doc(vb, '10.0.0.3:1'), key.privateKey) }, prev),
      ]);
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1, `versions ${va}/${vb}: ${results.map((r) => r.status)}`);
      const lost = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!;
      assert.ok(lost.reason instanceof PublishConflictError, String(lost.reason));
      const latest = (await store().latest())!;
      assert.match(lost.reason.message, new RegExp(`someone published version ${latest.version} first`));
      assert.equal(objects.get(historyKey(latest.version))!.body, objects.get(KEY)!.body, 'the winner\'s history object is intact');
    }
  });

  test('show, history (paginated listing) and rollback through the store', async () => {
    fakeBucket(2);
    for (const [v, address] of [[1, '10.0.0.1:25565'], [2, '10.0.0.2:25565'], [3, '10.0.0.3:25565']] as const) {
      await publish({ file: routes(v, address), to: TO, keys: [keyFile], expiresInMs: 3_600_000, ...trustedBy(keyFile) }, fakeContext({ now: () => NOW }));
    }
    putDirect(`${KEY}.history/vnotes.json`, 'not a version');
    const shown = fakeContext();
    await show({ from: TO }, shown);
    assert.match(shown.out(), /table {4}prod@3/);
    assert.match(shown.out(), /published 2030-01-01T00:00:00\.000Z/);
    const old = fakeContext({ json: true });
    await show({ from: TO, version: 1 }, old);
    assert.equal(JSON.parse(old.out()).document.routes[0].targets[0].address, '10.0.0.1:25565');

    s3.resetHistory();
    const listed = fakeContext({ json: true });
    await history({ from: TO, limit: 2 }, listed);
    assert.deepEqual(JSON.parse(listed.out()).versions.map((v: { version: number; latest: boolean }) => [v.version, v.latest]), [[3, true], [2, false]]);
    assert.equal(calls().filter((c) => c.startsWith('ListObjectsV2')).length, 2, 'followed the continuation token (4 keys, 2 a page)');

    await rollback({ version: 1, from: TO, keys: [keyFile], expiresInMs: 3_600_000, ...trustedBy(keyFile) }, fakeContext());
    const all = fakeContext({ json: true });
    await history({ from: TO, limit: 10 }, all);
    assert.deepEqual(JSON.parse(all.out()).versions.map((v: { version: number; latest: boolean }) => [v.version, v.latest]), [[4, true], [3, false], [2, false], [1, false]]);
    const latest = fakeContext({ json: true });
    await show({ from: TO }, latest);
    assert.equal(JSON.parse(latest.out()).document.routes[0].targets[0].address, '10.0.0.1:25565');
    await assert.rejects(show({ from: TO, version: 42 }, fakeContext()), /no version 42/);

    const changed = fakeContext();
    await diff({ file: routes(5, '10.0.0.5:25565'), from: TO }, changed);
    assert.match(changed.out(), /^version 4 → 5\n/);
  });

  test('reads: an empty location, an oversized latest, a missing bucket and denied access', async () => {
    const empty = fakeContext({ json: true });
    await history({ from: TO, limit: 5 }, empty);
    assert.deepEqual(JSON.parse(empty.out()).versions, []);
    await assert.rejects(show({ from: TO }, fakeContext()), (err: unknown) => err instanceof CliError && err.code === 'PASSAGE_NOT_PUBLISHED');

    s3.on(GetObjectCommand).resolves({ Body: Readable.from([Buffer.from('{}')]) as unknown as GetObjectCommandOutput['Body'], ContentLength: S3_OBJECT_LIMIT + 1, ETag: '"big"' });
    await assert.rejects(store().latest(), (err: unknown) => err instanceof CliError && err.code === 'PASSAGE_TABLE_TOO_LARGE');

    s3.on(GetObjectCommand).rejects(s3Error('NoSuchBucket', 404));
    await assert.rejects(store().latest(), (err: unknown) => err instanceof CliError && err.code === 'PASSAGE_STORE_NOT_FOUND' && /bucket "passage-tables" does not exist/.test(err.message));
    s3.on(GetObjectCommand).rejects(s3Error('AccessDenied', 403));
    // Denied access is classified once (cli/errors.ts): its own code and what to do, naming the store.
    await assert.rejects(store().latest(), (err: unknown) => err instanceof CliError && err.code === 'PASSAGE_AWS_ACCESS_DENIED' && /^s3:\/\/passage-tables\/.*: AWS denied access: AccessDenied/.test(err.message));
  });

  test('an S3-compatible endpoint is addressed path-style', () => {
    assert.equal(createS3Client({ region: 'eu-west-1', endpoint: 'http://127.0.0.1:9000' }).config.forcePathStyle, true);
    assert.notEqual(createS3Client({ region: 'eu-west-1', endpoint: '' }).config.forcePathStyle, true);
  });
});

describe('chunked tables in s3://', () => {
  let keyFile: string;
  /** Small enough to keep the tests quick: 1,500 routes (~150 KiB) are chunked above 16 KiB. */
  const CHUNK_ABOVE = 16 * 1024;
  const chunkKeys = (): string[] => [...objects.keys()].filter((k) => k.startsWith(chunkPrefix(KEY))).sort();
  before(async () => {
    await keysGenerate({ out: join(dir, 'chunk-keys') }, fakeContext());
    keyFile = join(dir, 'chunk-keys', 'passage-signing.key');
  });
  beforeEach(() => fakeBucket());

  function bigTable(version: number, edit?: (i: number) => string): string {
    const file = join(dir, `big-${version}-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify(bigDocument('prod', 1_500, version, edit)));
    return file;
  }
  async function publishBig(file: string, ctx = fakeContext({ json: true, now: () => NOW })): Promise<{ chunks: number; chunksWritten: number; version: number }> {
    await publish({ file, to: TO, keys: [keyFile], expiresInMs: 3_600_000, ...trustedBy(keyFile), chunkAboveBytes: CHUNK_ABOVE }, ctx);
    return JSON.parse(ctx.out()) as { chunks: number; chunksWritten: number; version: number };
  }

  test('a chunked publish writes every chunk create-only and immutable, before the history object and the latest', async () => {
    const result = await publishBig(bigTable(1));
    assert.ok(result.chunks > 3, `chunks: ${result.chunks}`);
    assert.equal(result.chunksWritten, result.chunks);
    const seq = calls();
    const chunkPuts = seq.filter((c) => c.startsWith(`PutObject ${chunkPrefix(KEY)}`));
    assert.equal(chunkPuts.length, result.chunks);
    assert.ok(chunkPuts.every((c) => c.endsWith(' If-None-Match:*')), 'every chunk is written create-only');
    const lastChunk = seq.lastIndexOf(chunkPuts.at(-1)!);
    assert.deepEqual(seq.slice(lastChunk + 1), [`PutObject ${historyKey(1)} If-None-Match:*`, `PutObject ${KEY} If-None-Match:*`], 'the manifest goes after its chunks');
    assert.equal(chunkKeys().length, result.chunks);
    for (const objectKey of chunkKeys()) {
      const object = objects.get(objectKey)!;
      assert.equal(chunkObjectKey(KEY, sha256Hex(Buffer.from(object.body))), objectKey, 'named by the SHA-256 of its bytes');
      assert.equal(object.input.CacheControl, S3_HISTORY_CACHE_CONTROL);
      assert.equal(object.input.ContentType, 'application/json');
    }
    assert.equal(JSON.parse(objects.get(KEY)!.body).payloadType, TABLE_MANIFEST_PAYLOAD_TYPE);
  });

  test('republishing with one route changed writes only the one chunk that is missing', async () => {
    const first = await publishBig(bigTable(1));
    s3.resetHistory();
    const second = await publishBig(bigTable(2, (i) => (i === 700 ? ' edited' : '')));
    assert.equal(second.chunks, first.chunks);
    assert.equal(second.chunksWritten, 1);
    assert.deepEqual(calls().filter((c) => c.startsWith(`PutObject ${chunkPrefix(KEY)}`)).length, 1, 'chunks the latest already names are not sent again');
    assert.equal(chunkKeys().length, first.chunks + 1);
    const shown = fakeContext({ json: true });
    await show({ from: TO }, shown);
    const doc = JSON.parse(shown.out()).document as { version: number; routes: { status: { motd: string } }[] };
    assert.equal(doc.version, 2);
    assert.equal(doc.routes.length, 1_500);
    assert.equal(doc.routes[700]!.status.motd, 'Route 700 edited');
  });

  test('a chunk already stored answers 412, is not an error, and is written again so its time is now (gc keeps it for its grace)', async () => {
    bucketNow = NOW - 5 * 3_600_000;
    const { chunks } = signChunkedTable(bigDocument('prod', 1_500, 1), key.privateKey, { now: NOW, expiresInMs: 3_600_000 });
    assert.equal(await store().putChunks(chunks), chunks.length);
    const bodies = chunkKeys().map((k) => objects.get(k)!.body);
    s3.resetHistory();
    bucketNow = NOW;
    assert.equal(await store().putChunks(chunks), 0, 'none was new');
    const puts = calls();
    assert.equal(puts.length, 2 * chunks.length);
    assert.equal(puts.filter((c) => c.endsWith('If-None-Match:*')).length, chunks.length, 'each first asked create-only');
    assert.deepEqual(chunkKeys().map((k) => objects.get(k)!.body), bodies, 'the same bytes');
    assert.ok(chunkKeys().every((k) => objects.get(k)!.modifiedAt === NOW), 'each written again now');
  });

  test('gc asks a chunk its time again before deleting it: an orphan a publish reuses since the listing is kept', async () => {
    bucketNow = NOW - 3 * 3_600_000;
    await publishBig(bigTable(1));
    const orphan = chunkObjectKey(KEY, 'c'.repeat(64));
    putDirect(orphan, '[]');
    objects.set(orphan, { ...objects.get(orphan)!, modifiedAt: NOW - 2 * 3_600_000 });
    // A publish in flight reuses the orphan right after gc listed it: putChunks writes it again, now.
    s3.on(ListObjectsV2Command).callsFake((input: { Prefix?: string }) => {
      const keys = [...objects.keys()].filter((k) => k.startsWith(input.Prefix ?? '')).sort();
      const listed = { Contents: keys.map((Key) => ({ Key, LastModified: new Date(objects.get(Key)!.modifiedAt ?? NOW) })), IsTruncated: false, KeyCount: keys.length };
      objects.set(orphan, { ...objects.get(orphan)!, modifiedAt: NOW });
      return listed;
    });
    const ctx = fakeContext({ json: true, now: () => NOW });
    await gc({ from: TO, graceMs: 3_600_000, dryRun: false }, ctx);
    assert.deepEqual(pick(JSON.parse(ctx.out())), { removed: 0, keptRecent: 1, versions: 1, chunks: chunkKeys().length });
    assert.ok(objects.has(orphan));
    assert.deepEqual(calls().filter((c) => c.startsWith('DeleteObject')), []);
  });

  test('table gc deletes only old unreferenced chunks, never one a retained version names', async () => {
    bucketNow = NOW - 3 * 3_600_000;
    await publishBig(bigTable(1));
    const v1Chunks = chunkKeys();
    await publishBig(bigTable(2, (i) => (i === 10 ? ' v2' : '')));
    // Orphans: one from a publish that stopped hours ago, one from a publish in flight.
    const oldOrphan = chunkObjectKey(KEY, 'a'.repeat(64));
    const newOrphan = chunkObjectKey(KEY, 'b'.repeat(64));
    putDirect(oldOrphan, '[]');
    objects.set(oldOrphan, { ...objects.get(oldOrphan)!, modifiedAt: NOW - 2 * 3_600_000 });
    putDirect(newOrphan, '[]');
    objects.set(newOrphan, { ...objects.get(newOrphan)!, modifiedAt: NOW - 60_000 });
    const stored = chunkKeys().length;

    const dry = fakeContext({ json: true, now: () => NOW });
    await gc({ from: TO, graceMs: 3_600_000, dryRun: true }, dry);
    assert.deepEqual(pick(JSON.parse(dry.out())), { removed: 1, keptRecent: 1, versions: 2, chunks: stored });
    assert.equal(chunkKeys().length, stored, 'a dry run deletes nothing');

    s3.resetHistory();
    const ctx = fakeContext({ json: true, now: () => NOW });
    await gc({ from: TO, graceMs: 3_600_000, dryRun: false }, ctx);
    assert.deepEqual(pick(JSON.parse(ctx.out())), { removed: 1, keptRecent: 1, versions: 2, chunks: stored });
    assert.deepEqual(calls().filter((c) => c.startsWith('DeleteObject')), [`DeleteObject ${oldOrphan}`]);
    assert.ok(v1Chunks.every((k) => objects.has(k)), 'the chunk only version 1 still names (route 10 before its edit) is kept');
    assert.ok(objects.has(newOrphan));
    for (const version of [1, 2]) await show({ from: TO, version }, fakeContext({ json: true }));
  });

  test('S3 refusing a chunk write stops the publish before the manifest, with one line and no stack', async () => {
    s3.on(PutObjectCommand).rejects(s3Error('AccessDenied', 403));
    const failure = await publishBig(bigTable(1)).then(() => undefined, (err: unknown) => err);
    assert.ok(failure instanceof CliError, String(failure));
    assert.equal(failure.code, 'PASSAGE_AWS_ACCESS_DENIED');
    assert.match(failure.message, new RegExp(`^s3://${BUCKET}/${KEY}: AWS denied access`));
    assert.deepEqual(calls().filter((c) => c.startsWith('PutObject') && !c.includes('.chunks/')), [], 'neither the history object nor the latest was written');
    let out = '';
    let err = '';
    assert.equal(reportFailure(failure, true, { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } }), EXIT_FAILURE);
    assert.equal(err.split('\n').filter(Boolean).length, 1);
    assert.doesNotMatch(err, /\n\s+at /);
    assert.equal(JSON.parse(out).error.code, 'PASSAGE_AWS_ACCESS_DENIED');
  });

  test('S3 refusing a gc delete is one line naming the store, and the chunks stay', async () => {
    bucketNow = NOW - 3 * 3_600_000;
    putDirect(KEY, envelopeFor(doc(1, '10.0.0.1:1'), key.privateKey));
    putDirect(historyKey(1), objects.get(KEY)!.body);
    const orphan = chunkObjectKey(KEY, 'c'.repeat(64));
    putDirect(orphan, '[]');
    objects.set(orphan, { ...objects.get(orphan)!, modifiedAt: NOW - 2 * 3_600_000 });
    s3.on(DeleteObjectCommand).rejects(s3Error('AccessDenied', 403));
    await assert.rejects(
      gc({ from: TO, graceMs: 3_600_000, dryRun: false }, fakeContext({ now: () => NOW })),
      (err: unknown) => err instanceof CliError && err.code === 'PASSAGE_AWS_ACCESS_DENIED' && !err.message.includes('\n') && err.message.startsWith(`s3://${BUCKET}/${KEY}: `),
    );
    assert.ok(objects.has(orphan));
  });
});

test('an s3:// KEY holding ".chunks/" is refused: chunk objects, and only they, are named so', () => {
  assert.throws(() => parseLocation(`s3://${BUCKET}/old.chunks/table.json?region=eu-west-1`, {}), (err: unknown) => err instanceof UsageError && /KEY must not contain "\.chunks\/"/.test(err.message));
  assert.equal((parseLocation(`s3://${BUCKET}/tables.chunks?region=eu-west-1`, {}) as { key: string }).key, 'tables.chunks');
});

function pick(result: Record<string, unknown>): Record<string, unknown> {
  return { removed: result.removed, keptRecent: result.keptRecent, versions: result.versions, chunks: result.chunks };
}
