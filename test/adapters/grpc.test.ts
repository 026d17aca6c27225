// gRPC adapters against a real grpc-js server on loopback serving proto/passage/adapter/v1/adapter.proto:
// GetTargets (discovery), GetStatus (status) and Apply (strategy), with a real client transferred.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type * as GrpcJs from '@grpc/grpc-js';
import { loadAdapterService } from '../../router/adapters/grpc.ts';
import { startTestRouter } from '../helpers/router.ts';
import type { TestRouter } from '../helpers/router.ts';
import { followTransfer, login, ping, startBackend } from '../helpers/minecraft.ts';
import type { Backend } from '../helpers/minecraft.ts';
import { adapterRoutes, waitFor } from '../helpers/adapters.ts';

const VERSION = '1.21.4';
/** The fakes serve plain text on loopback, which passage.toml must allow (the default is TLS only). */
const PLAIN_LOOPBACK = { allow_plain_http: ['127.0.0.1'] };

interface ApplyCall {
  route: string;
  player: { id: string; name: string; ip: string; protocol: number; host: string; locale: string };
  targets: { id: string; address: string }[];
}

/** The operator's adapter: targets from a list, VIPs to the second target, status from a variable. */
class FakeAdapter {
  targets: { id: string; address: string; priority?: number; meta?: Record<string, string> }[] = [];
  applyCalls: ApplyCall[] = [];
  applyMode: 'vip' | 'empty' | 'slow' | 'error' | 'unknown_id' = 'vip';
  targetsFail = false;
  motd = 'gRPC says hi';
  server!: GrpcJs.Server;
  port = 0;

  async start(): Promise<void> {
    const { grpc, service } = loadAdapterService();
    this.server = new grpc.Server();
    type Cb = GrpcJs.sendUnaryData<unknown>;
    this.server.addService(service.service, {
      GetTargets: (call: GrpcJs.ServerUnaryCall<{ route: string }, unknown>, cb: Cb) => {
        if (this.targetsFail) return cb({ code: grpc.status.INTERNAL, details: 'database down' } as GrpcJs.ServiceError);
        cb(null, { targets: call.request.route === 'main' ? this.targets : [] });
      },
      GetStatus: (_call: unknown, cb: Cb) => cb(null, { motd: this.motd, max_players: 5000, online_players: 4321, favicon: '', version_name: '' }),
      Apply: async (call: GrpcJs.ServerUnaryCall<ApplyCall, unknown>, cb: Cb) => {
        this.applyCalls.push(call.request);
        const ids = call.request.targets.map((t) => t.id);
        switch (this.applyMode) {
          case 'vip':
            return cb(null, { target_ids: call.request.player.name.startsWith('Vip') ? ids.slice(1) : ids });
          case 'empty':
            return cb(null, { target_ids: [] });
          case 'unknown_id':
            return cb(null, { target_ids: ['nope'] });
          case 'error':
            return cb({ code: grpc.status.UNAVAILABLE, details: 'overloaded' } as GrpcJs.ServiceError);
          case 'slow':
            await sleep(600);
            return cb(null, { target_ids: ids.slice(1) });
        }
      },
    });
    this.port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))));
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.tryShutdown(() => resolve()));
  }
}

describe('grpc adapters', () => {
  let adapter: FakeAdapter;
  let lobby: Backend;
  let vip: Backend;
  let router: TestRouter;

  before(async () => {
    [lobby, vip] = await Promise.all([startBackend(VERSION), startBackend(VERSION)]);
    adapter = new FakeAdapter();
    await adapter.start();
    adapter.targets = [
      { id: 'lobby', address: `127.0.0.1:${lobby.port}`, priority: 0, meta: { players: '10' } },
      { id: 'vip', address: `127.0.0.1:${vip.port}`, priority: 1, meta: { players: '2' } },
    ];
    const address = `127.0.0.1:${adapter.port}`;
    router = await startTestRouter({
      routes: adapterRoutes([
        '[routes.discovery]', 'type = "grpc"', `address = "${address}"`, 'refresh_interval = "100ms"', 'timeout = "500ms"',
        '[routes.status_adapter]', 'type = "grpc"', `address = "${address}"`, 'cache_ttl = "100ms"', 'timeout = "500ms"',
        '[routes.strategy_adapter]', 'type = "grpc"', `address = "${address}"`, 'timeout = "300ms"',
      ].join('\n')),
      config: { auth: { mode: 'offline' }, adapters: PLAIN_LOOPBACK },
    });
    await waitFor('the first GetTargets', () => router.counter('passage_adapter_discovery_duration_seconds', { adapter: 'grpc', result: 'ok' }));
    await waitFor('the first GetStatus', () => router.counter('passage_adapter_status_fetch_duration_seconds', { adapter: 'grpc', result: 'ok' }));
  });
  after(async () => {
    await router.stop(0);
    await adapter.stop();
    await Promise.all([lobby.close(), vip.close()]);
  });

  test('Apply chooses the target: a real VIP client is transferred to the second target and arrives', async () => {
    adapter.applyMode = 'vip';
    const result = await login({ port: router.port, host: 'play.test', version: VERSION, username: 'VipPlayer' });
    assert.deepEqual(result.transfer, { host: '127.0.0.1', port: vip.port });
    await followTransfer(result.transfer!, VERSION, 'VipPlayer');
    assert.deepEqual(vip.arrivals.at(-1), { intent: 3, username: 'VipPlayer' });
    const call = adapter.applyCalls.at(-1)!;
    assert.equal(call.route, 'main');
    assert.equal(call.player.name, 'VipPlayer');
    assert.equal(call.player.ip, '127.0.0.1');
    assert.equal(call.player.protocol, 769);
    assert.equal(call.player.host, 'play.test');
    assert.deepEqual(call.targets.map((t) => t.id), ['lobby', 'vip']);
    const others = await login({ port: router.port, host: 'play.test', version: VERSION, username: 'Regular' });
    assert.deepEqual(others.transfer, { host: '127.0.0.1', port: lobby.port });
  });

  test('an empty Apply answer tells the player no server is available', async () => {
    adapter.applyMode = 'empty';
    const result = await login({ port: router.port, host: 'play.test', version: VERSION, username: 'Nobody' });
    assert.ok(result.disconnect !== undefined && result.transfer === undefined);
  });

  for (const mode of ['slow', 'error', 'unknown_id'] as const) {
    test(`an Apply that is ${mode} falls back to the route's strategy (priority) and is counted`, async () => {
      adapter.applyMode = mode;
      const errors = await router.counter('passage_adapter_errors_total', { adapter: 'grpc', kind: 'strategy' });
      const result = await login({ port: router.port, host: 'play.test', version: VERSION, username: 'VipFallback' });
      assert.deepEqual(result.transfer, { host: '127.0.0.1', port: lobby.port });
      assert.equal(await router.counter('passage_adapter_errors_total', { adapter: 'grpc', kind: 'strategy' }), errors + 1);
    });
  }

  test('GetStatus feeds the server list', async () => {
    const status = await ping(router.port, 'play.test', VERSION);
    assert.deepEqual(status.description, { text: 'gRPC says hi' });
    assert.deepEqual(status.players, { max: 5000, online: 4321 });
  });

  test('a failing GetTargets keeps the last good targets', async () => {
    adapter.applyMode = 'vip';
    adapter.targetsFail = true;
    try {
      await waitFor('the error', () => router.counter('passage_adapter_errors_total', { adapter: 'grpc', kind: 'discovery', code: 'ERR_ADAPTER_GRPC' }));
      const result = await login({ port: router.port, host: 'play.test', version: VERSION, username: 'Steady' });
      assert.deepEqual(result.transfer, { host: '127.0.0.1', port: lobby.port });
    } finally {
      adapter.targetsFail = false;
    }
  });
});
