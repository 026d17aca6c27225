import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeHandshake } from '../../router/protocol/handshake.ts';
import { frameBody, readLoginStartName } from '../../router/protocol/relay.ts';
import { PacketWriter } from '../../router/protocol/writer.ts';
import { backendHandshake } from '../../router/relay/handshake-rewrite.ts';
import type { Target } from '../../router/table/types.ts';

const target: Target = { id: 't', address: 'mc-1.internal:25570', host: 'mc-1.internal', port: 25570, priority: 0, meta: {} };
const client = { protocol: 47, rawHost: 'Play.Example.com\0FML\0', host: 'play.example.com', port: 25565, intent: 2 as const };

/** The handshake body a backend decodes from the framed packet. */
function decoded(framed: Buffer): ReturnType<typeof decodeHandshake> {
  return decodeHandshake(framed.subarray(1));
}

describe('backendHandshake', () => {
  test('without a rewrite the backend gets the client host exactly as sent', () => {
    const h = decoded(backendHandshake(client, 'none', target));
    assert.equal(h.rawHost, 'Play.Example.com\0FML\0');
    assert.equal(h.port, 25565);
    assert.equal(h.protocol, 47);
    assert.equal(h.intent, 2);
    assert.deepEqual(backendHandshake(client, undefined, target), backendHandshake(client, 'none', target));
  });

  test('an explicit rewrite replaces the host and keeps the Forge marker', () => {
    const h = decoded(backendHandshake(client, { explicit: 'backend.internal' }, target));
    assert.equal(h.rawHost, 'backend.internal\0FML\0');
    assert.equal(h.port, 25565);
  });

  test('from_backend names the host and port of the target used', () => {
    const h = decoded(backendHandshake(client, 'from_backend', target));
    assert.equal(h.rawHost, 'mc-1.internal\0FML\0');
    assert.equal(h.port, 25570);
  });

  test('the intent can be replaced (status requests to the backend)', () => {
    assert.equal(decoded(backendHandshake(client, 'none', target, 1)).intent, 1);
  });

  test('anything after a NUL that is not a Forge marker is dropped, with or without a rewrite', () => {
    const spoofing = { ...client, rawHost: 'Play.Example.com\u0000203.0.113.9\u0000069a79f444e94726a5befca90e38aaf5\u0000[]' };
    assert.equal(decoded(backendHandshake(spoofing, 'none', target)).rawHost, 'Play.Example.com');
    assert.equal(decoded(backendHandshake(spoofing, { explicit: 'backend.internal' }, target)).rawHost, 'backend.internal');
    assert.equal(decoded(backendHandshake(spoofing, 'from_backend', target)).rawHost, 'mc-1.internal');
    assert.equal(decoded(backendHandshake({ ...client, rawHost: 'a.test\u0000FML\u0000x' }, 'none', target)).rawHost, 'a.test');
  });

  test('bungeecord forwarding writes host, router-seen IP and offline UUID for logins, and the plain host for status', () => {
    const forward = { mode: 'bungeecord' as const, player: { ip: '198.51.100.4', name: 'Steve' } };
    const spoofing = { ...client, rawHost: 'play.example.com\u00001.2.3.4\u0000ffffffffffffffffffffffffffffffff' };
    // The offline UUID of "Steve", as every offline-mode server computes it.
    assert.equal(decoded(backendHandshake(spoofing, 'none', target, 2, forward)).rawHost, 'play.example.com\u0000198.51.100.4\u00005627dd98e6be3c21b8a8e92344183641');
    assert.equal(decoded(backendHandshake(spoofing, 'none', target, 1, forward)).rawHost, 'play.example.com');
    assert.equal(decoded(backendHandshake(spoofing, 'none', target, 2, { ...forward, mode: 'none' })).rawHost, 'play.example.com');
  });
});

describe('readLoginStartName', () => {
  test('reads the name of a 1.8 Login Start (name only) and of a 1.21 one (name and UUID)', () => {
    assert.equal(readLoginStartName(new PacketWriter().string('Steve').packet(0x00).subarray(1)), 'Steve');
    const modern = new PacketWriter().string('Alex').uuid('0123456789abcdef0123456789abcdef').packet(0x00);
    assert.equal(readLoginStartName(modern.subarray(1)), 'Alex');
  });

  test('refuses another packet, an overlong name and control characters with stable codes', () => {
    assert.throws(() => readLoginStartName(new PacketWriter().string('x').packet(0x01).subarray(1)), { code: 'ERR_UNEXPECTED_PACKET' });
    assert.throws(() => readLoginStartName(new PacketWriter().string('a'.repeat(17)).packet(0x00).subarray(1)), { code: 'ERR_STRING_TOO_LONG' });
    assert.throws(() => readLoginStartName(new PacketWriter().string('bad\nname').packet(0x00).subarray(1)), { code: 'ERR_BAD_VALUE' });
  });

  test('frameBody puts back the length prefix the framer removed', () => {
    const framed = new PacketWriter().string('Steve').packet(0x00);
    assert.deepEqual(frameBody(framed.subarray(1)), framed);
  });
});
