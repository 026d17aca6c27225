import assert from 'node:assert/strict';
import { sign } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  compareToCurrent,
  decodeEnvelope,
  MAX_SIGNATURES,
  preAuthEncoding,
  signTable,
  TABLE_PAYLOAD_TYPE,
  verifyEnvelope,
  type TableEnvelope,
} from '../../router/table/envelope.ts';
import { TableError, TableTooLargeError, TableUntrustedKeyError, TableValidationError } from '../../router/table/errors.ts';
import { generateSigningKey } from '../../router/table/keys.ts';
import { exampleDocument, HOUR, NOW, verifyOptions } from './fixtures.ts';

const publisher = generateSigningKey();
const stranger = generateSigningKey();

function signedJson(doc = exampleDocument(), keys = [publisher.privateKey], now = NOW): string {
  return JSON.stringify(signTable(doc, keys, { expiresInMs: HOUR, now }).envelope);
}

function rejectsWith(code: string, run: () => unknown): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof TableError, `expected a TableError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return true;
  });
}

/** An envelope whose payload is `bytes`, correctly signed by the publisher: for payloads signTable would refuse. */
function envelopeOver(bytes: Buffer): string {
  const sig = sign(null, preAuthEncoding(TABLE_PAYLOAD_TYPE, bytes), publisher.privateKey).toString('base64');
  return JSON.stringify({ payloadType: TABLE_PAYLOAD_TYPE, payload: bytes.toString('base64'), signatures: [{ keyid: publisher.keyid, sig }] });
}

function withEnvelope(json: string, edit: (envelope: Record<string, any>) => void): string {
  const envelope = JSON.parse(json) as Record<string, any>;
  edit(envelope);
  return JSON.stringify(envelope);
}

describe('signTable and verifyEnvelope', () => {
  it('round-trips: a table signed by a trusted key verifies to the same table, document and bytes', () => {
    const signed = signTable(exampleDocument(), publisher.privateKey, { expiresInMs: HOUR, now: NOW });
    const verified = verifyEnvelope(JSON.stringify(signed.envelope), [publisher.publicKey], verifyOptions());
    assert.deepEqual(verified.table, signed.table);
    assert.deepEqual(verified.document, signed.document);
    assert.deepEqual(verified.payloadBytes, signed.payloadBytes);
    assert.equal(verified.keyid, publisher.keyid);
    assert.equal(verified.table.issuedAt, NOW);
    assert.equal(verified.table.expiresAt, NOW + HOUR);
  });

  it('builds a DSSE envelope over the canonical bytes and does not modify the input document', () => {
    const doc = exampleDocument();
    const signed = signTable(doc, publisher.privateKey, { expiresInMs: HOUR, now: NOW });
    assert.equal(doc.issued_at, undefined);
    assert.deepEqual(Object.keys(signed.envelope), ['payloadType', 'payload', 'signatures']);
    assert.equal(signed.envelope.payloadType, 'application/vnd.passage.table+json');
    const text = Buffer.from(signed.envelope.payload, 'base64').toString('utf8');
    assert.ok(text.startsWith('{"expires_at":"2025-06-01T13:00:00.000Z","issued_at":"2025-06-01T12:00:00.000Z","routes":['));
    assert.deepEqual(signed.envelope.signatures.map((s) => s.keyid), [publisher.keyid]);
  });

  it('encodes the DSSE v1 pre-authentication encoding as the DSSE specification shows', () => {
    assert.equal(
      preAuthEncoding('http://example.com/HelloWorld', Buffer.from('hello world')).toString(),
      'DSSEv1 29 http://example.com/HelloWorld 11 hello world',
    );
  });

  it('keeps issued_at and expires_at from the document when no expiry is asked for, and refuses a document without them', () => {
    const doc = { ...exampleDocument(), issued_at: '2025-06-01T11:00:00Z', expires_at: '2025-06-02T11:00:00Z' };
    assert.equal(signTable(doc, publisher.privateKey).table.expiresAt, Date.parse('2025-06-02T11:00:00Z'));
    assert.throws(() => signTable(exampleDocument(), publisher.privateKey), TableValidationError);
  });

  it('refuses to sign an invalid table', () => {
    assert.throws(() => signTable({ ...exampleDocument(), routs: [] }, publisher.privateKey, { expiresInMs: HOUR }), TableValidationError);
  });

  it('rejects a payload with one byte changed: ERR_TABLE_SIGNATURE', () => {
    const json = withEnvelope(signedJson(), (envelope) => {
      const bytes = Buffer.from(envelope.payload, 'base64');
      bytes[bytes.indexOf('7')] = '8'.charCodeAt(0); // version 7 → 8: still a valid table
      envelope.payload = bytes.toString('base64');
    });
    rejectsWith('ERR_TABLE_SIGNATURE', () => verifyEnvelope(json, [publisher.publicKey], verifyOptions()));
  });

  it('rejects a signature with one bit changed: ERR_TABLE_SIGNATURE', () => {
    const json = withEnvelope(signedJson(), (envelope) => {
      const sig = Buffer.from(envelope.signatures[0].sig, 'base64');
      sig[10]! ^= 1;
      envelope.signatures[0].sig = sig.toString('base64');
    });
    rejectsWith('ERR_TABLE_SIGNATURE', () => verifyEnvelope(json, [publisher.publicKey], verifyOptions()));
  });

  it('rejects a table signed only by an untrusted key, naming the keys it was signed with', () => {
    assert.throws(
      () => verifyEnvelope(signedJson(undefined, [stranger.privateKey]), [publisher.publicKey], verifyOptions()),
      (error: unknown) => error instanceof TableUntrustedKeyError && error.code === 'ERR_TABLE_UNTRUSTED_KEY' && error.keyids[0] === stranger.keyid,
    );
  });

  it('rejects a signature that claims a trusted keyid but was made by another key: ERR_TABLE_SIGNATURE', () => {
    const json = withEnvelope(signedJson(undefined, [stranger.privateKey]), (envelope) => (envelope.signatures[0].keyid = publisher.keyid));
    rejectsWith('ERR_TABLE_SIGNATURE', () => verifyEnvelope(json, [publisher.publicKey], verifyOptions()));
  });

  it('rejects a table for another table_id', () => {
    rejectsWith('ERR_TABLE_WRONG_ID', () => verifyEnvelope(signedJson(), [publisher.publicKey], verifyOptions({ expectedTableId: 'staging' })));
  });

  it('rejects an expired table, allowing the configured clock skew', () => {
    const json = signedJson();
    const justExpired = NOW + HOUR + 60_000;
    rejectsWith('ERR_TABLE_EXPIRED', () => verifyEnvelope(json, [publisher.publicKey], verifyOptions({ now: justExpired })));
    assert.ok(verifyEnvelope(json, [publisher.publicKey], verifyOptions({ now: justExpired - 1 })));
  });

  it('rejects a table issued further in the future than the clock skew', () => {
    const json = signedJson(undefined, undefined, NOW + 60_001);
    rejectsWith('ERR_TABLE_NOT_YET_VALID', () => verifyEnvelope(json, [publisher.publicKey], verifyOptions()));
    assert.ok(verifyEnvelope(signedJson(undefined, undefined, NOW + 60_000), [publisher.publicKey], verifyOptions()));
  });

  it('rejects an oversized envelope before parsing it, counting UTF-8 bytes', () => {
    const limit = 100;
    assert.throws(
      () => verifyEnvelope('x'.repeat(limit + 1), [publisher.publicKey], verifyOptions({ maxBytes: limit })),
      (error: unknown) => error instanceof TableTooLargeError && error.limit === limit && error.size === limit + 1,
    );
    // 51 two-byte characters are 102 bytes, though only 51 UTF-16 units: not JSON, yet TOO_LARGE wins.
    rejectsWith('ERR_TABLE_TOO_LARGE', () => verifyEnvelope('é'.repeat(51), [publisher.publicKey], verifyOptions({ maxBytes: limit })));
    rejectsWith('ERR_TABLE_TOO_LARGE', () => verifyEnvelope(Buffer.alloc(limit + 1), [publisher.publicKey], verifyOptions({ maxBytes: limit })));
    rejectsWith('ERR_TABLE_MALFORMED_ENVELOPE', () => verifyEnvelope('x'.repeat(limit), [publisher.publicKey], verifyOptions({ maxBytes: limit })));
  });

  it('accepts either of two trusted keys during a rotation', () => {
    const next = generateSigningKey();
    const trusted = [publisher.publicKey, next.publicKey];
    assert.equal(verifyEnvelope(signedJson(undefined, [publisher.privateKey]), trusted, verifyOptions()).keyid, publisher.keyid);
    assert.equal(verifyEnvelope(signedJson(undefined, [next.privateKey]), trusted, verifyOptions()).keyid, next.keyid);
  });

  it('verifies an envelope with two signatures when only the second key is trusted', () => {
    const json = signedJson(undefined, [stranger.privateKey, publisher.privateKey]);
    assert.equal(JSON.parse(json).signatures.length, 2);
    assert.equal(verifyEnvelope(json, [publisher.publicKey], verifyOptions()).keyid, publisher.keyid);
  });

  it('verifies when a trusted key signed correctly even if another trusted signature is broken', () => {
    const next = generateSigningKey();
    const json = withEnvelope(signedJson(undefined, [next.privateKey, publisher.privateKey]), (envelope) => {
      envelope.signatures[0].sig = Buffer.alloc(64).toString('base64');
    });
    assert.equal(verifyEnvelope(json, [publisher.publicKey, next.publicKey], verifyOptions()).keyid, publisher.keyid);
  });

  it('rejects a version lower than the current one, and lets an equal one through to compareToCurrent', () => {
    const json = signedJson();
    rejectsWith('ERR_TABLE_STALE_VERSION', () => verifyEnvelope(json, [publisher.publicKey], verifyOptions({ currentVersion: 8 })));
    assert.equal(verifyEnvelope(json, [publisher.publicKey], verifyOptions({ currentVersion: 7 })).table.version, 7);
  });

  it('rejects a signed payload that is not canonical JSON, since another parser might read it differently', () => {
    const canonical = signTable(exampleDocument(), publisher.privateKey, { expiresInMs: HOUR, now: NOW }).payloadBytes.toString();
    const duplicateKey = `{"version":1,${canonical.slice(1)}`; // JSON.parse keeps the last "version"
    for (const text of [` ${canonical}`, canonical.replace('"version":7', '"version":7.0'), duplicateKey, `\ufeff${canonical}`]) {
      rejectsWith('ERR_TABLE_MALFORMED_ENVELOPE', () => verifyEnvelope(envelopeOver(Buffer.from(text)), [publisher.publicKey], verifyOptions()));
    }
  });

  it('rejects a signed canonical payload that fails validation: ERR_TABLE_INVALID', () => {
    const bytes = Buffer.from(JSON.stringify({ table_id: 'prod', version: 1 }));
    rejectsWith('ERR_TABLE_INVALID', () => verifyEnvelope(envelopeOver(bytes), [publisher.publicKey], verifyOptions()));
  });
});

describe('decodeEnvelope', () => {
  const good = JSON.parse(signedJson()) as TableEnvelope;

  it('rejects envelopes that are not exactly the DSSE shape', () => {
    const cases: unknown[] = [
      'not json',
      [],
      { ...good, extra: 1 },
      { payloadType: good.payloadType, payload: good.payload },
      { ...good, payloadType: 'application/json' },
      { ...good, signatures: [] },
      { ...good, signatures: Array(MAX_SIGNATURES + 1).fill(good.signatures[0]) },
      { ...good, signatures: [{ ...good.signatures[0], extra: 1 }] },
      { ...good, signatures: [{ ...good.signatures[0], keyid: good.signatures[0]!.keyid.toUpperCase() }] },
      { ...good, signatures: [{ ...good.signatures[0], sig: 'AAAA' }] },
      { ...good, payload: `${good.payload}\n` },
      { ...good, payload: '-_-_' }, // base64url, which Buffer.from(…, 'base64') would quietly accept
      { ...good, payload: 'YQ' }, // unpadded
      { ...good, payload: 42 },
    ];
    for (const value of cases) {
      const json = typeof value === 'string' ? value : JSON.stringify(value);
      assert.throws(() => decodeEnvelope(json), (e: unknown) => e instanceof TableError && e.code === 'ERR_TABLE_MALFORMED_ENVELOPE', json.slice(0, 200));
    }
  });

  it('rejects a signature spelled with non-zero base64 padding bits, which would decode to the same bytes', () => {
    const sig = good.signatures[0]!.sig; // 64 bytes: 86 characters and "==", the last character carries 4 padding bits
    const last = sig[85]!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const sibling = alphabet[alphabet.indexOf(last) ^ 1]!;
    const respelled = `${sig.slice(0, 85)}${sibling}==`;
    assert.deepEqual(Buffer.from(respelled, 'base64'), Buffer.from(sig, 'base64'));
    rejectsWith('ERR_TABLE_MALFORMED_ENVELOPE', () => decodeEnvelope(JSON.stringify({ ...good, signatures: [{ ...good.signatures[0], sig: respelled }] })));
  });

  it('rejects bytes that are not UTF-8', () => {
    rejectsWith('ERR_TABLE_MALFORMED_ENVELOPE', () => decodeEnvelope(Buffer.from([0x7b, 0xff, 0x7d])));
  });
});

describe('compareToCurrent', () => {
  const at = (version: number, text: string) => ({ table: { version }, payloadBytes: Buffer.from(text) });

  it('calls any table newer when none is held', () => {
    assert.equal(compareToCurrent(at(1, 'a'), undefined), 'newer');
  });

  it('orders by version and, at an equal version, tells identical bytes from a conflict', () => {
    assert.equal(compareToCurrent(at(2, 'a'), at(1, 'a')), 'newer');
    assert.equal(compareToCurrent(at(1, 'a'), at(2, 'b')), 'stale');
    assert.equal(compareToCurrent(at(2, 'same'), at(2, 'same')), 'same');
    assert.equal(compareToCurrent(at(2, 'one'), at(2, 'two')), 'conflict');
  });
});
