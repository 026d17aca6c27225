// PROXY protocol v1/v2 parsing from raw bytes, in every chunking, plus fast-check fuzzing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ProxyHeaderParser, PROXY_V2_SIGNATURE, canonicalIpv6 } from '../../router/proxy/header.ts';
import type { ParseStep } from '../../router/proxy/header.ts';
import { ProxyHeaderError } from '../../router/proxy/errors.ts';
import { encodeProxyV1, encodeProxyV2 } from '../helpers/proxy.ts';

/** Feeds `bytes` split at `cuts`; returns the final step (or throws). */
function feed(bytes: Buffer, cuts: number[] = []): ParseStep {
  const parser = new ProxyHeaderParser();
  let at = 0;
  let step: ParseStep = { done: false };
  for (const cut of [...cuts.filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b), bytes.length]) {
    if (cut <= at) continue;
    step = parser.push(bytes.subarray(at, cut));
    if (step.done) {
      const tail = bytes.subarray(cut);
      const rest = Buffer.concat([step.rest ?? Buffer.alloc(0), tail]);
      return { done: true, header: step.header, rest: rest.length === 0 ? undefined : rest };
    }
    at = cut;
  }
  return step;
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ProxyHeaderError, String(err));
    return err.code;
  }
  return 'no error';
}

const after = Buffer.from([0x10, 0x00, 0xf6, 0x05]);

test('a v1 TCP4 header gives the source address and leaves the bytes after it', () => {
  const step = feed(Buffer.concat([Buffer.from('PROXY TCP4 203.0.113.7 10.0.0.1 51234 25565\r\n'), after]));
  assert.equal(step.done, true);
  if (!step.done) return;
  assert.deepEqual(step.header.source, { address: '203.0.113.7', port: 51234 });
  assert.deepEqual(step.header.destination, { address: '10.0.0.1', port: 25565 });
  assert.deepEqual(step.rest, after);
});

test('a v1 TCP6 header gives the canonical IPv6 source', () => {
  const step = feed(Buffer.from('PROXY TCP6 2001:DB8:0:0:0:0:0:1 ::1 4000 25565\r\n'));
  assert.ok(step.done);
  assert.deepEqual(step.header.source, { address: '2001:db8::1', port: 4000 });
  assert.equal(step.rest, undefined);
});

test('a v1 UNKNOWN header carries no address (the peer stands for the client)', () => {
  const step = feed(Buffer.from('PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n'));
  assert.ok(step.done);
  assert.equal(step.header.source, undefined);
});

test('a v2 PROXY header over IPv4 gives the source, skipping its TLVs', () => {
  const bytes = Buffer.concat([encodeProxyV2({ source: '198.51.100.9', sourcePort: 40000, tlvs: Buffer.alloc(300, 7) }), after]);
  for (const cuts of [[], [1], [12, 13], [16], [20, 100, 200], Array.from({ length: bytes.length }, (_, i) => i)]) {
    const step = feed(bytes, cuts);
    assert.ok(step.done, `cuts ${cuts.length}`);
    assert.deepEqual(step.header.source, { address: '198.51.100.9', port: 40000 });
    assert.deepEqual(step.rest, after);
  }
});

test('a v2 PROXY header over IPv6 gives the source; an IPv4-mapped source becomes plain IPv4', () => {
  const v6 = feed(encodeProxyV2({ source: '2001:db8:1:2::7', sourcePort: 1 }));
  assert.ok(v6.done);
  assert.equal(v6.header.source?.address, '2001:db8:1:2::7');
  const mapped = feed(encodeProxyV2({ source: '::ffff:192.0.2.1', sourcePort: 1 }));
  assert.ok(mapped.done);
  assert.equal(mapped.header.source?.address, '192.0.2.1');
});

test('a v2 LOCAL header (a health check) is accepted and carries no address', () => {
  const step = feed(Buffer.concat([encodeProxyV2({ command: 'local' }), after]));
  assert.ok(step.done);
  assert.equal(step.header.command, 'local');
  assert.equal(step.header.source, undefined);
  assert.deepEqual(step.rest, after);
});

const REFUSED: [string, Buffer, string][] = [
  ['Minecraft bytes where a header belongs', Buffer.from([0x10, 0x00, 0xf6, 0x05, 0x09]), 'ERR_PROXY_MISSING'],
  ['a v1 line without CRLF in 107 bytes', Buffer.from(`PROXY TCP4 ${'1'.repeat(120)}`), 'ERR_PROXY_TOO_LONG'],
  ['a v1 header with a bad address', Buffer.from('PROXY TCP4 300.1.1.1 10.0.0.1 1 2\r\n'), 'ERR_PROXY_MALFORMED'],
  ['a v1 TCP4 header with IPv6 addresses', Buffer.from('PROXY TCP4 ::1 ::2 1 2\r\n'), 'ERR_PROXY_MALFORMED'],
  ['a v1 header with port 65536', Buffer.from('PROXY TCP4 1.1.1.1 10.0.0.1 65536 2\r\n'), 'ERR_PROXY_MALFORMED'],
  ['a v1 header with a missing field', Buffer.from('PROXY TCP4 1.1.1.1 10.0.0.1 1\r\n'), 'ERR_PROXY_MALFORMED'],
  ['a v1 header for UDP', Buffer.from('PROXY UDP4 1.1.1.1 10.0.0.1 1 2\r\n'), 'ERR_PROXY_UNSUPPORTED'],
  ['a v2 header with version 3', Buffer.concat([PROXY_V2_SIGNATURE, Buffer.from([0x31, 0x11, 0, 12]), Buffer.alloc(12)]), 'ERR_PROXY_UNSUPPORTED'],
  ['a v2 header with command 2', Buffer.concat([PROXY_V2_SIGNATURE, Buffer.from([0x22, 0x11, 0, 12]), Buffer.alloc(12)]), 'ERR_PROXY_UNSUPPORTED'],
  ['a v2 header for UDP', Buffer.concat([PROXY_V2_SIGNATURE, Buffer.from([0x21, 0x12, 0, 12]), Buffer.alloc(12)]), 'ERR_PROXY_UNSUPPORTED'],
  ['a v2 IPv4 header too short for its addresses', Buffer.concat([PROXY_V2_SIGNATURE, Buffer.from([0x21, 0x11, 0, 4]), Buffer.alloc(4)]), 'ERR_PROXY_MALFORMED'],
];

for (const [name, bytes, expected] of REFUSED) {
  test(`${name} is refused as ${expected}`, () => {
    assert.equal(code(() => feed(bytes)), expected);
  });
}

test('a header that is still arriving asks for more bytes; v2 TLVs are counted off, not kept', () => {
  const parser = new ProxyHeaderParser();
  assert.deepEqual(parser.push(Buffer.from('PROXY TCP4 1.2')), { done: false });
  const v2 = new ProxyHeaderParser();
  const head = encodeProxyV2({ source: '192.0.2.5', sourcePort: 9, tlvs: Buffer.alloc(60_000) });
  const pieces: Buffer[] = [];
  for (let at = 0; at < head.length; at += 1000) pieces.push(head.subarray(at, at + 1000));
  pieces.push(after);
  for (const piece of pieces.slice(0, -2)) {
    assert.deepEqual(v2.push(piece), { done: false });
    assert.ok(((v2 as unknown as { buf?: Buffer }).buf?.length ?? 0) <= 16 + 216);
  }
  assert.deepEqual(v2.push(pieces.at(-2)!), { done: true, header: { version: 2, command: 'proxy', source: { address: '192.0.2.5', port: 9 }, destination: { address: '127.0.0.1', port: 25565 }, length: head.length }, rest: undefined });
});

test('canonical IPv6 text matches what v2 headers produce', () => {
  assert.equal(canonicalIpv6('2001:0db8:0000:0000:0001:0000:0000:0001'), '2001:db8::1:0:0:1');
  assert.equal(canonicalIpv6('::'), '::');
  assert.equal(canonicalIpv6('1:2:3:4:5:6:7:8'), '1:2:3:4:5:6:7:8');
  assert.equal(canonicalIpv6('::ffff:1.2.3.4'), '1.2.3.4');
});

test('any v1 or v2 header survives any chunking and names its source (fast-check)', () => {
  const ipv4 = fc.ipV4();
  const ipv6 = fc.ipV6();
  fc.assert(
    fc.property(
      fc.oneof(
        fc.record({ v: fc.constant(1 as const), src: ipv4, port: fc.integer({ min: 0, max: 65535 }) }),
        fc.record({ v: fc.constant(1 as const), src: ipv6, port: fc.integer({ min: 0, max: 65535 }) }),
        fc.record({ v: fc.constant(2 as const), src: fc.oneof(ipv4, ipv6), port: fc.integer({ min: 0, max: 65535 }), tlv: fc.integer({ min: 0, max: 600 }) }),
      ),
      fc.array(fc.nat({ max: 800 }), { maxLength: 8 }),
      (h, cuts) => {
        const bytes =
          h.v === 1
            ? encodeProxyV1(h.src, h.port)
            : encodeProxyV2({ source: h.src, sourcePort: h.port, tlvs: Buffer.alloc((h as { tlv: number }).tlv, 1) });
        const step = feed(Buffer.concat([bytes, after]), cuts);
        assert.ok(step.done);
        const want = h.src.includes(':') ? canonicalIpv6(h.src) : h.src;
        assert.equal(step.header.source?.address, want);
        assert.equal(step.header.source?.port, h.port);
        assert.deepEqual(step.rest, after);
      },
    ),
    { numRuns: 400 },
  );
});

test('random bytes never crash the parser: they ask for more or raise a ProxyHeaderError (fast-check)', () => {
  const prefix = fc.constantFrom(Buffer.alloc(0), Buffer.from('PROXY '), PROXY_V2_SIGNATURE, Buffer.concat([PROXY_V2_SIGNATURE, Buffer.from([0x21])]));
  fc.assert(
    fc.property(prefix, fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat({ max: 300 }), { maxLength: 5 }), (p, body, cuts) => {
      try {
        feed(Buffer.concat([p, Buffer.from(body)]), cuts);
      } catch (err) {
        assert.ok(err instanceof ProxyHeaderError, String(err));
        assert.equal(err.stack?.split('\n').length, 1, 'no stack frames');
      }
    }),
    { numRuns: 2000 },
  );
});
