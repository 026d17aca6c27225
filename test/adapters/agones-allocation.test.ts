// Agones allocation against a fake allocation endpoint on loopback: one GameServerAllocation per login,
// no capacity (UnAllocated), API errors with bounded retries, the credential rules of passage.toml, the
// table schema of the discovery, and real clients transferred to the GameServer Agones handed out.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { AgonesAllocation, allocationOutcome } from '../../router/adapters/agones-allocation.ts';
import type { PlayerInfo } from '../../router/routing/adapter-hook.ts';
import { parseRoutingTable } from '../../router/table/schema.ts';
import { TableValidationError } from '../../router/table/errors.ts';
import type { DiscoveryConfig } from '../../router/table/types.ts';
import { ALLOCATIONS, allocated, startAgonesApi, unallocated } from '../helpers/agones-api.ts';
import type { AgonesApi } from '../helpers/agones-api.ts';
import { adapterRoutes, waitFor } from '../helpers/adapters.ts';
import { startTestRouter } from '../helpers/router.ts';
import type { TestRouter } from '../helpers/router.ts';
import { followTransfer, login, startBackend } from '../helpers/minecraft.ts';
import type { Backend } from '../helpers/minecraft.ts';

const VERSION = '1.21.4';
const log = pino({ level: 'silent' });
const player: PlayerInfo = { id: '069a79f4-44e9-4726-a5be-fca90e38aaf5', name: 'Notch', ip: '127.0.0.1', protocol: 769, host: 'play.test' };

function tableWith(discovery: Record<string, unknown>): unknown {
  return { table_id: 't', version: 1, routes: [{ id: 'r', hosts: ['play.test'], discovery }] };
}

function problems(discovery: Record<string, unknown>): string[] {
  try {
    parseRoutingTable(tableWith(discovery));
    return [];
  } catch (err) {
    if (!(err instanceof TableValidationError)) throw err;
    return err.problems.map((p) => `${p.path}: ${p.message}`);
  }
}

describe('agones allocation schema', () => {
  test('a route with agones_allocation discovery gets its defaults: namespace "default", Packed, two retries', () => {
    const table = parseRoutingTable(tableWith({ type: 'agones_allocation', selectors: [{ 'agones.dev/fleet': 'bedwars' }] }));
    const d = table.routes[0].discovery!;
    assert.equal(d.namespace, 'default');
    assert.equal(d.scheduling, 'Packed');
    assert.equal(d.retries, 2);
    assert.deepEqual(d.selectors, [{ 'agones.dev/fleet': 'bedwars' }]);
  });

  test('selectors are required, non-empty, and hold Kubernetes label keys and values', () => {
    assert.match(problems({ type: 'agones_allocation' }).join('\n'), /selectors: is required/);
    assert.match(problems({ type: 'agones_allocation', selectors: [] }).join('\n'), /must not be empty/);
    assert.match(problems({ type: 'agones_allocation', selectors: [{}] }).join('\n'), /at least one label/);
    assert.match(problems({ type: 'agones_allocation', selectors: [{ 'bad key!': 'x' }] }).join('\n'), /not a Kubernetes label key/);
    assert.match(problems({ type: 'agones_allocation', selectors: [{ app: 'x'.repeat(64) }] }).join('\n'), /label value/);
    assert.match(problems({ type: 'agones_allocation', selectors: Array.from({ length: 9 }, () => ({ app: 'a' })) }).join('\n'), /limit is 8/);
  });

  test('scheduling and retries are bounded, and kubernetes-only keys or a token file are refused', () => {
    const sel = [{ app: 'mc' }];
    assert.match(problems({ type: 'agones_allocation', selectors: sel, scheduling: 'packed' }).join('\n'), /"Packed", "Distributed"/);
    assert.match(problems({ type: 'agones_allocation', selectors: sel, retries: 6 }).join('\n'), /from 0 to 5/);
    assert.match(problems({ type: 'agones_allocation', selectors: sel, label_selector: 'app=mc' }).join('\n'), /does not apply to type "agones_allocation"/);
    assert.match(problems({ type: 'agones_allocation', selectors: sel, token_file: '/etc/passwd' }).join('\n'), /not allowed in a routing table/);
    assert.match(problems({ type: 'kubernetes', selectors: sel }).join('\n'), /does not apply to type "kubernetes"/);
  });

  test('an Allocated answer becomes a validated target; other states are no capacity, contention, or an error', () => {
    const doc = (status: unknown): unknown => ({ status });
    assert.deepEqual(allocationOutcome(doc({ state: 'Allocated', gameServerName: 'gs-1', address: '10.0.0.7', ports: [{ port: 7000 }] }), undefined),
      { id: 'gs-1', address: '10.0.0.7:7000', host: '10.0.0.7', port: 7000, priority: 0, meta: { state: 'Allocated' } });
    const v6 = allocationOutcome(doc({ state: 'Allocated', gameServerName: 'gs-1', address: 'fd00::7', ports: [{ port: 7000 }] }), 7100);
    assert.equal(typeof v6 === 'object' && v6.address, '[fd00::7]:7100');
    assert.equal(allocationOutcome(doc({ state: 'UnAllocated' }), undefined), 'none');
    assert.equal(allocationOutcome(doc({ state: 'Contention' }), undefined), 'contention');
    assert.throws(() => allocationOutcome(doc({ state: 'Weird' }), undefined), { code: 'ERR_ADAPTER_BAD_RESPONSE' });
    assert.throws(() => allocationOutcome(doc({ state: 'Allocated', gameServerName: 'gs-1', ports: [{ port: 7000 }] }), undefined), { code: 'ERR_ADAPTER_BAD_RESPONSE' });
    assert.throws(() => allocationOutcome(doc({ state: 'Allocated', gameServerName: 'x'.repeat(65), address: '10.0.0.7', ports: [{ port: 7000 }] }), undefined), { code: 'ERR_ADAPTER_BAD_RESPONSE' });
    assert.throws(() => allocationOutcome(null, undefined), { code: 'ERR_ADAPTER_BAD_RESPONSE' });
  });
});

describe('agones allocation', () => {
  let api: AgonesApi;
  let tokenFile: string;
  const running: AgonesAllocation[] = [];
  const allocator = (extra: Partial<DiscoveryConfig> = {}, policyApiUrls?: string[]): AgonesAllocation => {
    const config = { type: 'agones_allocation', refreshInterval: 100, timeout: 1000, namespace: 'games', selectors: [{ app: 'mc' }], scheduling: 'Distributed', retries: 2, apiUrl: api.url, ...extra } as DiscoveryConfig;
    const policy = { allowPlainHttp: ['127.0.0.1'], kubernetes: { apiUrls: policyApiUrls ?? [config.apiUrl!], tokenFile } };
    const a = new AgonesAllocation('r', config, { source: {}, log, policy });
    a.random = () => 0;
    running.push(a);
    a.start();
    return a;
  };

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'passage-agones-'));
    tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 'sekrit\n');
    api = await startAgonesApi({ token: 'sekrit' });
  });
  after(async () => {
    for (const a of running) a.stop();
    await api.close();
  });

  test('each allocation POSTs a GameServerAllocation with the selectors and scheduling, and returns the GameServer', async () => {
    api.requests.length = 0;
    api.reply = (n) => allocated(`gs-${n}`, 7000 + n);
    const a = allocator();
    const first = await a.allocate(player);
    const second = await a.allocate(player);
    assert.deepEqual(first.kind === 'chosen' && [first.target.id, first.target.address], ['gs-1', '127.0.0.1:7001']);
    assert.deepEqual(second.kind === 'chosen' && [second.target.id, second.target.address], ['gs-2', '127.0.0.1:7002']);
    assert.equal(api.requests[0].path, ALLOCATIONS);
    assert.deepEqual(api.requests[0].body, {
      apiVersion: 'allocation.agones.dev/v1', kind: 'GameServerAllocation',
      spec: { scheduling: 'Distributed', selectors: [{ matchLabels: { app: 'mc' } }] },
    });
    assert.equal(a.state().ok, true);
  });

  test('UnAllocated is no capacity: the player gets no server, without retries', async () => {
    api.requests.length = 0;
    api.reply = () => unallocated;
    const a = allocator();
    assert.deepEqual(await a.allocate(player), { kind: 'none' });
    assert.equal(api.requests.length, 1);
    assert.equal(a.state().lastError?.code, 'ERR_ADAPTER_NO_CAPACITY');
  });

  test('a 5xx, 429 or Contention is retried with backoff, and succeeds when a later attempt does', async () => {
    api.requests.length = 0;
    const answers = [{ status: 503 }, { status: 201, body: { status: { state: 'Contention' } } }, allocated('gs-late', 7100)];
    api.reply = (n) => answers[n - 1] ?? { status: 500 };
    const a = allocator({ retries: 2 });
    const choice = await a.allocate(player);
    assert.equal(choice.kind === 'chosen' && choice.target.id, 'gs-late');
    assert.equal(api.requests.length, 3);
  });

  test('retries are bounded: after retries + 1 failed attempts the route falls back to its own targets', async () => {
    api.requests.length = 0;
    api.reply = () => ({ status: 429 });
    const a = allocator({ retries: 1 });
    assert.deepEqual(await a.allocate(player), { kind: 'fallback' });
    assert.equal(api.requests.length, 2);
    assert.equal(a.state().lastError?.code, 'ERR_ADAPTER_HTTP_STATUS');
  });

  test('a 403 (RBAC missing) or a garbled answer falls back at once, without retries', async () => {
    api.requests.length = 0;
    api.reply = () => ({ status: 403 });
    const a = allocator();
    assert.deepEqual(await a.allocate(player), { kind: 'fallback' });
    assert.equal(api.requests.length, 1);
    api.reply = () => ({ status: 201, body: { status: { state: 'Allocated', gameServerName: 'gs-1' } } });
    assert.deepEqual(await a.allocate(player), { kind: 'fallback' });
    assert.equal(api.requests.length, 2);
    assert.equal(a.state().lastError?.code, 'ERR_ADAPTER_BAD_RESPONSE');
  });

  test('an attempt that gets no answer within the timeout is a timeout, retried, then a fallback', async () => {
    api.requests.length = 0;
    api.reply = () => 'hang';
    const a = allocator({ timeout: 150, retries: 1 });
    assert.deepEqual(await a.allocate(player), { kind: 'fallback' });
    assert.equal(api.requests.length, 2);
    assert.equal(a.state().lastError?.code, 'ERR_ADAPTER_TIMEOUT');
  });

  test('an api_url passage.toml does not list gets no request and no token', async () => {
    api.requests.length = 0;
    api.reply = () => allocated('gs-1', 7000);
    const a = allocator({}, []);
    assert.deepEqual(await a.allocate(player), { kind: 'fallback' });
    assert.equal(api.requests.length, 0);
    assert.equal(a.state().lastError?.code, 'ERR_ADAPTER_NOT_ALLOWED');
  });

  describe('through the router', () => {
    let backend: Backend;
    let router: TestRouter;
    before(async () => {
      backend = await startBackend(VERSION);
      router = await startTestRouter({
        routes: adapterRoutes(
          `[routes.discovery]\ntype = "agones_allocation"\nnamespace = "games"\nselectors = [{ app = "mc" }]\napi_url = "${api.url}"\nretries = 1\ntimeout = "1s"`,
          // The route's own target, spelled differently from the allocated address so the tests can tell them apart.
          { targets: `[[routes.targets]]\nid = "static"\naddress = "localhost:${backend.port}"` },
        ),
        config: { auth: { mode: 'offline' }, adapters: { allow_plain_http: ['127.0.0.1'], kubernetes: { api_urls: [api.url], token_file: tokenFile } } },
      });
    });
    after(async () => {
      await router.stop(0);
      await backend.close();
    });

    test('a real client is transferred to the GameServer allocated for its login', async () => {
      api.requests.length = 0;
      api.reply = () => allocated('gs-backend', backend.port);
      const result = await login({ port: router.port, host: 'play.test', version: VERSION, username: 'Allocated' });
      assert.deepEqual(result.transfer, { host: '127.0.0.1', port: backend.port });
      assert.equal(api.requests.length, 1);
      await followTransfer(result.transfer!, VERSION, 'Allocated');
      assert.deepEqual(backend.arrivals.at(-1), { intent: 3, username: 'Allocated' });
    });

    test('with no capacity a real client is told there is no server (not sent to the static target), and the error is counted', async () => {
      api.reply = () => unallocated;
      const result = await login({ port: router.port, host: 'play.test', version: VERSION, username: 'Full' });
      assert.equal(result.transfer, undefined);
      assert.match(result.disconnect ?? '', /no server|available/i);
      await waitFor('the error count', () => router.counter('passage_adapter_errors_total', { adapter: 'agones_allocation', code: 'ERR_ADAPTER_NO_CAPACITY' }));
    });

    test('when the API fails a real client is sent to the route\'s own target instead', async () => {
      api.reply = () => ({ status: 500 });
      const result = await login({ port: router.port, host: 'play.test', version: VERSION, username: 'Broken' });
      assert.deepEqual(result.transfer, { host: 'localhost', port: backend.port });
      await waitFor('the error count', () => router.counter('passage_adapter_errors_total', { adapter: 'agones_allocation', code: 'ERR_ADAPTER_HTTP_STATUS' }));
    });
  });
});
