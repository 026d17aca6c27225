// passagectl on chunked tables (issue 19): publish writes chunks (only new ones) and a manifest;
// show, diff, history and rollback work as for one envelope; gc removes only chunks no version names;
// a router's DynamoDB and file sources read what publish wrote; a big table signed elsewhere (`table
// sign --out`) is a chunked bundle that publish uploads as is, and a big single envelope is refused by DynamoDB.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { run as keysGenerate } from '../../../cli/commands/keys-generate.ts';
import { run as publish } from '../../../cli/commands/table-publish.ts';
import { run as show } from '../../../cli/commands/table-show.ts';
import { run as history } from '../../../cli/commands/table-history.ts';
import { run as rollback } from '../../../cli/commands/table-rollback.ts';
import { run as diff } from '../../../cli/commands/table-diff.ts';
import { run as gc } from '../../../cli/commands/table-gc.ts';
import { run as sign } from '../../../cli/commands/table-sign.ts';
import { run as validate } from '../../../cli/commands/table-validate.ts';
import { CliError, EXIT_FAILURE, EXIT_USAGE, UsageError } from '../../../cli/context.ts';
import { reportFailure } from '../../../cli/main.ts';
import { DynamoDbTableStore } from '../../../cli/tables/dynamodb-store.ts';
import { FileTableStore } from '../../../cli/tables/file-store.ts';
import { signChunkedTable, TABLE_MANIFEST_PAYLOAD_TYPE } from '../../../router/table/manifest.ts';
import { createRoutingTableStore, startLocalDynamoDb, type LocalDynamoDb } from '../../../cli/tables/local-dynamodb.ts';
import { DynamoDbTableSource } from '../../../router/routing/sources/dynamodb.ts';
import { FileTableSource } from '../../../router/routing/sources/file.ts';
import type { TableSource } from '../../../router/routing/sources/source.ts';
import { TableStore } from '../../../router/routing/store.ts';
import { generateSigningKey, readPublicKeyFile } from '../../../router/table/keys.ts';
import { bigDocument } from '../../helpers/chunked-tables.ts';
import { fakeContext, localClient, signedTablePoller, trustedBy } from '../../helpers/tables.ts';

const dir = mkdtempSync(join(tmpdir(), 'passage-chunked-cli-'));
const keyFile = join(dir, 'passage-signing.key');
/** Small enough to keep the tests quick: 1,500 routes (~150 KiB) are chunked above 16 KiB. */
const CHUNK_ABOVE = 16 * 1024;

function tableFile(version: number, edit?: (i: number) => string, count = 1_500): string {
  const file = join(dir, `routes-${version}-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(bigDocument('prod', count, version, edit)));
  return file;
}

async function publishFile(file: string, to: string): Promise<Record<string, unknown>> {
  const ctx = fakeContext({ json: true });
  await publish({ file, to, keys: [keyFile], expiresInMs: 3_600_000, ...trustedBy(keyFile), chunkAboveBytes: CHUNK_ABOVE }, ctx);
  return JSON.parse(ctx.out()) as Record<string, unknown>;
}

async function routerApplies(source: TableSource): Promise<TableStore> {
  const store = new TableStore();
  const poller = signedTablePoller({ source, store, trustedKeys: [await readPublicKeyFile(keyFile.replace(/\.key$/, '.pub'))] });
  const outcome = await poller.pollOnce();
  assert.equal(outcome.kind, 'applied', JSON.stringify(outcome));
  return store;
}

before(async () => {
  await keysGenerate({ out: dir }, fakeContext());
});

/** A DynamoDB table in dynalite for the enclosing describe: the client, and the location of table id `prod`. */
function localTable(name: string): { client: DynamoDBClient; to: string } {
  const local = { client: undefined as unknown as DynamoDBClient, to: '' };
  let db: LocalDynamoDb;
  before(async () => {
    db = await startLocalDynamoDb();
    local.client = localClient(db.endpoint);
    await createRoutingTableStore(local.client, name);
    local.to = `dynamodb://${name}/prod?region=local&endpoint=${encodeURIComponent(db.endpoint)}`;
  });
  after(async () => {
    local.client.destroy();
    await db.close();
  });
  return local;
}

describe('passagectl on chunked tables (DynamoDB)', () => {
  const local = localTable('passage');
  let client: DynamoDBClient;
  let to: string;
  before(() => ({ client, to } = local));

  test('publish writes the chunks and a manifest; a one-route change writes one chunk; a router reads it from DynamoDB', async () => {
    const first = await publishFile(tableFile(1), to);
    assert.equal(typeof first.chunks, 'number');
    assert.ok((first.chunks as number) > 3);
    assert.equal(first.chunksWritten, first.chunks);
    const second = await publishFile(tableFile(2, (i) => (i === 700 ? ' edited' : '')), to);
    assert.equal(second.chunksWritten, 1);

    const store = await routerApplies(new DynamoDbTableSource({ client, table: 'passage', tableId: 'prod', maxBytes: 16 * 1024 * 1024 }));
    assert.equal(store.current!.table.version, 2);
    assert.equal(store.current!.resolve('play700.example.com')?.status.motd, 'Route 700 edited');
  });

  test('show, diff and history read a chunked table as they read one envelope', async () => {
    const shown = fakeContext({ json: true });
    await show({ from: to }, shown);
    const doc = JSON.parse(shown.out()).document as { routes: unknown[]; version: number };
    assert.equal(doc.version, 2);
    assert.equal(doc.routes.length, 1_500);

    const diffed = fakeContext({ json: true });
    await diff({ file: tableFile(3, (i) => (i === 700 ? ' edited' : i === 5 ? ' also' : '')), from: to }, diffed);
    assert.match(diffed.out(), /route-5/);
    assert.doesNotMatch(diffed.out(), /route-700/);

    const listed = fakeContext({ json: true });
    await history({ from: to, limit: 10 }, listed);
    const versions = JSON.parse(listed.out()).versions as { version: number; routes: number; chunks: number | null }[];
    assert.deepEqual(versions.map((v) => [v.version, v.routes]), [[2, 1_500], [1, 1_500]]);
    assert.ok(versions.every((v) => typeof v.chunks === 'number'));
  });

  test('rollback republishes an old chunked version as latest + 1 without writing its chunks again', async () => {
    const ctx = fakeContext({ json: true });
    await rollback({ version: 1, from: to, keys: [keyFile], expiresInMs: 3_600_000, ...trustedBy(keyFile), chunkAboveBytes: CHUNK_ABOVE }, ctx);
    const result = JSON.parse(ctx.out()) as { version: number; chunksWritten: number };
    assert.equal(result.version, 3);
    assert.equal(result.chunksWritten, 0);
    const store = await routerApplies(new DynamoDbTableSource({ client, table: 'passage', tableId: 'prod', maxBytes: 16 * 1024 * 1024 }));
    assert.equal(store.current!.resolve('play700.example.com')?.status.motd, 'Route 700');
  });
});

describe('passagectl table gc', () => {
  test('removes only chunks no published version names, and none younger than the grace period', async () => {
    const latest = join(dir, 'gc', 'table.json');
    const to = `file://${latest}`;
    await publishFile(tableFile(1), to);
    await publishFile(tableFile(2, (i) => (i === 10 ? ' v2' : '')), to);
    const chunkDir = `${latest}.chunks`;
    const orphans = ['a', 'b'].map((c) => join(chunkDir, `${c.repeat(64)}.json`));
    for (const file of orphans) writeFileSync(file, '[]');
    const old = new Date(Date.now() - 2 * 3_600_000);
    utimesSync(orphans[0]!, old, old);
    const before = readdirSync(chunkDir).length;

    const ctx = fakeContext({ json: true });
    await gc({ from: to, graceMs: 3_600_000, dryRun: false }, ctx);
    const result = JSON.parse(ctx.out()) as { removed: number; keptRecent: number; versions: number };
    assert.deepEqual([result.removed, result.keptRecent, result.versions], [1, 1, 2]);
    assert.equal(readdirSync(chunkDir).length, before - 1);
    // Every version still assembles, and a router reads the latest from the file source.
    for (const version of [1, 2]) await show({ from: to, version }, fakeContext({ json: true }));
    const store = await routerApplies(new FileTableSource(latest));
    assert.equal(store.current!.resolve('play10.example.com')?.status.motd, 'Route 10 v2');
  });

  describe('a publish that reuses a stored chunk writes it again, so gc\'s grace covers it', () => {
    const local = localTable('passage-rewrite');
    const signingKey = generateSigningKey();
    const { chunks } = signChunkedTable(bigDocument('prod', 300, 1), signingKey.privateKey, { now: Date.now(), expiresInMs: 3_600_000 });
    const hours = (n: number): number => Date.now() - n * 3_600_000;

    test('file://: the chunk file\'s time becomes now; statChunk says so, and undefined once it is gone', async () => {
      const store = new FileTableStore(join(dir, 'rewrite', 'table.json'));
      assert.equal(await store.putChunks(chunks), chunks.length);
      const file = `${join(dir, 'rewrite', 'table.json')}.chunks/${chunks[0]!.ref.sha256}.json`;
      utimesSync(file, new Date(hours(5)), new Date(hours(5)));
      assert.ok((await store.statChunk(chunks[0]!.ref.sha256))!.writtenAt! < hours(4));
      assert.equal(await store.putChunks(chunks), 0);
      assert.ok((await store.statChunk(chunks[0]!.ref.sha256))!.writtenAt! > hours(1));
      assert.equal(readFileSync(file, 'utf8'), chunks[0]!.bytes.toString());
      await store.deleteChunk(chunks[0]!.ref.sha256);
      assert.equal(await store.statChunk(chunks[0]!.ref.sha256), undefined);
    });

    test('dynamodb://: the chunk item\'s time becomes the publish\'s; statChunk reads it', async () => {
      let now = hours(5);
      const store = new DynamoDbTableStore(local.client, 'passage-rewrite', 'prod', () => now);
      assert.equal(await store.putChunks(chunks), chunks.length);
      assert.equal((await store.statChunk(chunks[0]!.ref.sha256))!.writtenAt, now);
      now = Date.now();
      assert.equal(await store.putChunks(chunks), 0);
      assert.equal((await store.statChunk(chunks[0]!.ref.sha256))!.writtenAt, now);
      assert.equal((await store.readChunk(chunks[0]!.ref.sha256))!.toString(), chunks[0]!.bytes.toString());
      assert.equal(await store.statChunk('e'.repeat(64)), undefined);
    });
  });

  test('a small table is still published as one envelope', async () => {
    const result = await publishFile(tableFile(1, undefined, 5), `file://${join(dir, 'small', 'table.json')}`);
    assert.equal('chunks' in result, false);
    assert.equal('chunksWritten' in result, false);
  });
});

describe('tables signed elsewhere (an offline key), then published', () => {
  const local = localTable('offline');
  let client: DynamoDBClient;
  let to: string;
  before(() => {
    ({ client, to } = local);
    mkdirSync(join(dir, 'offline'), { recursive: true });
  });
  const publishSigned = (file: string, ctx = fakeContext({ json: true })) => publish({ file, to, keys: [], expiresInMs: 3_600_000, ...trustedBy(keyFile) }, ctx).then(() => JSON.parse(ctx.out()) as Record<string, unknown>);

  test('`table sign --out` writes a big table chunked (manifest and FILE.chunks/); validate checks it; publish uploads it as it is', async () => {
    const out = join(dir, 'offline', 'signed.json');
    const signed = fakeContext({ json: true });
    await sign({ file: tableFile(1), keys: [keyFile], expiresInMs: 3_600_000, out, chunkAboveBytes: CHUNK_ABOVE }, signed);
    const summary = JSON.parse(signed.out()) as { chunks: number; chunksDir: string; version: number };
    assert.equal(summary.chunksDir, `${out}.chunks/`);
    assert.equal(readdirSync(summary.chunksDir).length, summary.chunks);
    assert.equal(JSON.parse(readFileSync(out, 'utf8')).payloadType, TABLE_MANIFEST_PAYLOAD_TYPE);

    const validated = fakeContext({ json: true });
    await validate({ file: out, publicKeys: [keyFile.replace(/\.key$/, '.pub')] }, validated);
    assert.deepEqual(pickKeys(JSON.parse(validated.out()), ['signed', 'routes', 'version']), { signed: true, routes: 1_500, version: 1 });
    assert.equal(typeof JSON.parse(validated.out()).verifiedBy, 'string');

    const result = await publishSigned(out);
    assert.deepEqual([result.chunks, result.chunksWritten], [summary.chunks, summary.chunks]);
    const published = await new DynamoDbTableStore(client, 'offline', 'prod', Date.now).latest();
    assert.equal(published!.envelope, readFileSync(out, 'utf8').trimEnd(), 'the manifest is published byte for byte');
    const store = await routerApplies(new DynamoDbTableSource({ client, table: 'offline', tableId: 'prod', maxBytes: 16 * 1024 * 1024 }));
    assert.equal(store.current!.table.version, 1);
    assert.equal(store.current!.resolve('play1499.example.com')?.id, 'route-1499');
  });

  test('a chunk missing beside the manifest, or not matching it, is refused before anything is written', async () => {
    const out = join(dir, 'offline', 'broken.json');
    await sign({ file: tableFile(2), keys: [keyFile], expiresInMs: 3_600_000, out, chunkAboveBytes: CHUNK_ABOVE }, fakeContext({ json: true }));
    const [first, second] = readdirSync(`${out}.chunks`).sort();
    writeFileSync(join(`${out}.chunks`, first!), readFileSync(join(`${out}.chunks`, first!), 'utf8').replace('Route', 'Rout3'));
    await assert.rejects(publishSigned(out), (err: unknown) => err instanceof CliError && err.code === 'ERR_TABLE_CHUNK' && /SHA-256 does not match/.test(err.message));
    rmSync(join(`${out}.chunks`, second!));
    await assert.rejects(publishSigned(out), (err: unknown) => err instanceof CliError && err.code === 'ERR_TABLE_CHUNK' && err.message.includes(`${out}.chunks/`) && /table sign --out/.test(err.message));
    assert.equal((await new DynamoDbTableStore(client, 'offline', 'prod', Date.now).latest())!.version, 1);
  });

  test('a big single envelope (signed to stdout) is refused by DynamoDB in one actionable line, exit 1, JSON under --json, nothing written', async () => {
    const signed = fakeContext();
    await sign({ file: tableFile(3, undefined, 3_000), keys: [keyFile], expiresInMs: 3_600_000 }, signed);
    assert.match(signed.err(), /note: prod@3 is one \d+-byte envelope; to publish it to DynamoDB .* sign it chunked with --out FILE/);
    const file = join(dir, 'offline', 'single.json');
    writeFileSync(file, signed.out());
    const failure = await publishSigned(file).then(() => undefined, (err: unknown) => err);
    assert.ok(failure instanceof CliError && failure.code === 'PASSAGE_TABLE_TOO_LARGE', String(failure));
    assert.equal(failure.exitCode, EXIT_FAILURE);
    assert.match(failure.message, /nothing was written: publish the routes file with --key .* or sign it chunked with `passagectl table sign FILE --out ENVELOPE`/);
    let out = '';
    let err = '';
    assert.equal(reportFailure(failure, true, { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } }), EXIT_FAILURE);
    assert.equal(err.split('\n').filter(Boolean).length, 1);
    assert.equal(JSON.parse(out).error.code, 'PASSAGE_TABLE_TOO_LARGE');
    assert.equal((await new DynamoDbTableStore(client, 'offline', 'prod', Date.now).latest())!.version, 1);
  });

  test('--chunk-above without --out is a usage error: stdout holds one envelope, chunks need a directory', async () => {
    await assert.rejects(
      sign({ file: tableFile(4), keys: [keyFile], expiresInMs: 3_600_000, chunkAboveBytes: CHUNK_ABOVE }, fakeContext()),
      (err: unknown) => err instanceof UsageError && err.exitCode === EXIT_USAGE && /--chunk-above needs --out FILE/.test(err.message),
    );
  });
});

function pickKeys(value: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, value[k]]));
}
