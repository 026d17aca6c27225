// A hostile table cannot crash the router (issue 12, item 2). Before the fix, a MOTD over 65,535
// characters passed validation and one 2-byte `FE 01` ping threw a RangeError outside any handler:
// the process exited. Now the schema refuses such a table, and a value that got past it anyway (as a
// validator bug would let it) fails only the connection that carries it, counted, never the process.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestRouter } from '../helpers/router.ts';
import type { TestRouter } from '../helpers/router.ts';
import { rawExchange } from '../helpers/raw.ts';
import { ping } from '../helpers/minecraft.ts';
import { encodeHandshake } from '../../router/protocol/handshake.ts';
import { PacketWriter } from '../../router/protocol/writer.ts';
import { parseRoutingTable } from '../../router/table/schema.ts';
import type { RoutingTable } from '../../router/table/types.ts';

const VERSION = '1.21.4';
const HOSTILE_MOTD = `Hostile ${'x'.repeat(70_000)}`;
const LEGACY_PING = Buffer.from([0xfe, 0x01]);
const statusPing = [encodeHandshake({ protocol: 769, host: 'play.test', port: 25565, intent: 1 }), new PacketWriter().packet(0x00)];
const loginHandshake = encodeHandshake({ protocol: 769, host: 'play.test', port: 25565, intent: 2 });

/** The repro: the default route, which a bare `FE 01` (no host) resolves to. */
function routes(version: number, motd: string): string {
  return [
    'table_id = "test"', `version = ${version}`,
    '[[routes]]', 'id = "main"', 'hosts = ["*"]', '[routes.status]', `motd = "${motd}"`, 'max_players = 500',
    '[[routes.targets]]', 'id = "a"', 'address = "127.0.0.1:25599"', '',
  ].join('\n');
}

/** The UTF-16BE text of a legacy 0xFF answer. */
function legacyText(data: Buffer): string {
  assert.equal(data[0], 0xff, 'a legacy 0xFF answer');
  return Array.from({ length: data.readUInt16BE(1) }, (_, i) => String.fromCharCode(data.readUInt16BE(3 + i * 2))).join('');
}

/** The router still serves: a modern ping and a legacy ping both get their answer. */
async function assertServing(router: TestRouter, motd: RegExp): Promise<void> {
  const status = await ping(router.port, 'play.test', VERSION);
  assert.match(status.description.text, motd);
  assert.match(legacyText((await rawExchange(router.port, LEGACY_PING, 2000)).data), motd);
}

describe('a table with a 70,000-character MOTD', () => {
  let router: TestRouter;
  before(async () => {
    router = await startTestRouter({ routes: routes(1, 'Hello from the test'), config: { auth: { mode: 'offline' } } });
  });
  after(() => router.stop(0));

  test('is refused when it arrives, the last good table keeps serving, and a legacy ping is answered', async () => {
    writeFileSync(join(router.dir, 'routes.toml'), routes(2, HOSTILE_MOTD));
    const outcome = await router.poller.pollOnce();
    assert.notEqual(outcome.kind, 'applied');
    assert.equal(router.router.ctx.tables.current?.table.version, 1, 'the hostile version was not applied');
    assert.match(JSON.stringify(router.poller.status()), /routes\[0\]\.status\.motd: is 70\d+ characters as JSON text, the limit is 32767/);
    await assertServing(router, /Hello from the test/);
  });
});

describe('values that got past the schema', () => {
  let router: TestRouter;
  let good: RoutingTable;
  before(async () => {
    router = await startTestRouter({ routes: routes(1, 'Hello from the test'), config: { auth: { mode: 'offline' } } });
    good = { ...router.router.ctx.tables.current!.table, routes: [...router.router.ctx.tables.current!.table.routes] };
  });
  after(() => router.stop(0));

  /** The table store swaps in what reached it: this puts there what no schema would pass. */
  function swapInHostile(): void {
    const base = parseRoutingTable({ table_id: 'test', version: 2, routes: [{ id: 'main', hosts: ['*'], targets: [{ id: 'a', address: '127.0.0.1:25599' }] }] });
    const route = { ...base.routes[0]!, status: { motd: HOSTILE_MOTD, maxPlayers: 5 }, maintenance: true };
    router.router.ctx.tables.swap({ ...base, routes: [route], messages: { en_us: { maintenance: 'z'.repeat(300_000) } } });
  }

  test('a legacy ping gets a shortened answer and the process lives', async () => {
    swapInHostile();
    const text = legacyText((await rawExchange(router.port, LEGACY_PING, 2000)).data);
    assert.ok(text.length <= 256, `the answer is ${text.length} characters`);
    assert.match(text, /Hostile xxx/);
  });

  test('a status ping and a login disconnect that do not fit their packets fail only their connection, counted', async () => {
    swapInHostile();
    const before = await router.counter('passage_errors_total', { kind: 'ERR_ENCODE_LIMIT' });
    const status = await rawExchange(router.port, statusPing, 2000);
    assert.equal(status.closedByServer, true);
    assert.equal(status.data.length, 0, 'no 70 kB status JSON is sent');
    const login = await rawExchange(router.port, loginHandshake, 2000);
    assert.equal(login.closedByServer, true);
    assert.equal(login.data.length, 0, 'no 300 kB disconnect text is sent');
    assert.equal(await router.counter('passage_errors_total', { kind: 'ERR_ENCODE_LIMIT' }), before + 2);
    assert.equal(await router.counter('passage_errors_total', { kind: 'ERR_INTERNAL' }), 0, 'a bound, not a bug');
  });

  test('the next connection is served once a good table is back', async () => {
    swapInHostile();
    await rawExchange(router.port, LEGACY_PING, 2000);
    router.router.ctx.tables.swap({ ...good, version: 3 });
    await assertServing(router, /Hello from the test/);
  });
});
