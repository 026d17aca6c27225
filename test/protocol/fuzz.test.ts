import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FrameDecoder } from '../../router/protocol/framer.ts';
import { decodeHandshake } from '../../router/protocol/handshake.ts';
import { decodeStatusPacket } from '../../router/protocol/status.ts';
import { decodeLoginPacket } from '../../router/protocol/login.ts';
import { decodeConfigurationPacket } from '../../router/protocol/configuration.ts';
import { ProtocolError } from '../../router/protocol/errors.ts';

const decoders: [string, (b: Buffer) => unknown][] = [
  ['handshake', decodeHandshake],
  ['status', decodeStatusPacket],
  ['login', decodeLoginPacket],
  ['configuration 767', (b) => decodeConfigurationPacket(b, 767)],
  ['configuration 775', (b) => decodeConfigurationPacket(b, 775)],
];

function onlyTypedErrors(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch (err) {
    return err instanceof ProtocolError && typeof err.code === 'string' && err.code.startsWith('ERR_');
  }
}

test('random bytes into the framer only ever give frames or typed ProtocolErrors', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }), fc.integer({ min: 1, max: 4096 }), (chunks, max) => {
      const f = new FrameDecoder(max);
      return onlyTypedErrors(() => {
        for (const c of chunks) f.push(Buffer.from(c), (b) => assert.ok(b.length <= max));
      });
    }),
    { numRuns: 2000 },
  );
});

test('random packet bodies into every state decoder only ever give typed ProtocolErrors', () => {
  for (const [name, decode] of decoders) {
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 600 }), (bytes) => onlyTypedErrors(() => decode(Buffer.from(bytes)))), {
      numRuns: 2000,
    });
    // Bodies that start with a valid id reach the field decoders, not just the id switch.
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 8 }), fc.uint8Array({ maxLength: 300 }), (id, rest) => onlyTypedErrors(() => decode(Buffer.concat([Buffer.from([id]), rest])))),
      { numRuns: 2000 },
    );
    assert.ok(name);
  }
});
