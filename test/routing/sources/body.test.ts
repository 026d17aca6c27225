// A table body read piece by piece (body.ts): the same bytes and SHA-256 whatever the pieces, a big one
// on a SharedArrayBuffer, and a body that is longer than declared, or of no declared size, kept whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { BodyCollector, SHARED_BODY_MIN_BYTES } from '../../../router/routing/sources/body.ts';

function collect(data: Buffer, pieceBytes: number, expected?: number): ReturnType<BodyCollector['finish']> {
  const body = new BodyCollector(expected);
  for (let at = 0; at < data.length; at += pieceBytes) body.add(data.subarray(at, at + pieceBytes));
  return body.finish();
}

test('pieces give the bytes and the SHA-256 of the whole, declared, undeclared or wrongly declared', () => {
  const data = randomBytes(200_003);
  const sha = createHash('sha256').update(data).digest('hex');
  for (const [pieces, expected] of [[65_536, data.length], [7, data.length], [65_536, undefined], [1_000, 100_000], [1_000, 300_000], [data.length, 0]] as const) {
    const { bytes, digest } = collect(data, pieces, expected);
    assert.ok(bytes.equals(data), `pieces of ${pieces}, declared ${expected}`);
    assert.equal(digest, sha);
  }
  assert.equal(collect(Buffer.alloc(0), 1, 0).bytes.length, 0);
});

test('a big body is on a SharedArrayBuffer (a worker thread reads it without a copy), a small one is not', () => {
  const big = randomBytes(SHARED_BODY_MIN_BYTES + 5);
  assert.ok(collect(big, 65_536, big.length).bytes.buffer instanceof SharedArrayBuffer);
  const small = randomBytes(1_000);
  assert.ok(!(collect(small, 100, small.length).bytes.buffer instanceof SharedArrayBuffer));
});
