// Property tests: whatever bytes arrive, the table code answers with a TableError, never with a crash
// of another kind, and never accepts bytes that a trusted key did not sign.

import assert from 'node:assert/strict';
import { sign } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { canonicalBytes } from '../../router/table/canonical.ts';
import { preAuthEncoding, signTable, TABLE_PAYLOAD_TYPE, verifyEnvelope } from '../../router/table/envelope.ts';
import { TableError, TableValidationError } from '../../router/table/errors.ts';
import { generateSigningKey } from '../../router/table/keys.ts';
import { parseRoutingTable } from '../../router/table/schema.ts';
import { exampleDocument, HOUR, NOW, verifyOptions } from './fixtures.ts';

const publisher = generateSigningKey();
const trusted = [publisher.publicKey];
const envelopeBytes = Buffer.from(JSON.stringify(signTable(exampleDocument(), publisher.privateKey, { expiresInMs: HOUR, now: NOW }).envelope));

function throwsOnlyTableError(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    if (!(error instanceof TableError)) throw error;
  }
}

describe('table fuzzing', () => {
  it('the unmodified envelope verifies (the baseline for the flips below)', () => {
    assert.equal(verifyEnvelope(envelopeBytes, trusted, verifyOptions()).table.version, 7);
  });

  it('never verifies an envelope with flipped bytes, and throws nothing but TableError for it', () => {
    const flips = fc.uniqueArray(fc.record({ index: fc.nat({ max: envelopeBytes.length - 1 }), xor: fc.integer({ min: 1, max: 255 }) }), {
      minLength: 1,
      maxLength: 4,
      selector: (flip) => flip.index,
    });
    fc.assert(
      fc.property(flips, (list) => {
        const mutated = Buffer.from(envelopeBytes);
        for (const { index, xor } of list) mutated[index]! ^= xor;
        assert.throws(
          () => verifyEnvelope(mutated, trusted, verifyOptions()),
          (error: unknown) => error instanceof TableError,
        );
      }),
      { numRuns: 2000 },
    );
  });

  it('throws nothing but TableError for arbitrary strings and bytes', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.uint8Array()), (input) => {
        throwsOnlyTableError(() => verifyEnvelope(typeof input === 'string' ? input : Buffer.from(input), trusted, verifyOptions()));
      }),
    );
  });

  it('answers any value with a routing table or a TableValidationError', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        try {
          parseRoutingTable(value);
        } catch (error) {
          assert.ok(error instanceof TableValidationError, String(error));
        }
      }),
    );
  });

  it('answers a valid table with one value replaced by random JSON with a table or a TableValidationError', () => {
    const paths = leafPaths(exampleDocument());
    fc.assert(
      fc.property(fc.constantFrom(...paths), fc.jsonValue(), (path, replacement) => {
        const doc = exampleDocument();
        setAt(doc, path, replacement);
        try {
          parseRoutingTable(doc);
        } catch (error) {
          assert.ok(error instanceof TableValidationError, String(error));
          assert.ok(error.problems.length > 0);
        }
      }),
    );
  });

  it('throws nothing but TableError for payloads a trusted key really signed, whatever they hold', () => {
    // signTable refuses invalid tables, so these envelopes are signed by hand over arbitrary bytes.
    const payloads = fc.oneof(
      fc.jsonValue().map((doc) => Buffer.from(JSON.stringify(doc) ?? 'null')),
      fc.jsonValue().map((doc) => canonicalBytes({ ...exampleDocument(), issued_at: '2025-06-01T12:00:00Z', expires_at: '2025-06-01T13:00:00Z', routes: doc })),
      fc.uint8Array().map((bytes) => Buffer.from(bytes)),
    );
    fc.assert(
      fc.property(payloads, (payload) => {
        const sig = sign(null, preAuthEncoding(TABLE_PAYLOAD_TYPE, payload), publisher.privateKey).toString('base64');
        const envelope = { payloadType: TABLE_PAYLOAD_TYPE, payload: payload.toString('base64'), signatures: [{ keyid: publisher.keyid, sig }] };
        throwsOnlyTableError(() => verifyEnvelope(JSON.stringify(envelope), trusted, verifyOptions()));
      }),
      { numRuns: 300 },
    );
  });
});

type Path = (string | number)[];

function leafPaths(value: unknown, prefix: Path = []): Path[] {
  if (typeof value !== 'object' || value === null) return [prefix];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return [prefix, ...entries.flatMap(([key, child]) => leafPaths(child, [...prefix, key]))].filter((p) => p.length > 0);
}

function setAt(root: unknown, path: Path, value: unknown): void {
  let node = root as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path.at(-1)!] = value;
}
