// A status adapter's answer obeys the bounds of a table's status (issue 12, item 4): the MOTD, a
// 64×64 PNG favicon of at most 64 KiB, and the status JSON as a whole within the protocol's limit.
// A refused answer is counted and the last good one keeps serving; a 26-byte ping never gets megabytes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestRouter } from '../helpers/router.ts';
import type { TestRouter } from '../helpers/router.ts';
import { ping } from '../helpers/minecraft.ts';
import { rawExchange } from '../helpers/raw.ts';
import { adapterRoutes, startJsonServer, waitFor } from '../helpers/adapters.ts';
import type { JsonServer } from '../helpers/adapters.ts';
import { encodeHandshake } from '../../router/protocol/handshake.ts';
import { PacketWriter } from '../../router/protocol/writer.ts';

const VERSION = '1.21.4';
const GOOD = { motd: 'Good answer', max_players: 10, online_players: 3 };
const statusPing = [encodeHandshake({ protocol: 769, host: 'play.test', port: 25565, intent: 1 }), new PacketWriter().packet(0x00)];

/** Bytes that pass the favicon check (PNG signature, IHDR 64×64), padded to `size`. */
function pngDataUri(size: number, width = 64): string {
  const head = Buffer.alloc(24);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(head);
  head.writeUInt32BE(13, 8);
  head.write('IHDR', 12, 'latin1');
  head.writeUInt32BE(width, 16);
  head.writeUInt32BE(64, 20);
  return `data:image/png;base64,${Buffer.concat([head, Buffer.alloc(size - head.length, 0x5a)]).toString('base64')}`;
}

describe('status adapter answers past their bounds', () => {
  let api: JsonServer;
  let router: TestRouter;
  let answer: Record<string, unknown> = GOOD;

  before(async () => {
    api = await startJsonServer(() => ({ status: 200, body: answer }));
    router = await startTestRouter({
      routes: adapterRoutes(`[routes.status_adapter]\ntype = "http"\nurl = "${api.url}/status"\ncache_ttl = "100ms"\ntimeout = "2s"`),
      config: { auth: { mode: 'offline' }, adapters: { allow_plain_http: ['127.0.0.1'] } },
    });
    await waitFor('the first status', () => router.counter('passage_adapter_status_fetch_duration_seconds', { adapter: 'http', result: 'ok' }));
  });
  after(async () => {
    await router?.stop(0);
    await api?.close();
  });

  const refused = (): Promise<number> => router.counter('passage_adapter_errors_total', { adapter: 'http', kind: 'status', code: 'ERR_ADAPTER_BAD_RESPONSE' });

  async function expectRefused(bad: Record<string, unknown>): Promise<void> {
    const before = await refused();
    answer = bad;
    try {
      await waitFor('the answer to be refused', async () => (await refused()) > before);
    } finally {
      answer = GOOD;
    }
    const status = await ping(router.port, 'play.test', VERSION);
    assert.deepEqual(status.description, { text: 'Good answer' }, 'the last good status still serves');
  }

  test('a 1.5 MB MOTD is refused and counted; the ping is answered from the last good status, in a few bytes', async () => {
    await expectRefused({ ...GOOD, motd: 'm'.repeat(1_500_000) });
    const { data } = await rawExchange(router.port, statusPing, 2000);
    assert.ok(data.length > 0 && data.length < 1000, `the answer is ${data.length} bytes`);
    assert.match(data.toString('utf8'), /Good answer/);
  });

  test('a favicon that is not a 64×64 PNG is refused as a table favicon would be', async () => {
    await expectRefused({ ...GOOD, favicon: 'data:image/png;base64,AAAA' });
    await expectRefused({ ...GOOD, favicon: pngDataUri(1000, 128) });
  });

  test('a favicon and MOTD that each fit but together pass the status JSON limit are refused', async () => {
    await expectRefused({ ...GOOD, motd: 'm'.repeat(15_000), favicon: pngDataUri(20_000) });
  });

  test('an answer within the bounds replaces the status, favicon included', async () => {
    const favicon = pngDataUri(2_000);
    answer = { ...GOOD, motd: 'New answer', favicon };
    try {
      const status = await waitFor('the new status', async () => {
        const s = await ping(router.port, 'play.test', VERSION);
        return s.description.text === 'New answer' ? s : undefined;
      });
      assert.equal(status.favicon, favicon);
    } finally {
      answer = GOOD;
    }
  });
});
