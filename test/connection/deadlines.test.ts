// A connection keeps one timer, armed for whichever comes first: the phase's deadline or the hard
// limit (`timeout`). Both must still fire when they are the earlier one.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestRouter, transferRoutes } from '../helpers/router.ts';
import type { TestRouter } from '../helpers/router.ts';
import { rawExchange } from '../helpers/raw.ts';
import { encodeHandshake } from '../../router/protocol/handshake.ts';
import { PacketWriter } from '../../router/protocol/writer.ts';

const HANDSHAKE = encodeHandshake({ protocol: 769, host: 'play.test', port: 25565, intent: 2 });
const LOGIN_START = new PacketWriter().string('Later', 16).uuid('00000000-0000-4000-8000-000000000002').packet(0x00);
/** Far beyond the exchange's own wait: a close before it can only come from the hard limit. */
const LONG = '120s';

let hardFirst: TestRouter;
let phaseFirst: TestRouter;
let laterPhase: TestRouter;
before(async () => {
  const routes = transferRoutes([{ id: 'a', port: 25599 }]);
  laterPhase = await startTestRouter({ routes, config: { auth: { mode: 'offline' }, timeout: LONG, limits: { handshake_timeout: '200ms', login_timeout: '3s' } } });
  hardFirst = await startTestRouter({ routes, config: { auth: { mode: 'offline' }, timeout: '1s', limits: { handshake_timeout: LONG } } });
  phaseFirst = await startTestRouter({ routes, config: { auth: { mode: 'offline' }, timeout: LONG, limits: { handshake_timeout: '1s' } } });
});
after(async () => {
  await hardFirst.stop(0);
  await phaseFirst.stop(0);
  await laterPhase.stop(0);
});

test('a client that stalls before Login Start is cut by the hard limit when it ends before the handshake deadline', async () => {
  const timeouts = await hardFirst.counter('passage_errors_total', { kind: 'ERR_TIMEOUT' });
  const { closedByServer } = await rawExchange(hardFirst.port, [HANDSHAKE], 15_000);
  assert.equal(closedByServer, true);
  assert.equal(await hardFirst.counter('passage_errors_total', { kind: 'ERR_TIMEOUT' }), timeouts + 1);
});

test('a client that stalls before Login Start is cut by the handshake deadline when it ends before the hard limit', async () => {
  const timeouts = await phaseFirst.counter('passage_errors_total', { kind: 'ERR_TIMEOUT' });
  const { closedByServer } = await rawExchange(phaseFirst.port, [HANDSHAKE], 15_000);
  assert.equal(closedByServer, true);
  assert.equal(await phaseFirst.counter('passage_errors_total', { kind: 'ERR_TIMEOUT' }), timeouts + 1);
});

test('a later deadline of the next phase is kept: Login Start before the handshake deadline gets the whole login deadline', async () => {
  const timeouts = await laterPhase.counter('passage_errors_total', { kind: 'ERR_TIMEOUT' });
  // Login Success comes back and the client never acknowledges it: only the login deadline (3 s) may
  // end this, not the handshake deadline (200 ms) that was armed first.
  const startedAt = Date.now();
  const { closedByServer } = await rawExchange(laterPhase.port, [HANDSHAKE, LOGIN_START], 15_000);
  assert.equal(closedByServer, true);
  assert.ok(Date.now() - startedAt >= 2_500, `closed after ${Date.now() - startedAt} ms, before the login deadline`);
  assert.equal(await laterPhase.counter('passage_errors_total', { kind: 'ERR_TIMEOUT' }), timeouts + 1);
});
