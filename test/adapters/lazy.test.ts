// The DNS, gRPC and Kubernetes adapters load their modules on first use; the stand-ins that cover the
// wait must not start what was stopped in the meantime, nor leak a gRPC channel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { DiscoveryAdapter } from '../../router/adapters/adapter.ts';
import { LazyDiscovery, lazyFetcher, LazyGrpcClient, LazyGrpcStrategy } from '../../router/adapters/lazy.ts';
import { STRICT_ADAPTER_POLICY } from '../../router/adapters/policy.ts';

const env = { source: {}, log: pino({ level: 'silent' }), policy: STRICT_ADAPTER_POLICY };

function fakeDiscovery(): DiscoveryAdapter & { started: number; stopped: number } {
  return {
    started: 0, stopped: 0, targets: [],
    start() { this.started++; },
    stop() { this.stopped++; },
    state: () => ({ adapter: 'fake', kind: 'discovery', route: 'r', ok: true }),
  };
}

test('a lazily built fetcher is built once, on its first call', async () => {
  let builds = 0;
  const fetch = lazyFetcher(async () => {
    builds++;
    return async () => [];
  });
  assert.equal(builds, 0);
  const signal = new AbortController().signal;
  await Promise.all([fetch(signal), fetch(signal)]);
  await fetch(signal);
  assert.equal(builds, 1);
});

test('a discovery adapter stopped while its module loads never starts', async () => {
  const inner = fakeDiscovery();
  let release!: () => void;
  const loaded = new Promise<void>((r) => (release = r));
  const lazy = new LazyDiscovery({ adapter: 'fake', route: 'r' }, async () => {
    await loaded;
    return inner;
  }, env);
  lazy.start();
  assert.deepEqual(lazy.state(), { adapter: 'fake', kind: 'discovery', route: 'r', ok: true });
  lazy.stop();
  release();
  await new Promise((r) => setImmediate(r));
  assert.equal(inner.started, 0);
});

test('a discovery adapter whose module fails to load reports it on its state', async () => {
  const lazy = new LazyDiscovery({ adapter: 'fake', route: 'r' }, () => Promise.reject(new Error('boom')), env);
  lazy.start();
  await new Promise((r) => setImmediate(r));
  const state = lazy.state();
  assert.equal(state.ok, false);
  assert.match(state.lastError?.message ?? '', /could not load the fake adapter: boom/);
});

test('a gRPC client closed while its module loads is closed as soon as it is created', async () => {
  const loading = new LazyGrpcClient('127.0.0.1:1', { ...STRICT_ADAPTER_POLICY, allowPlainHttp: ['127.0.0.1'] });
  const got = loading.get();
  loading.close();
  const { client } = await got;
  // grpc-js reports a closed channel as SHUTDOWN (4).
  assert.equal((client as unknown as { client: { getChannel(): { getConnectivityState(c: boolean): number } } }).client.getChannel().getConnectivityState(false), 4);
});

test('a gRPC strategy whose client cannot be created falls back to the route\'s own choice', async () => {
  const strategy = new LazyGrpcStrategy(new LazyGrpcClient('not an address', STRICT_ADAPTER_POLICY), 'r', 100, env);
  const player = { id: '00000000-0000-0000-0000-000000000000', name: 'p', ip: '127.0.0.1', protocol: 770, host: 'a' };
  const target = { id: 't', address: '127.0.0.1:1', host: '127.0.0.1', port: 1, priority: 0, meta: {} };
  assert.deepEqual(await strategy.choose([target] as never, player as never), { kind: 'fallback' });
  strategy.stop();
});
