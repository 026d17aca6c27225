// Backend → client through one read buffer per session (`net.connect({ onread })`): the buffer is
// read into again only once the write of the last chunk has left it, so a slow client gets every
// byte intact and in order, and a client that stops reading still holds the backend back.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { collect, eventually, pattern, sendToLateReader, writeUntil } from '../helpers/sockets.ts';
import { relayHarness } from '../helpers/relay-session.ts';

describe('RelaySession with a reused backend read buffer', () => {
  test('a client that reads late still gets every backend byte intact and in order', async () => {
    const h = await relayHarness();
    h.start();
    const sent = pattern(16 << 20);
    // More than the sockets' kernel buffers hold: writes to the client go pending and the backend is held.
    const received = await sendToLateReader(h.server, h.player, sent, () => h.session.bytesToClient > 0);
    const s = await h.ended;
    assert.equal(s.bytesToClient, sent.length);
    assert.ok(received.equals(sent), 'the bytes the player received are the bytes the backend sent');
  });

  test('bytes the backend sent before the session started reach the client first', async () => {
    const h = await relayHarness();
    const atPlayer = collect(h.player);
    h.server.write('early|');
    await eventually(() => h.reads.early !== undefined, 'the early bytes were read');
    h.start();
    h.server.end('late');
    await atPlayer.ended;
    const s = await h.ended;
    assert.equal(atPlayer.data().toString(), 'early|late');
    assert.equal(s.bytesToClient, 'early|late'.length);
  });

  test('a client that stops reading is cut after the write timeout while the backend is held back', async () => {
    const h = await relayHarness({ writeTimeoutMs: 300 });
    h.start();
    h.player.pause();
    const written = await writeUntil(h.server, h.ended);
    const s = await h.ended;
    assert.equal(s.reason, 'write_timeout');
    assert.ok(s.bytesToClient < written, 'not everything was read from the backend: it was held back');
  });
});
