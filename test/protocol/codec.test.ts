import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeVarInt, encodeVarLong, readVarInt, readVarLong, varIntSize } from '../../router/protocol/varint.ts';
import { PacketReader } from '../../router/protocol/reader.ts';
import { PacketWriter } from '../../router/protocol/writer.ts';
import { FrameDecoder } from '../../router/protocol/framer.ts';
import { ProtocolError } from '../../router/protocol/errors.ts';

const VARINT_CASES: [number, number[]][] = [
  [0, [0x00]],
  [1, [0x01]],
  [127, [0x7f]],
  [128, [0x80, 0x01]],
  [255, [0xff, 0x01]],
  [25565, [0xdd, 0xc7, 0x01]],
  [2097151, [0xff, 0xff, 0x7f]],
  [2147483647, [0xff, 0xff, 0xff, 0xff, 0x07]],
  [-1, [0xff, 0xff, 0xff, 0xff, 0x0f]],
  [-2147483648, [0x80, 0x80, 0x80, 0x80, 0x08]],
];

test('VarInts encode and decode as the protocol documentation lists them', () => {
  for (const [value, bytes] of VARINT_CASES) {
    assert.deepEqual([...encodeVarInt(value)], bytes, `encode ${value}`);
    assert.deepEqual(readVarInt(Buffer.from(bytes)), { value, size: bytes.length }, `decode ${value}`);
    assert.equal(varIntSize(value), bytes.length);
  }
});

test('a VarInt cut short asks for more bytes instead of failing', () => {
  assert.equal(readVarInt(Buffer.from([0x80, 0x80])), undefined);
});

test('a VarInt longer than five bytes is rejected with ERR_VARINT_TOO_LONG', () => {
  assert.throws(() => readVarInt(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01])), { code: 'ERR_VARINT_TOO_LONG' });
});

test('VarLongs round-trip at the extremes', () => {
  for (const v of [0n, 1n, 9223372036854775807n, -1n, -9223372036854775808n]) {
    const enc = encodeVarLong(v);
    assert.deepEqual(readVarLong(enc), { value: v, size: enc.length });
  }
  assert.equal(encodeVarLong(-1n).length, 10);
});

test('writer and reader agree on every field type', () => {
  const uuid = '069a79f4-44e9-4726-a5be-fca90e38aaf5';
  const packet = new PacketWriter().varInt(300).string('héllo').ushort(25565).long(-5n).uuid(uuid).bool(true).byteArray(Buffer.from([1, 2, 3])).packet(0x42);
  const frames: Buffer[] = [];
  new FrameDecoder().push(packet, (b) => void frames.push(b));
  const r = new PacketReader(frames[0]);
  assert.equal(r.varInt(), 0x42);
  assert.equal(r.varInt(), 300);
  assert.equal(r.string(16), 'héllo');
  assert.equal(r.ushort(), 25565);
  assert.equal(r.long(), -5n);
  assert.equal(r.uuid(), uuid);
  assert.equal(r.bool(), true);
  assert.deepEqual([...r.byteArray(3)], [1, 2, 3]);
  r.end('test');
});

test('strings over their limit fail before the bytes are sliced, naming limit and value', () => {
  const body = new PacketWriter().string('x'.repeat(20)).packet(0).subarray(2);
  assert.throws(() => new PacketReader(body).string(16, 'player name'), (err: ProtocolError) => err.code === 'ERR_STRING_TOO_LONG' && /20 chars, limit 16/.test(err.message));
  const announced = Buffer.concat([encodeVarInt(1_000_000), Buffer.from('abc')]);
  assert.throws(() => new PacketReader(announced).string(255, 'host'), (err: ProtocolError) => err.code === 'ERR_STRING_TOO_LONG' && /1000000 bytes announced, limit 765/.test(err.message));
});

test('byte arrays longer than their limit are refused without allocating', () => {
  const body = Buffer.concat([encodeVarInt(5121), Buffer.alloc(10)]);
  assert.throws(() => new PacketReader(body).byteArray(5120, 'cookie'), { code: 'ERR_BAD_LENGTH' });
});

test('a truncated field is ERR_TRUNCATED and trailing bytes are ERR_TRAILING_BYTES', () => {
  assert.throws(() => new PacketReader(Buffer.from([1])).ushort(), { code: 'ERR_TRUNCATED' });
  const r = new PacketReader(Buffer.from([1, 2]));
  r.ubyte();
  assert.throws(() => r.end('x'), { code: 'ERR_TRAILING_BYTES' });
});

test('the framer reassembles frames split across chunks and splits frames that share a chunk', () => {
  const a = new PacketWriter().string('first').packet(1);
  const b = new PacketWriter().string('second').packet(2);
  const all = Buffer.concat([a, b]);
  for (let cut = 0; cut <= all.length; cut++) {
    const seen: number[] = [];
    const f = new FrameDecoder();
    f.push(all.subarray(0, cut), (body) => void seen.push(body[0]));
    f.push(all.subarray(cut), (body) => void seen.push(body[0]));
    assert.deepEqual(seen, [1, 2], `cut at ${cut}`);
    assert.equal(f.buffered, 0);
  }
});

test('the framer rejects an announced length over the state limit before buffering it', () => {
  const f = new FrameDecoder(1100);
  assert.throws(() => f.push(Buffer.concat([encodeVarInt(1101), Buffer.alloc(3)]), () => {}), (err: ProtocolError) => err.code === 'ERR_FRAME_TOO_LARGE' && /1101 bytes, limit 1100/.test(err.message));
  assert.throws(() => new FrameDecoder().push(Buffer.from([0xff, 0xff, 0xff, 0x7f]), () => {}), { code: 'ERR_FRAME_TOO_LARGE' });
  assert.throws(() => new FrameDecoder().push(Buffer.from([0x00]), () => {}), { code: 'ERR_FRAME_EMPTY' });
});

test('the framer keeps only the incomplete remainder, never the announced size', () => {
  const f = new FrameDecoder(2_000_000);
  f.push(Buffer.concat([encodeVarInt(2_000_000), Buffer.alloc(10)]), () => assert.fail('no frame yet'));
  assert.equal(f.buffered, 3 + 10);
});

test('errors caused by peers carry no stack trace, so a flood of them stays cheap', async () => {
  const { AuthError } = await import('../../router/auth/errors.ts');
  const { ProxyHeaderError } = await import('../../router/proxy/errors.ts');
  for (const err of [new ProtocolError('ERR_TRUNCATED', 'x'), new AuthError('ERR_AUTH_NOT_VERIFIED', 'x'), new ProxyHeaderError('ERR_PROXY_MALFORMED', 'x')]) {
    assert.doesNotMatch(err.stack ?? '', /\n\s+at /, err.name);
    assert.ok(err instanceof Error);
  }
  assert.match(new Error('ours').stack ?? '', /\n\s+at /, 'other errors keep their stacks');
});
