// Every encoder checks its own bound (issue 12, item 2): a value from a table, an adapter or a message
// template that does not fit its field is an EncodeError with a stable code, never a RangeError from
// deep inside Buffer, and never a packet the client would refuse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EncodeError } from '../../router/protocol/errors.ts';
import { encodeLegacyStatus } from '../../router/protocol/legacy.ts';
import { MAX_FRAME_BYTES, MAX_LEGACY_KICK_CHARS, MAX_STATUS_JSON_CHARS, MAX_STRING_CHARS } from '../../router/protocol/limits.ts';
import { encodeLoginDisconnect } from '../../router/protocol/login.ts';
import { encodeConfigurationDisconnect } from '../../router/protocol/configuration.ts';
import { textComponentToNbt } from '../../router/protocol/nbt.ts';
import { decodeStatusResponse } from '../../router/protocol/relay.ts';
import { encodeStatusResponse } from '../../router/protocol/status.ts';
import { PacketWriter } from '../../router/protocol/writer.ts';

const overLimit = (limit: number, value: number) => (err: unknown): boolean => {
  assert.ok(err instanceof EncodeError, `expected an EncodeError, got ${String(err)}`);
  assert.equal(err.code, 'ERR_ENCODE_LIMIT');
  assert.equal(err.limit, limit);
  assert.equal(err.value, value);
  assert.match(err.message, new RegExp(`${value}.*limit ${limit}`));
  return true;
};

/** The UTF-16BE text of a legacy 0xFF answer, checked against its own length prefix. */
function legacyText(b: Buffer): string {
  assert.equal(b[0], 0xff);
  const chars = b.readUInt16BE(1);
  assert.equal(b.length, 3 + chars * 2);
  return Array.from({ length: chars }, (_, i) => String.fromCharCode(b.readUInt16BE(3 + i * 2))).join('');
}

test('the string writer refuses a string longer than its String(n), naming the limit and the length', () => {
  assert.throws(() => new PacketWriter().string('x'.repeat(MAX_STRING_CHARS + 1)), overLimit(MAX_STRING_CHARS, MAX_STRING_CHARS + 1));
  assert.throws(() => new PacketWriter().string('x'.repeat(17), 16, 'player name'), overLimit(16, 17));
  // Exactly at the limit is fine.
  assert.ok(new PacketWriter().string('x'.repeat(MAX_STRING_CHARS)).packet(0).length > MAX_STRING_CHARS);
});

test('the status JSON encoder refuses JSON past the String(32767) clients read, and what it writes reads back', () => {
  assert.throws(() => encodeStatusResponse(`"${'m'.repeat(1_500_000)}"`), overLimit(MAX_STATUS_JSON_CHARS, 1_500_002));
  assert.throws(() => encodeStatusResponse('x'.repeat(MAX_STATUS_JSON_CHARS + 1)), { code: 'ERR_ENCODE_LIMIT' });
  const largest = `"${'é'.repeat(MAX_STATUS_JSON_CHARS - 2)}"`;
  const packet = encodeStatusResponse(largest);
  // Strip the frame length (3 bytes for a packet this size) to get the body the relay's decoder reads.
  assert.equal(decodeStatusResponse(packet.subarray(3)), largest);
});

test('a frame over 2 MiB is an EncodeError with a stable code, not a RangeError', () => {
  assert.throws(() => new PacketWriter().byteArray(Buffer.alloc(MAX_FRAME_BYTES)).packet(0x01), { code: 'ERR_ENCODE_LIMIT', limit: MAX_FRAME_BYTES });
});

test('disconnect texts are checked by their encoders: JSON as a String(262144), NBT strings as 65,535 bytes', () => {
  assert.throws(() => encodeLoginDisconnect({ text: 'x'.repeat(262_144) }), { code: 'ERR_ENCODE_LIMIT', limit: 262_144 });
  assert.ok(encodeLoginDisconnect({ text: 'x'.repeat(100_000) }).length > 100_000);
  // 'é' is 2 bytes of modified UTF-8: 40,000 of them are 80,000 bytes.
  assert.throws(() => textComponentToNbt({ text: 'é'.repeat(40_000) }), overLimit(0xffff, 80_000));
  assert.throws(() => encodeConfigurationDisconnect({ text: 'é'.repeat(40_000) }), { code: 'ERR_ENCODE_LIMIT' });
});

test('a legacy answer never exceeds the 256 characters 1.4–1.6 clients read: a 70,000-character MOTD is shortened, not thrown', () => {
  const s = { protocol: 775, versionName: '1.20.5–26.1', motd: `Welcome ${'x'.repeat(70_000)}`, online: 3, max: 10 };
  for (const first of [Buffer.from([0xfe, 0x01]), Buffer.from([0xfe, 0x01, 0xfa]), Buffer.from([0xfe])]) {
    const text = legacyText(encodeLegacyStatus(first, s));
    assert.equal(text.length, MAX_LEGACY_KICK_CHARS);
    assert.ok(text.includes('Welcome xxx'), 'the MOTD starts the way the table wrote it');
    assert.ok(text.endsWith(first.length === 1 ? '§3§10' : '\x003\x0010'), 'the player counts survive the cut');
  }
  // A cut never splits a surrogate pair (an emoji becomes nothing rather than half a character).
  const emoji = legacyText(encodeLegacyStatus(Buffer.from([0xfe]), { ...s, motd: '😀'.repeat(200) }));
  assert.ok(emoji.length <= MAX_LEGACY_KICK_CHARS);
  assert.doesNotMatch(emoji, /[\ud800-\udbff](?![\udc00-\udfff])/);
});

test('a legacy answer whose fixed fields alone do not fit is refused by the encoder', () => {
  const s = { protocol: 775, versionName: 'v'.repeat(300), motd: 'Hi', online: 0, max: 0 };
  assert.throws(() => encodeLegacyStatus(Buffer.from([0xfe, 0x01]), s), { code: 'ERR_ENCODE_LIMIT', limit: MAX_LEGACY_KICK_CHARS });
});
