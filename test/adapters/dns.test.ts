// DNS discovery against a DNS server on loopback UDP: SRV and A/AAAA records, refreshed on an
// interval, the last good targets kept through failures, and a real client sent to an SRV target.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { dnsTargets } from '../../router/adapters/dns.ts';
import { PollingDiscovery } from '../../router/adapters/adapter.ts';
import { AdapterError } from '../../router/adapters/errors.ts';
import type { DiscoveryConfig, Target } from '../../router/table/types.ts';
import { startDnsServer } from '../helpers/dns-server.ts';
import type { DnsServer } from '../helpers/dns-server.ts';
import { startTestRouter } from '../helpers/router.ts';
import type { TestRouter } from '../helpers/router.ts';
import { followTransfer, login, startBackend } from '../helpers/minecraft.ts';
import type { Backend } from '../helpers/minecraft.ts';
import { adapterRoutes, waitFor } from '../helpers/adapters.ts';

const VERSION = '1.21.4';
const env = { source: {}, log: pino({ level: 'silent' }) };

describe('dns discovery', () => {
  let dns: DnsServer;
  const config = (extra: Partial<DiscoveryConfig>): DiscoveryConfig => ({ type: 'dns', refreshInterval: 100, timeout: 300, servers: [dns.address], ...extra } as DiscoveryConfig);
  const fetchOnce = (c: DiscoveryConfig) => dnsTargets(c)(AbortSignal.timeout(2000)) as Promise<Target[]>;

  before(async () => {
    dns = await startDnsServer();
  });
  after(() => dns.close());

  test('SRV records become targets with their port, priority and weight', async () => {
    dns.zones.set('_minecraft._tcp.mc.test', { srv: [
      { priority: 10, weight: 5, port: 25570, target: 'lobby-2.mc.test' },
      { priority: 0, weight: 1, port: 25565, target: 'lobby-1.mc.test' },
    ] });
    const targets = await fetchOnce(config({ name: '_minecraft._tcp.mc.test', recordType: 'srv' }));
    assert.deepEqual(targets, [
      { id: 'lobby-2.mc.test:25570', address: 'lobby-2.mc.test:25570', host: 'lobby-2.mc.test', port: 25570, priority: 10, meta: { weight: '5' } },
      { id: 'lobby-1.mc.test:25565', address: 'lobby-1.mc.test:25565', host: 'lobby-1.mc.test', port: 25565, priority: 0, meta: { weight: '1' } },
    ]);
  });

  test('A and AAAA records become targets on the configured port', async () => {
    dns.zones.set('pool.mc.test', { a: ['127.0.0.7', '127.0.0.8'], aaaa: ['::1'] });
    const v4 = await fetchOnce(config({ name: 'pool.mc.test', recordType: 'a', port: 25599 }));
    assert.deepEqual(v4.map((t) => t.address), ['127.0.0.7:25599', '127.0.0.8:25599']);
    const v6 = await fetchOnce(config({ name: 'pool.mc.test', recordType: 'aaaa', port: 25599 }));
    assert.deepEqual(v6.map((t) => [t.address, t.host]), [['[::1]:25599', '::1']]);
  });

  test('an unknown name fails with ERR_ADAPTER_DNS and a silent server with ERR_ADAPTER_TIMEOUT', async () => {
    await assert.rejects(fetchOnce(config({ name: 'nowhere.mc.test', recordType: 'a', port: 1 })), (e: AdapterError) => e.code === 'ERR_ADAPTER_DNS');
    dns.mode = 'silent';
    try {
      await assert.rejects(fetchOnce(config({ name: 'pool.mc.test', recordType: 'a', port: 1 })), (e: AdapterError) => e.code === 'ERR_ADAPTER_TIMEOUT');
    } finally {
      dns.mode = 'ok';
    }
  });

  test('refreshes on the interval and keeps the last good targets while the server fails', async () => {
    dns.zones.set('refresh.mc.test', { a: ['127.0.0.1'] });
    const discovery = new PollingDiscovery({ adapter: 'dns', route: 'r', intervalMs: 50, timeoutMs: 300, fetch: dnsTargets(config({ name: 'refresh.mc.test', recordType: 'a', port: 25565 })) }, env);
    discovery.start();
    try {
      await waitFor('the first answer', () => discovery.targets?.length === 1);
      dns.zones.set('refresh.mc.test', { a: ['127.0.0.1', '127.0.0.2'] });
      await waitFor('the refreshed answer', () => discovery.targets?.length === 2);
      dns.mode = 'servfail';
      await waitFor('the failure', () => discovery.state().lastError?.code === 'ERR_ADAPTER_DNS');
      assert.equal(discovery.targets?.length, 2);
    } finally {
      dns.mode = 'ok';
      discovery.stop();
    }
  });

  describe('through the router', () => {
    let backend: Backend;
    let router: TestRouter;
    before(async () => {
      backend = await startBackend(VERSION);
      dns.zones.set('_minecraft._tcp.play.test', { srv: [{ priority: 0, weight: 1, port: backend.port, target: 'backend.play.test' }] });
      router = await startTestRouter({
        routes: adapterRoutes(`[routes.discovery]\ntype = "dns"\nname = "_minecraft._tcp.play.test"\nservers = ["${dns.address}"]\nrefresh_interval = "200ms"\ntimeout = "500ms"`),
        config: { auth: { mode: 'offline' } },
      });
      await waitFor('the first SRV answer', () => router.counter('passage_adapter_discovery_duration_seconds', { adapter: 'dns', result: 'ok' }));
    });
    after(async () => {
      await router.stop(0);
      await backend.close();
    });

    test('a real client is transferred to the SRV target and arrives there', async () => {
      const result = await login({ port: router.port, host: 'play.test', version: VERSION, username: 'Srv' });
      assert.deepEqual(result.transfer, { host: 'backend.play.test', port: backend.port });
      await followTransfer(result.transfer!, VERSION, 'Srv');
      assert.deepEqual(backend.arrivals.at(-1), { intent: 3, username: 'Srv' });
    });
  });
});
