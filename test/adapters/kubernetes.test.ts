// Kubernetes discovery against a fake API server on loopback: LIST then WATCH for pods and Agones
// GameServers, readiness, player counts, 410 Gone, failures, and a real client sent to a pod that
// became Ready after the router started.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { KubernetesDiscovery, defaultApiUrl } from '../../router/adapters/kubernetes.ts';
import type { DiscoveryConfig } from '../../router/table/types.ts';
import { GAMESERVERS, PODS, gameServer, pod, startKubeApi } from '../helpers/kube-api.ts';
import type { KubeApi } from '../helpers/kube-api.ts';
import { adapterRoutes, waitFor } from '../helpers/adapters.ts';
import { startTestRouter } from '../helpers/router.ts';
import type { TestRouter } from '../helpers/router.ts';
import { followTransfer, login, startBackend } from '../helpers/minecraft.ts';
import type { Backend } from '../helpers/minecraft.ts';

const VERSION = '1.21.4';
const log = pino({ level: 'silent' });

describe('kubernetes discovery', () => {
  let api: KubeApi;
  let tokenFile: string;
  const running: KubernetesDiscovery[] = [];
  /** The fake API server is plain http on loopback: passage.toml allows it, and names the token file. */
  const discover = (extra: Partial<DiscoveryConfig>, token: { file?: string } = {}): KubernetesDiscovery => {
    const config = { type: 'kubernetes', refreshInterval: 100, timeout: 1000, namespace: 'games', labelSelector: 'app=mc', apiUrl: api.url, ...extra } as DiscoveryConfig;
    const policy = { allowPlainHttp: ['127.0.0.1'], kubernetes: { apiUrls: [config.apiUrl!], tokenFile: token.file ?? tokenFile } };
    const d = new KubernetesDiscovery('r', config, { source: {}, log, policy });
    running.push(d);
    d.start();
    return d;
  };
  const ids = (d: KubernetesDiscovery): string => (d.targets ?? []).map((t) => t.id).join(',');

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'passage-kube-'));
    tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 'sekrit\n');
    api = await startKubeApi({ token: 'sekrit', selector: 'app=mc' });
  });
  after(async () => {
    for (const d of running) d.stop();
    await api.close();
  });

  test('only Ready pods are targets, and a pod that becomes Ready later appears through the watch', async () => {
    api.emit('ADDED', PODS, pod('ready-1', { ready: true, ip: '127.0.0.11', port: 25570 }));
    api.emit('ADDED', PODS, pod('starting-2', { ready: false, ip: '127.0.0.12' }));
    const d = discover({ resource: 'pods' });
    await waitFor('the list', () => d.targets !== undefined);
    assert.equal(ids(d), 'ready-1');
    assert.equal(d.targets![0].address, '127.0.0.11:25570');
    api.emit('MODIFIED', PODS, pod('starting-2', { ready: true, ip: '127.0.0.12' }));
    await waitFor('the pod to appear', () => ids(d) === 'ready-1,starting-2');
    api.emit('DELETED', PODS, pod('ready-1', { ready: true }));
    await waitFor('the pod to go', () => ids(d) === 'starting-2');
    d.stop();
  });

  test('GameServers in Ready or Allocated are targets, with Agones player counts as meta', async () => {
    api.emit('ADDED', GAMESERVERS, gameServer('gs-ready', 'Ready', { port: 7001, players: { count: 3, capacity: 20 } }));
    api.emit('ADDED', GAMESERVERS, gameServer('gs-allocated', 'Allocated', { port: 7002, players: { count: 19, capacity: 20 }, counter: true }));
    api.emit('ADDED', GAMESERVERS, gameServer('gs-scheduled', 'Scheduled'));
    api.emit('ADDED', GAMESERVERS, gameServer('gs-plain', 'Ready', { port: 7003 }));
    const d = discover({ resource: 'gameservers' });
    await waitFor('the list', () => d.targets !== undefined);
    assert.deepEqual(d.targets!.map((t) => [t.id, t.address, t.meta]), [
      ['gs-allocated', '127.0.0.1:7002', { state: 'Allocated', players: '19', max_players: '20' }],
      ['gs-plain', '127.0.0.1:7003', { state: 'Ready' }],
      ['gs-ready', '127.0.0.1:7001', { state: 'Ready', players: '3', max_players: '20' }],
    ]);
    api.emit('MODIFIED', GAMESERVERS, gameServer('gs-ready', 'Shutdown'));
    await waitFor('the shut-down server to go', () => ids(d) === 'gs-allocated,gs-plain');
    d.stop();
  });

  test('a watch that ends is resumed from its resourceVersion, and 410 Gone lists again', async () => {
    const d = discover({ resource: 'pods' });
    await waitFor('the list', () => d.targets !== undefined);
    const lists = api.lists.length;
    const watches = api.watches.length;
    api.endWatches();
    await waitFor('a new watch', () => api.watches.length > watches);
    assert.equal(api.lists.length, lists, 'an ended watch is resumed without a LIST');
    assert.notEqual(api.watches.at(-1), '');
    api.gone = true;
    api.endWatches();
    await waitFor('a new list after 410', () => api.lists.length > lists);
    api.emit('ADDED', PODS, pod('after-gone', { ready: true }));
    await waitFor('the new pod', () => ids(d).includes('after-gone'));
    d.stop();
  });

  test('a pod that turns NotReady or starts terminating stops being a target', async () => {
    api.emit('ADDED', PODS, pod('flaky-1', { ready: true, ip: '127.0.0.21' }));
    api.emit('ADDED', PODS, pod('leaving-2', { ready: true, ip: '127.0.0.22' }));
    const d = discover({ resource: 'pods' });
    await waitFor('both pods', () => ids(d).includes('flaky-1') && ids(d).includes('leaving-2'));
    api.emit('MODIFIED', PODS, pod('flaky-1', { ready: false, ip: '127.0.0.21' }));
    await waitFor('the NotReady pod to go', () => !ids(d).includes('flaky-1'));
    const leaving = pod('leaving-2', { ready: true, ip: '127.0.0.22' });
    api.emit('MODIFIED', PODS, { ...leaving, metadata: { ...leaving.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } });
    await waitFor('the terminating pod to go', () => !ids(d).includes('leaving-2'));
    d.stop();
    for (const name of ['flaky-1', 'leaving-2']) api.emit('DELETED', PODS, pod(name, { ready: false }));
  });

  test('a server that ends every watch at once does not get a tight loop of watches', async () => {
    const own = await startKubeApi({ token: 'sekrit', selector: 'app=mc' });
    const d = discover({ resource: 'pods', apiUrl: own.url });
    await waitFor('the first watch', () => own.watches.length > 0);
    const first = own.watches.length;
    // For one second, end every watch as soon as it is open (a misbehaving proxy).
    const until = Date.now() + 1000;
    while (Date.now() < until) {
      own.endWatches();
      await new Promise((r) => setTimeout(r, 5));
    }
    d.stop();
    await own.close();
    const rounds = own.watches.length - first;
    // At most one round per 250 ms (MIN_WATCH_SPACING_MS), plus the one in flight; unthrottled it is hundreds.
    assert.ok(rounds <= 6, `${rounds} watches in one second`);
  });

  test('a bookmark moves the resourceVersion the next watch resumes from', async () => {
    // Its own API server: watches of the other tests' adapters must not be mistaken for this one's.
    const own = await startKubeApi({ token: 'sekrit', selector: 'app=mc' });
    const d = discover({ resource: 'pods', apiUrl: own.url });
    await waitFor('the list', () => d.targets !== undefined);
    await waitFor('the first watch', () => own.watches.length > 0);
    const listed = own.watches.at(-1)!;
    // A change in another collection moves the server's resourceVersion; only a bookmark tells the pod watch.
    own.emit('ADDED', GAMESERVERS, gameServer('gs-bookmark', 'Scheduled'));
    let watches = own.watches.length;
    own.endWatches();
    await waitFor('a second watch', () => own.watches.length > watches);
    assert.equal(own.watches.at(-1), listed);
    watches = own.watches.length;
    own.endWatches();
    await waitFor('a third watch', () => own.watches.length > watches);
    assert.equal(own.watches.at(-1), String(Number(listed) + 1), 'resumed from the bookmark');
    d.stop();
    await own.close();
  });

  test('a token_file set in passage.toml that cannot be read is an error naming the file, not an empty target list', async () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'passage-kube-')), 'token');
    const d = discover({ resource: 'pods' }, { file: missing });
    await waitFor('the failure', () => d.state().lastError !== undefined);
    assert.equal(d.state().lastError?.code, 'ERR_ADAPTER_UNAVAILABLE');
    assert.match(d.state().lastError?.message ?? '', new RegExp(`token_file ${missing}: ENOENT`));
    assert.equal(d.targets, undefined);
    d.stop();
  });

  test('while the API fails, the last good targets stay', async () => {
    const d = discover({ resource: 'pods' });
    await waitFor('the list', () => d.targets !== undefined);
    const before = ids(d);
    api.failWith = 500;
    try {
      api.endWatches();
      await waitFor('the failure', () => d.state().lastError?.code === 'ERR_ADAPTER_HTTP_STATUS');
      assert.equal(ids(d), before);
    } finally {
      api.failWith = undefined;
    }
    await waitFor('recovery', () => d.state().ok);
    d.stop();
  });

  test('a wrong token is an HTTP status error, not an empty target list', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'passage-kube-'));
    writeFileSync(join(dir, 'token'), 'wrong');
    const d = discover({ resource: 'pods' }, { file: join(dir, 'token') });
    await waitFor('the failure', () => d.state().lastError?.code === 'ERR_ADAPTER_HTTP_STATUS');
    assert.equal(d.targets, undefined);
    d.stop();
  });

  test('the in-cluster API address comes from the service environment', () => {
    assert.equal(defaultApiUrl({ KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }), 'https://10.96.0.1:443');
    assert.equal(defaultApiUrl({ KUBERNETES_SERVICE_HOST: 'fd00::1' }), 'https://[fd00::1]:443');
    assert.equal(defaultApiUrl({}), undefined);
  });

  describe('through the router', () => {
    let backend: Backend;
    let router: TestRouter;
    before(async () => {
      backend = await startBackend(VERSION);
      for (const name of ['ready-1', 'starting-2', 'after-gone']) api.emit('DELETED', PODS, pod(name, { ready: true }));
      router = await startTestRouter({
        routes: adapterRoutes(`[routes.discovery]\ntype = "kubernetes"\nresource = "pods"\nnamespace = "games"\nlabel_selector = "app=mc"\napi_url = "${api.url}"\nrefresh_interval = "200ms"\ntimeout = "1s"`),
        // The table names the API server; passage.toml allows it and holds the token.
        config: { auth: { mode: 'offline' }, adapters: { allow_plain_http: ['127.0.0.1'], kubernetes: { api_urls: [api.url], token_file: tokenFile } } },
      });
      await waitFor('the first list', () => router.counter('passage_adapter_discovery_duration_seconds', { adapter: 'kubernetes', result: 'ok' }));
    });
    after(async () => {
      await router.stop(0);
      await backend.close();
    });

    test('no Ready pod: no target; a pod that becomes Ready: a real client is transferred to it', async () => {
      const none = await login({ port: router.port, host: 'play.test', version: VERSION, username: 'Early' });
      assert.match(none.disconnect ?? '', /no server|available/i);
      api.emit('ADDED', PODS, pod('mc-0', { ready: false, port: backend.port }));
      api.emit('MODIFIED', PODS, pod('mc-0', { ready: true, port: backend.port }));
      await waitFor('the target gauge', async () => (await router.counter('passage_adapter_targets', { adapter: 'kubernetes', route: 'main' })) === 1);
      const result = await login({ port: router.port, host: 'play.test', version: VERSION, username: 'Late' });
      assert.deepEqual(result.transfer, { host: '127.0.0.1', port: backend.port });
      await followTransfer(result.transfer!, VERSION, 'Late');
      assert.deepEqual(backend.arrivals.at(-1), { intent: 3, username: 'Late' });
    });
  });
});
