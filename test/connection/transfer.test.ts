// The last step of the configuration phase when a strategy adapter chooses: its answer arrives outside
// the frame loop, so a failure there must still end the connection the usual way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Connection } from '../../router/connection/connection.ts';
import { transfer } from '../../router/connection/configuration-handler.ts';
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
    step: 'await_resource_packs',
    clientIp: '127.0.0.1',
    route: { id: 'main', strategy: 'priority', targets: [] },
    table: { adapters: hook },
    profile: { id: '00000000-0000-0000-0000-000000000001', name: 'Player', properties: [] },
    handshake: { protocol: 769, host: 'play.test' },
    ctx: { random: Math.random, counters: new Map() },
    fail: (err: unknown) => failures.push(err),
  } as unknown as Connection;
  transfer(conn);
  await sleep(10);
  assert.equal(failures.length, 1);
  assert.match((failures[0] as Error).message, /broke its promise/);
});
