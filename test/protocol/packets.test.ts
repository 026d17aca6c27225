import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeHandshake, encodeHandshake, normalizeHost } from '../../router/protocol/handshake.ts';
import { encodeLegacyStatus } from '../../router/protocol/legacy.ts';
import { encodeLoginSuccess, decodeLoginPacket } from '../../router/protocol/login.ts';
import { textComponentToNbt, modifiedUtf8 } from '../../router/protocol/nbt.ts';
import { decodeConfigurationPacket, encodeTransfer } from '../../router/protocol/configuration.ts';
import { PacketReader } from '../../router/protocol/reader.ts';
import { PacketWriter, uuidBytes } from '../../router/protocol/writer.ts';
import { EncodeError } from '../../router/protocol/errors.ts';
import { FrameDecoder } from '../../router/protocol/framer.ts';
import { decodeStatusPacket, encodePong } from '../../router/protocol/status.ts';
import { legacyPingHost } from '../../router/connection/legacy-ping.ts';

function body(packet: Buffer): Buffer {
  let out: Buffer | undefined;
  new FrameDecoder().push(packet, (b) => void (out = b));
  return out!;
}

test('hosts are cleaned for lookup: Forge suffix, trailing dot and case', () => {
  const cases: [string, string][] = [
    ['play.example.com', 'play.example.com'],
    ['Play.Example.COM', 'play.example.com'],
    ['play.example.com.', 'play.example.com'],
    ['play.example.com\0FML3\0', 'play.example.com'],
    ['play.example.com.\0FML\0', 'play.example.com'],
    ['mc.example.com\x00192.168.0.1\x00abc', 'mc.example.com'],
  ];
  for (const [raw, want] of cases) assert.equal(normalizeHost(raw), want, JSON.stringify(raw));
});

test('a handshake decodes to protocol, cleaned host, port and intent', () => {
  const hs = decodeHandshake(body(encodeHandshake({ protocol: 769, host: 'Play.Test.\0FML2\0', port: 25565, intent: 2 })));
  assert.deepEqual(hs, { protocol: 769, rawHost: 'Play.Test.\0FML2\0', host: 'play.test', port: 25565, intent: 2 });
});

test('a handshake with intent 4 or trailing bytes is refused', () => {
  assert.throws(() => decodeHandshake(body(encodeHandshake({ protocol: 769, host: 'a', port: 1, intent: 4 }))), { code: 'ERR_BAD_VALUE' });
  const extra = new PacketWriter().varInt(769).string('a').ushort(1).varInt(1).bool(true).packet(0);
  assert.throws(() => decodeHandshake(body(extra)), { code: 'ERR_TRAILING_BYTES' });
});

test('Login Success has the strict-error-handling byte only for protocols 766 and 767', () => {
  const profile = { id: '069a79f4-44e9-4726-a5be-fca90e38aaf5', name: 'Notch', properties: [{ name: 'textures', value: 'abc', signature: 'sig' }] };
  const sizes = new Map([766, 767, 768, 775].map((p) => [p, encodeLoginSuccess(profile, p).length]));
  assert.equal(sizes.get(766), sizes.get(767));
  assert.equal(sizes.get(768), sizes.get(775));
  assert.equal(sizes.get(766)! - sizes.get(768)!, 1);
  const r = new PacketReader(body(encodeLoginSuccess(profile, 775)));
  assert.equal(r.varInt(), 0x02);
  assert.equal(r.uuid(), profile.id);
  assert.equal(r.string(16), 'Notch');
  assert.equal(r.varInt(), 1);
  assert.equal(r.string(64), 'textures');
  assert.equal(r.string(32767), 'abc');
  assert.equal(r.bool(), true);
  assert.equal(r.string(1024), 'sig');
  r.end('login success');
});

test('Login Start rejects names outside the vanilla alphabet', () => {
  const start = (name: string) => body(new PacketWriter().string(name).uuid('00000000-0000-0000-0000-000000000000').packet(0));
  assert.equal((decodeLoginPacket(start('Steve_01')) as { name: string }).name, 'Steve_01');
  assert.throws(() => decodeLoginPacket(start('bad name')), { code: 'ERR_BAD_VALUE' });
  assert.throws(() => decodeLoginPacket(start('x'.repeat(17))), { code: 'ERR_STRING_TOO_LONG' });
});

test('text components become network NBT with modified UTF-8', () => {
  assert.deepEqual([...textComponentToNbt('hi')], [0x08, 0x00, 0x02, 0x68, 0x69]);
  assert.deepEqual([...textComponentToNbt({ text: 'a' })], [0x0a, 0x08, 0x00, 0x04, ...Buffer.from('text'), 0x00, 0x01, 0x61, 0x00]);
  assert.deepEqual([...modifiedUtf8('\0')], [0xc0, 0x80]);
  assert.deepEqual([...modifiedUtf8('😀')], [0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80]);
  // Mixed `extra` lists are written as a list of compounds.
  const mixed = textComponentToNbt({ text: '', extra: ['a', { text: 'b', bold: true }] });
  assert.ok(mixed.includes(Buffer.from([0x09, 0x00, 0x05, ...Buffer.from('extra'), 0x0a, 0, 0, 0, 2])));
});

test('Client Information reads the locale and checks the particle field from 768 on', () => {
  const info = (protocol: number) => {
    const w = new PacketWriter().string('de_DE').byte(10).varInt(0).bool(true).byte(127).varInt(1).bool(false).bool(true);
    if (protocol >= 768) w.varInt(0);
    return body(w.packet(0));
  };
  assert.deepEqual(decodeConfigurationPacket(info(767), 767), { kind: 'client_information', locale: 'de_de' });
  assert.deepEqual(decodeConfigurationPacket(info(769), 769), { kind: 'client_information', locale: 'de_de' });
  assert.throws(() => decodeConfigurationPacket(info(767), 769), { code: 'ERR_TRUNCATED' });
});

test('Transfer carries host and VarInt port', () => {
  const r = new PacketReader(body(encodeTransfer('lobby.example.com', 25566)));
  assert.equal(r.varInt(), 0x0b);
  assert.equal(r.string(255), 'lobby.example.com');
  assert.equal(r.varInt(), 25566);
});

test('legacy pings get the answer of their era', () => {
  const s = { protocol: 775, versionName: '1.20.5–26.1', motd: 'Hi§x', online: 3, max: 10 };
  const modern = encodeLegacyStatus(Buffer.from([0xfe, 0x01, 0xfa]), s);
  assert.equal(modern[0], 0xff);
  const text = (b: Buffer) => Array.from({ length: b.readUInt16BE(1) }, (_, i) => String.fromCharCode(b.readUInt16BE(3 + i * 2))).join('');
  assert.equal(text(modern), '§1\x00775\x001.20.5–26.1\x00Hix\x003\x0010');
  assert.equal(text(encodeLegacyStatus(Buffer.from([0xfe]), s)), 'Hix§3§10');
});

test('the 1.6 MC|PingHost extension names the host', () => {
  const utf16 = (s: string) => Buffer.from([...s].flatMap((c) => [0, c.charCodeAt(0)]));
  const host = 'Play.Test';
  const data = Buffer.concat([Buffer.from([78]), Buffer.from([0, host.length]), utf16(host), Buffer.from([0, 0, 0x63, 0xdd])]);
  const ping = Buffer.concat([Buffer.from([0xfe, 0x01, 0xfa, 0, 11]), utf16('MC|PingHost'), Buffer.from([0, data.length]), data]);
  assert.equal(legacyPingHost(ping), 'play.test');
  assert.equal(legacyPingHost(Buffer.from([0xfe, 0x01])), undefined);
});

test('a ping is answered with its own 8 bytes, whatever Long they hold; a short or long ping is refused', () => {
  for (const value of [0n, 1n, -1n, 1234567890123n, -(2n ** 63n), 2n ** 63n - 1n]) {
    const ping = new PacketWriter().long(value).packet(0x01);
    const frames: Buffer[] = [];
    new FrameDecoder(64).push(ping, (frame) => void frames.push(Buffer.from(frame)));
    const body = frames[0]!;
    const packet = decodeStatusPacket(body);
    assert.equal(packet.kind, 'ping');
    const pong = encodePong(packet.kind === 'ping' ? packet.payload : Buffer.alloc(0));
    assert.deepEqual(pong, new PacketWriter().long(value).packet(0x01), String(value));
  }
  assert.throws(() => decodeStatusPacket(Buffer.from([0x01, 1, 2, 3])), /Long/);
  assert.throws(() => decodeStatusPacket(Buffer.from([0x01, 1, 2, 3, 4, 5, 6, 7, 8, 9])), /ping/);
  assert.throws(() => encodePong(Buffer.alloc(7)), /pong payload: 7 bytes, limit 8/);
});

test('a UUID is written as its 16 bytes, dashed or not; a malformed one is refused by the encoder', () => {
  const dashed = '069a79f4-44e9-4726-a5be-fca90e38aaf5';
  const expected = Buffer.from(dashed.replace(/-/g, ''), 'hex');
  assert.deepEqual(uuidBytes(dashed), expected);
  assert.deepEqual(uuidBytes(dashed.replace(/-/g, '')), expected);
  assert.deepEqual(uuidBytes(dashed.toUpperCase()), expected);
  for (const bad of ['', '069a79f4', `${dashed}0`, dashed.replace('a', 'g'), dashed.replace(/-/g, 'x'), `${dashed.slice(0, 8)}x${dashed.slice(9)}`]) {
    assert.throws(() => uuidBytes(bad), (err: unknown) => err instanceof EncodeError && /^UUID/.test(err.message), bad);
  }
});
