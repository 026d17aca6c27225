import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { canonicalBytes, canonicalize } from '../../router/table/canonical.ts';
import { CanonicalJsonError } from '../../router/table/errors.ts';

describe('canonicalize (RFC 8785)', () => {
  it('matches the RFC 8785 §3.2.2 example', () => {
    // The input as RFC 8785 §3.2.2 writes it, parsed by JSON.parse as the RFC's ECMAScript notes assume.
    const input = String.raw`{
      "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
      "literals": [null, true, false]
    }`;
    const expected = String.raw`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`;
    assert.equal(canonicalize(JSON.parse(input)), expected);
  });

  it('sorts member names by UTF-16 code units as in the RFC 8785 §3.2.3 example', () => {
    const input = JSON.parse(String.raw`{
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis"
    }`);
    // Read the order from the text: JSON.parse would enumerate the integer-like key "1" first regardless.
    const order = [...canonicalize(input).matchAll(/:"([^"]*)"/g)].map((m) => m[1]);
    assert.deepEqual(order, [
      'Carriage Return',
      'One',
      'Control',
      'Latin Small Letter O With Diaeresis',
      'Euro Sign',
      'Emoji: Grinning Face',
      'Hebrew Letter Dalet With Dagesh',
    ]);
    // Note the emoji (U+1F600, surrogates D83D DE00) before U+FB33: code units, not code points.
  });

  it('serializes the RFC 8785 Appendix B number samples', () => {
    const samples: [string, string][] = [
      ['0000000000000000', '0'],
      ['8000000000000000', '0'],
      ['0000000000000001', '5e-324'],
      ['8000000000000001', '-5e-324'],
      ['7fefffffffffffff', '1.7976931348623157e+308'],
      ['ffefffffffffffff', '-1.7976931348623157e+308'],
      ['4340000000000000', '9007199254740992'],
      ['c340000000000000', '-9007199254740992'],
      ['4430000000000000', '295147905179352830000'],
      ['44b52d02c7e14af5', '9.999999999999997e+22'],
      ['44b52d02c7e14af6', '1e+23'],
      ['44b52d02c7e14af7', '1.0000000000000001e+23'],
      ['444b1ae4d6e2ef4e', '999999999999999700000'],
      ['444b1ae4d6e2ef4f', '999999999999999900000'],
      ['444b1ae4d6e2ef50', '1e+21'],
      ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
      ['3eb0c6f7a0b5ed8d', '0.000001'],
      ['41b3de4355555553', '333333333.3333332'],
      ['41b3de4355555554', '333333333.33333325'],
      ['41b3de4355555555', '333333333.3333333'],
      ['41b3de4355555556', '333333333.3333334'],
      ['41b3de4355555557', '333333333.33333343'],
      ['becbf647612f3696', '-0.0000033333333333333333'],
      ['43143ff3c1cb0959', '1424953923781206.2'],
    ];
    for (const [bits, expected] of samples) {
      assert.equal(canonicalize(Buffer.from(bits, 'hex').readDoubleBE(0)), expected, bits);
    }
  });

  it('rejects NaN and Infinity (RFC 8785 Appendix B: 7fffffffffffffff, 7ff0000000000000)', () => {
    for (const value of [NaN, Infinity, -Infinity]) {
      assert.throws(() => canonicalize({ a: [value] }), (e: unknown) => e instanceof CanonicalJsonError && e.path === 'a[0]');
    }
  });

  it('rejects values JSON cannot carry instead of dropping them', () => {
    const bad: unknown[] = [
      undefined,
      { a: undefined },
      [undefined],
      () => 1,
      10n,
      Symbol('s'),
      new Date(0),
      new Map(),
      Buffer.from('x'),
      'lone \ud800 surrogate',
      { ['\udc00']: 1 },
    ];
    for (const value of bad) {
      assert.throws(() => canonicalize(value), (e: unknown) => e instanceof CanonicalJsonError && e.code === 'ERR_TABLE_NOT_CANONICAL_JSON');
    }
  });

  it('rejects circular structures but accepts a shared, acyclic one', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.throws(() => canonicalize(cyclic), CanonicalJsonError);
    const shared = { x: 1 };
    assert.equal(canonicalize({ a: shared, b: shared }), '{"a":{"x":1},"b":{"x":1}}');
  });

  it('accepts null-prototype objects and encodes bytes as UTF-8', () => {
    const doc = Object.assign(Object.create(null) as Record<string, unknown>, { b: 'é', a: '😀' });
    assert.equal(canonicalize(doc), '{"a":"😀","b":"é"}');
    assert.deepEqual(canonicalBytes(doc), Buffer.from('{"a":"😀","b":"é"}', 'utf8'));
  });

  it('is idempotent: canonicalizing parsed canonical JSON gives the same text', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const once = canonicalize(value);
        assert.equal(canonicalize(JSON.parse(once)), once);
      }),
    );
  });

  it('does not depend on the order members were inserted in', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer({ min: 0, max: 1000 }), (value, seed) => {
        assert.equal(canonicalize(reorder(value, seed)), canonicalize(value));
      }),
    );
  });

  it('keeps the value: parsing the output gives back an equal value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        // -0 is the one value JSON cannot tell apart from 0.
        const normalized = JSON.parse(JSON.stringify(value)) as unknown;
        assert.deepEqual(JSON.parse(canonicalize(value)), normalized);
      }),
    );
  });
});

/** Rebuilds every object with its members inserted in a rotated, reversed order. */
function reorder(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((item) => reorder(item, seed + 1));
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value).reverse();
  const shift = entries.length === 0 ? 0 : seed % entries.length;
  const rotated = [...entries.slice(shift), ...entries.slice(0, shift)];
  return Object.fromEntries(rotated.map(([k, v]) => [k, reorder(v, seed + 1)]));
}
