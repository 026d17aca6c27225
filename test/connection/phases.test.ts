// Moving between phases sets the frame limit of the phase entered: the login phase reads only a
// Login Start-sized frame until Login Start, and the larger login frames after it.
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestRouter, transferRoutes } from '../helpers/router.ts';
import type { TestRouter } from '../helpers/router.ts';
import { rawExchange } from '../helpers/raw.ts';
import { MAX_LOGIN_FRAME, MAX_LOGIN_START_FRAME } from '../../router/connection/limits.ts';
import { encodeHandshake } from '../../router/protocol/handshake.ts';
import { PacketWriter } from '../../router/protocol/writer.ts';

let router: TestRouter;
before(async () => {
  router = await startTestRouter({ routes: transferRoutes([{ id: 'a', port: 25599 }]), config: { auth: { mode: 'offline' } } });
});
after(() => router.stop(0));

const HANDSHAKE = encodeHandshake({ protocol: 769, host: 'play.test', port: 25565, intent: 2 });
const LOGIN_START = new PacketWriter().string('Phased', 16).uuid('00000000-0000-4000-8000-000000000001').packet(0x00);
/** A Login Plugin Response bigger than any Login Start may be, and well within the login limit. */
const BIG_PLUGIN_RESPONSE = new PacketWriter().varInt(1).bool(true).byteArray(Buffer.alloc((MAX_LOGIN_START_FRAME + MAX_LOGIN_FRAME) / 2)).packet(0x02);
const LOGIN_ACKNOWLEDGED = new PacketWriter().packet(0x03);
const CLIENT_INFORMATION = new PacketWriter()
  .string('en_us').byte(10).varInt(0).bool(true).byte(0x7f).varInt(1).bool(false).bool(true).varInt(0)
  .packet(0x00);

/** Sends `bytes` and resolves with what came back once it contains `until` (or the router closed, or 10 s passed). */
function exchangeUntil(port: number, bytes: Buffer[], until: Buffer): Promise<Buffer> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const finish = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks));
    };
    const timer = setTimeout(finish, 10_000);
    socket.on('connect', () => {
      for (const b of bytes) socket.write(b);
    });
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      if (Buffer.concat(chunks).includes(until)) finish();
    });
    socket.on('close', finish);
    socket.on('error', finish);
  });
}

test('before Login Start a frame larger than a Login Start closes the connection as ERR_FRAME_TOO_LARGE', async () => {
  const tooLarge = await router.counter('passage_errors_total', { kind: 'ERR_FRAME_TOO_LARGE' });
  const { closedByServer } = await rawExchange(router.port, [HANDSHAKE, BIG_PLUGIN_RESPONSE]);
  assert.equal(closedByServer, true);
  assert.equal(await router.counter('passage_errors_total', { kind: 'ERR_FRAME_TOO_LARGE' }), tooLarge + 1);
});

test('after Login Start the same frame is read and the login goes on through configuration to Transfer', async () => {
  const tooLarge = await router.counter('passage_errors_total', { kind: 'ERR_FRAME_TOO_LARGE' });
  const transfers = await router.counter('passage_transfers_total', { route: 'main', target: 'a' });
  // The Transfer packet names the target's host; nothing before it does.
  const data = await exchangeUntil(router.port, [HANDSHAKE, LOGIN_START, BIG_PLUGIN_RESPONSE, LOGIN_ACKNOWLEDGED, CLIENT_INFORMATION], Buffer.from('127.0.0.1'));
  assert.ok(data.includes(Buffer.from('127.0.0.1')), 'the Transfer packet was sent');
  assert.equal(await router.counter('passage_errors_total', { kind: 'ERR_FRAME_TOO_LARGE' }), tooLarge);
  assert.equal(await router.counter('passage_transfers_total', { route: 'main', target: 'a' }), transfers + 1);
});
