// The last step of the configuration phase when a strategy adapter chooses: its answer arrives outside
// the frame loop, so a failure there must still end the connection the usual way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Connection } from '../../router/connection/connection.ts';
import { ConfigurationPhase } from '../../router/connection/configuration-phase.ts';
import type { Handshake } from '../../router/protocol/handshake.ts';
import type { Route } from '../../router/table/types.ts';
import type { RouteAdapterHook } from '../../router/routing/adapter-hook.ts';

test('a strategy adapter that rejects ends the connection through fail, not as an unhandled rejection', async () => {
  const failures: unknown[] = [];
  const hook: RouteAdapterHook = {
    targets: () => undefined,
    status: () => undefined,
    dynamic: () => false,
    choose: () => Promise.reject(new Error('adapter broke its promise')),
  };
  const conn = {
    state: 'configuration',
    clientIp: '127.0.0.1',
    table: { adapters: hook },
    ctx: { random: Math.random, counters: new Map() },
    fail: (err: unknown) => failures.push(err),
  } as unknown as Connection;
  const route = { id: 'main', strategy: 'priority', targets: [] } as unknown as Route;
  const handshake = { protocol: 769, host: 'play.test' } as Handshake;
  const profile = { id: '00000000-0000-0000-0000-000000000001', name: 'Player', properties: [] };
  new ConfigurationPhase(conn, handshake, route, { profile, verifiedAt: undefined }).transfer();
  await sleep(10);
  assert.equal(failures.length, 1);
  assert.match((failures[0] as Error).message, /broke its promise/);
});
