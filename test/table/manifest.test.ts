// Chunked tables (issue 19): a signed manifest plus content-addressed chunks stand for exactly the
// document a single envelope would carry, and a one-route change touches O(1) chunks.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { canonicalBytes } from '../../router/table/canonical.ts';
import { signTable, type TableDocument } from '../../router/table/envelope.ts';
import {
  assembleDocument,
  chunkDocuments,
  chunkRouteDocuments,
  decodeChunk,
  MAX_CHUNK_BYTES,
  signChunkedTable,
  splitTableDocument,
  verifyManifestEnvelope,
} from '../../router/table/manifest.ts';
import { TableError } from '../../router/table/errors.ts';
import { newKey } from '../helpers/tables.ts';
import { bigDocument as fixture, manyRoutes } from '../helpers/chunked-tables.ts';

const key = newKey();
const now = Date.parse('2025-06-01T12:00:00Z');

function bigDocument(count: number, version = 1, edit?: (i: number) => string): Record<string, unknown> {
  return fixture('prod', count, version, edit);
}

function verifyOpts(overrides: Record<string, unknown> = {}) {
  return { maxBytes: 16 * 1024 * 1024, expectedTableId: 'prod', now, skewMs: 60_000, ...overrides };
}

describe('chunked tables', () => {
  test('a manifest and its chunks assemble to the exact payload a single envelope signs', () => {
    const doc = bigDocument(3_000);
    const single = signTable(doc, key.privateKey, { now, expiresInMs: 3_600_000 });
    const chunked = signChunkedTable(doc, key.privateKey, { now, expiresInMs: 3_600_000 });
    assert.ok(chunked.chunks.length > 3, `expected several chunks, got ${chunked.chunks.length}`);
    const verified = verifyManifestEnvelope(JSON.stringify(chunked.envelope), [key.publicKey], verifyOpts());
    const routes = verified.manifest.chunks.map((ref) => decodeChunk(chunked.chunks.find((c) => c.ref.sha256 === ref.sha256)!.bytes, ref));
    const assembled = assembleDocument(verified.manifest, routes);
    assert.ok(canonicalBytes(assembled).equals(single.payloadBytes));
    assert.deepEqual(chunked.table, single.table);
  });

  test('changing one route of 3,000 changes one chunk; adding or removing one changes at most two', () => {
    const before = new Set(chunkRouteDocuments(manyRoutes(3_000)).map((c) => c.ref.sha256));
    const changed = (after: readonly { ref: { sha256: string } }[]): number => after.filter((c) => !before.has(c.ref.sha256)).length;
    assert.equal(changed(chunkRouteDocuments(manyRoutes(3_000, (i) => (i === 1_234 ? ' (edited)' : '')))), 1);
    const routes = manyRoutes(3_000);
    const inserted = [...routes.slice(0, 1_500), { ...routes[0], id: 'new-route', hosts: ['new.example.com'] }, ...routes.slice(1_500)];
    assert.ok(changed(chunkRouteDocuments(inserted)) <= 2);
    const removed = [...routes.slice(0, 700), ...routes.slice(701)];
    assert.ok(changed(chunkRouteDocuments(removed)) <= 2);
  });

  test('every chunk is within the chunk size cap, so it fits a DynamoDB item', () => {
    const long = (i: number): string => ` ${'x'.repeat(200 + (i % 50))}`;
    for (const chunk of chunkRouteDocuments(manyRoutes(5_000, long))) assert.ok(chunk.bytes.length <= MAX_CHUNK_BYTES);
  });

  test('a chunk whose bytes differ from its manifest entry is refused with ERR_TABLE_CHUNK', () => {
    const [chunk] = splitTableDocument(bigDocument(50) as TableDocument).chunks;
    const tampered = Buffer.from(chunk!.bytes.toString('utf8').replace('Route 1', 'Route 9'));
    assert.throws(() => decodeChunk(tampered, chunk!.ref), { code: 'ERR_TABLE_CHUNK', message: /SHA-256 does not match/ });
    assert.throws(() => decodeChunk(chunk!.bytes.subarray(1), chunk!.ref), { code: 'ERR_TABLE_CHUNK', message: /bytes, the manifest says/ });
    const pretty = Buffer.from(JSON.stringify(JSON.parse(chunk!.bytes.toString()), null, 1));
    assert.throws(() => decodeChunk(pretty, { ...chunk!.ref, sha256: require256(pretty), bytes: pretty.length }), { code: 'ERR_TABLE_CHUNK', message: /canonical/ });
  });

  test('a manifest gets the checks a single envelope gets: trusted key, table id, expiry, version, size', () => {
    const chunked = signChunkedTable(bigDocument(600, 5), key.privateKey, { now, expiresInMs: 3_600_000 });
    const text = JSON.stringify(chunked.envelope);
    const code = (fn: () => unknown): string => {
      try {
        fn();
      } catch (err) {
        if (err instanceof TableError) return err.code;
        throw err;
      }
      return 'accepted';
    };
    assert.equal(code(() => verifyManifestEnvelope(text, [key.publicKey], verifyOpts())), 'accepted');
    assert.equal(code(() => verifyManifestEnvelope(text, [newKey().publicKey], verifyOpts())), 'ERR_TABLE_UNTRUSTED_KEY');
    assert.equal(code(() => verifyManifestEnvelope(text, [key.publicKey], verifyOpts({ expectedTableId: 'staging' }))), 'ERR_TABLE_WRONG_ID');
    assert.equal(code(() => verifyManifestEnvelope(text, [key.publicKey], verifyOpts({ now: now + 7_200_000 }))), 'ERR_TABLE_EXPIRED');
    assert.equal(code(() => verifyManifestEnvelope(text, [key.publicKey], verifyOpts({ currentVersion: 6 }))), 'ERR_TABLE_STALE_VERSION');
    // The chunks together are bigger than the cap, though the manifest itself is small.
    assert.equal(code(() => verifyManifestEnvelope(text, [key.publicKey], verifyOpts({ maxBytes: text.length + 10 }))), 'ERR_TABLE_TOO_LARGE');
    const single = JSON.stringify(signTable(bigDocument(1, 5), key.privateKey, { now, expiresInMs: 3_600_000 }).envelope);
    assert.equal(code(() => verifyManifestEnvelope(single, [key.publicKey], verifyOpts())), 'ERR_TABLE_MALFORMED_ENVELOPE');
  });

  test('a chunk is checked route by route: each document is handed out once its own bytes are canonical', () => {
    const routes = manyRoutes(3);
    // The last route with its keys out of order: valid JSON, the right hash, not canonical.
    const { id, ...rest } = routes[2]!;
    const parts = [...routes.slice(0, 2).map((r) => canonicalBytes(r).toString()), JSON.stringify({ ...rest, id })];
    const bytes = Buffer.from(`[${parts.join(',')}]`);
    const documents = chunkDocuments(bytes, { sha256: require256(bytes), bytes: bytes.length, routes: 3 });
    assert.deepEqual(documents.next().value, routes[0]);
    assert.deepEqual(documents.next().value, routes[1]);
    assert.throws(() => documents.next(), { code: 'ERR_TABLE_CHUNK', message: /canonical/ });
  });

  test('a chunk decodes whatever its routes\' strings hold; a wrong count, a cut chunk and items that are not objects are told apart', () => {
    const routes = manyRoutes(3).map((r, i) => ({ ...r, status: { motd: [`} ] { [ " \\ \\" ${i}`, '\\', '{"text":"x"}'][i] } }));
    const bytes = Buffer.from(`[${routes.map((r) => canonicalBytes(r).toString()).join(',')}]`);
    assert.deepEqual(decodeChunk(bytes, { sha256: require256(bytes), bytes: bytes.length, routes: 3 }), routes);
    for (const routesDeclared of [2, 4]) {
      assert.throws(() => decodeChunk(bytes, { sha256: require256(bytes), bytes: bytes.length, routes: routesDeclared }), { code: 'ERR_TABLE_CHUNK', message: new RegExp(`must be a JSON array of ${routesDeclared} route objects`) });
    }
    const cut = bytes.subarray(0, bytes.length - 5);
    assert.throws(() => decodeChunk(cut, { sha256: require256(cut), bytes: cut.length, routes: 3 }), { code: 'ERR_TABLE_CHUNK', message: /not UTF-8 JSON/ });
    const notObjects = Buffer.from('[1,2,3]');
    assert.throws(() => decodeChunk(notObjects, { sha256: require256(notObjects), bytes: notObjects.length, routes: 3 }), { code: 'ERR_TABLE_CHUNK', message: /must be a JSON array of 3 route objects/ });
  });

  test('a chunk is canonical only as a whole: nothing before the bracket, commas alone between routes, nothing after', () => {
    const routes = manyRoutes(2).map((r) => canonicalBytes(r).toString());
    const refOf = (text: string) => {
      const bytes = Buffer.from(text);
      return { bytes, ref: { sha256: require256(bytes), bytes: bytes.length, routes: 2 } };
    };
    const good = refOf(`[${routes.join(',')}]`);
    assert.deepEqual(decodeChunk(good.bytes, good.ref), manyRoutes(2));
    for (const text of [` [${routes.join(',')}]`, `[${routes.join(', ')}]`, `[${routes.join(',')}] `, `[${routes.join(',')}\n]`]) {
      const bad = refOf(text);
      assert.throws(() => decodeChunk(bad.bytes, bad.ref), { code: 'ERR_TABLE_CHUNK', message: /canonical/ }, JSON.stringify(text));
    }
  });
});

function require256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
