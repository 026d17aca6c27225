// Client → backend frees each read buffer once its write has completed (released-reads.ts): the
// backend still gets every byte intact and in order when it reads late, backpressure and half-close
// behave as before, and a buffer is only freed when nothing else can share its memory.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { releaseRead } from '../../router/relay/released-reads.ts';
import { collect, eventually, pattern, sendToLateReader, writeUntil } from '../helpers/sockets.ts';
import { relayHarness } from '../helpers/relay-session.ts';
import type { RelayHarness } from '../helpers/relay-session.ts';

/** A started session (preamble `HS|`) and every chunk its 'data' listener got from the client. */
async function harness(opts: { writeTimeoutMs?: number } = {}): Promise<RelayHarness & { clientChunks: Buffer[] }> {
  const h = await relayHarness(opts);
  h.start([Buffer.from('HS|')]);
  // Listens after the session, so it sees each chunk right after the relay wrote it.
  const clientChunks: Buffer[] = [];
  h.client.on('data', (c: Buffer) => clientChunks.push(c));
  return { ...h, clientChunks };
}

describe('RelaySession, client → backend with read buffers freed once written', () => {
  test('a backend that reads late still gets every client byte intact and in order, and every read buffer is freed', async () => {
    const h = await harness();
    const sent = pattern(16 << 20);
    const received = await sendToLateReader(h.player, h.server, sent, () => h.session.bytesToBackend > 3);
    h.server.end();
    const s = await h.ended;
    assert.equal(s.bytesToBackend, 'HS|'.length + sent.length);
    assert.ok(received.equals(Buffer.concat([Buffer.from('HS|'), sent])), 'the bytes the backend received are the bytes the player sent');
    assert.ok(h.clientChunks.length > 1, 'the upload came in more than one read');
    const kept = h.clientChunks.filter((c) => c.length > 0).length;
    assert.equal(kept, 0, `${kept} of ${h.clientChunks.length} read buffers were not freed after their write`);
  });

  test('a backend that stops reading holds the client back and is cut after the write timeout', async () => {
    const h = await harness({ writeTimeoutMs: 300 });
    h.server.pause();
    const written = await writeUntil(h.player, h.ended);
    const s = await h.ended;
    assert.equal(s.reason, 'write_timeout');
    assert.ok(s.bytesToBackend < written, 'not everything was read from the client: it was held back');
  });

  test("a client's FIN reaches the backend after all its bytes, and the backend can still answer", async () => {
    const h = await harness();
    const atServer = collect(h.server);
    const atPlayer = collect(h.player);
    const sent = pattern(4 << 20);
    h.player.end(sent);
    await atServer.ended;
    assert.ok(atServer.data().equals(Buffer.concat([Buffer.from('HS|'), sent])));
    h.server.end('answer after your FIN');
    await atPlayer.ended;
    assert.equal(atPlayer.data().toString(), 'answer after your FIN');
    const s = await h.ended;
    assert.equal(s.reason, 'client_closed');
    assert.equal(s.bytesToBackend, 'HS|'.length + sent.length);
  });

  test('a session cut in the middle of an upload, with writes to the backend still queued, ends cleanly', async () => {
    const h = await harness();
    h.server.pause();
    const chunk = Buffer.alloc(1 << 20);
    for (let i = 0; i < 8 && h.player.write(chunk); i++);
    await eventually(() => h.session.bytesToBackend > 1 << 20, 'the relay read from the client');
    // The queued writes fail (their callbacks get errors) and the in-flight one is cancelled.
    h.session.close('drain');
    assert.equal((await h.ended).reason, 'drain');
  });
});

describe('releaseRead', () => {
  test('frees a buffer that is its whole memory, and empties it', () => {
    const read = Buffer.allocUnsafeSlow(64 * 1024);
    assert.equal(releaseRead(read), true);
    assert.equal(read.length, 0);
    assert.equal(read.buffer.detached, true);
    assert.equal(releaseRead(read), false, 'a freed buffer is not freed twice');
  });

  test('leaves alone a buffer that shares its memory: a pooled buffer, a slice, a shared buffer', () => {
    const pooled = Buffer.from('pooled');
    const whole = Buffer.alloc(1024, 1);
    const slice = whole.subarray(0, 512);
    const shared = Buffer.from(new SharedArrayBuffer(16));
    for (const b of [pooled, slice, shared]) assert.equal(releaseRead(b), false);
    assert.equal(pooled.toString(), 'pooled');
    assert.equal(whole.length, 1024);
    assert.equal(slice.length, 512);
    assert.equal(shared.length, 16);
  });
});
