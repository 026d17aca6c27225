// Wake on join with the real client: a sleeping backend (a gate that refuses connections in front of
// a minecraft-protocol server) behind a fake Kubernetes scale API. A login scales it 0 → 1 and waits
// in the configuration phase, answering keep-alives, until the backend answers; a ping never wakes it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestRouter } from '../helpers/router.ts';
import type { TestRouter } from '../helpers/router.ts';
import { followTransfer, login, ping, plainText, startBackend } from '../helpers/minecraft.ts';
import type { Backend } from '../helpers/minecraft.ts';
import { loginAnsweringKeepAlives, scalePathOf, startGate, startScaleApi, until } from '../helpers/wake.ts';
import type { Gate, ScaleApi } from '../helpers/wake.ts';

const VERSION = '1.21.4';
const TOKEN = 'wake-test-token';

function wakeRoute(id: string, gatePort: number, wake: string, extra = ''): string {
  return [
    '[[routes]]', `id = "${id}"`, `hosts = ["${id}.test"]`, extra,
    '[[routes.targets]]', `id = "${id}-1"`, `address = "127.0.0.1:${gatePort}"`, `wake = ${wake}`,
  ].join('\n');
}

describe('wake on join (Kubernetes)', () => {
  let api: ScaleApi;
  let backend: Backend;
  const gates = new Map<string, Gate>();
  let router: TestRouter;
  let hook: Server;
  const path = (name: string, resource: 'statefulsets' | 'deployments' = 'statefulsets'): string => scalePathOf('minecraft', resource, name);

  before(async () => {
    api = await startScaleApi(TOKEN);
    backend = await startBackend(VERSION);
    for (const id of ['survival', 'crowd', 'never', 'forbidden', 'missing', 'slow', 'pinged', 'hooked']) gates.set(id, await startGate(backend.port));
    for (const id of ['survival', 'never', 'pinged', 'slow', 'hooked']) api.replicas.set(path(id), 0);
    // A login hook that sends every player to the route's sleeping second target.
    hook = createServer((_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ action: 'target', target: 'hooked-2' })));
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    api.replicas.set(path('crowd', 'deployments'), 0);
    api.failWith.set(path('forbidden'), 403);
    api.hang.add(path('slow'));
    const dir = mkdtempSync(join(tmpdir(), 'passage-wake-'));
    writeFileSync(join(dir, 'token'), `${TOKEN}\n`);
    const kube = (resource: string, extra = ''): string => `{ kind = "kubernetes", resource = "${resource}", namespace = "minecraft", api_url = "${api.url}"${extra} }`;
    const routes = [
      'table_id = "wake"', 'version = 1',
      '[[routes]]', 'id = "main"', 'hosts = ["play.test"]', '[[routes.targets]]', 'id = "main-1"', `address = "127.0.0.1:${backend.port}"`,
      wakeRoute('survival', gates.get('survival')!.port, kube('statefulsets/survival'), 'wake_timeout = "60s"'),
      wakeRoute('crowd', gates.get('crowd')!.port, kube('deployments/crowd'), 'wake_timeout = "60s"'),
      wakeRoute('never', gates.get('never')!.port, kube('statefulsets/never'), 'wake_timeout = "2s"'),
      wakeRoute('forbidden', gates.get('forbidden')!.port, kube('statefulsets/forbidden')),
      wakeRoute('missing', gates.get('missing')!.port, kube('statefulsets/missing')),
      wakeRoute('slow', gates.get('slow')!.port, kube('statefulsets/slow', ', timeout = "300ms"'), 'wake_timeout = "30s"'),
      // The strategy alone would pick the awake hooked-1; the hook names the sleeping hooked-2.
      '[[routes]]', 'id = "hooked"', 'hosts = ["hooked.test"]', 'strategy = "priority"', 'wake_timeout = "60s"',
      '[routes.login_hook]', `url = "http://127.0.0.1:${(hook.address() as AddressInfo).port}/login"`, 'timeout = "2s"', 'on_error = "deny"',
      '[[routes.targets]]', 'id = "hooked-1"', `address = "127.0.0.1:${backend.port}"`, 'priority = 0',
      '[[routes.targets]]', 'id = "hooked-2"', `address = "127.0.0.1:${gates.get('hooked')!.port}"`, 'priority = 1', `wake = ${kube('statefulsets/hooked')}`,
      wakeRoute('pinged', gates.get('pinged')!.port, kube('statefulsets/pinged'), '[routes.status]\nmotd = "Awake motd"\nsleeping_motd = "Zzz, join to wake me"\nmax_players = 20'),
    ].join('\n');
    router = await startTestRouter({
      routes: `${routes}\n`,
      config: {
        auth: { mode: 'offline' },
        limits: { keep_alive_interval: '300ms', configuration_timeout: '30s' },
        adapters: { allow_plain_http: ['127.0.0.1'], kubernetes: { api_urls: [api.url], token_file: join(dir, 'token') } },
      },
    });
  });
  after(async () => {
    await router.stop(0);
    hook.close();
    for (const gate of gates.values()) await gate.close();
    await backend.close();
    await api.close();
  });

  test('a login scales the sleeping StatefulSet to 1, waits with keep-alives answered, and is transferred once the backend answers', async () => {
    let scaled: (() => void) | undefined;
    const scaledOnce = new Promise<void>((r) => (scaled = r));
    api.onScaled = (p) => {
      if (p === path('survival')) scaled!();
    };
    const keepAlives = { count: 0 };
    const result = loginAnsweringKeepAlives(router.port, 'survival.test', 'Sleeper', keepAlives);
    await scaledOnce;
    assert.equal(api.replicas.get(path('survival')), 1);
    const status = (await (await fetch(`${router.adminUrl}/status`)).json()) as { waking: { route: string; target: string }[] };
    assert.deepEqual(status.waking.map((w) => [w.route, w.target]), [['survival', 'survival-1']], '/status shows the target being woken');
    assert.equal(await router.counter('passage_wake_players_held', { route: 'survival' }), 1);
    // Held past several keep-alive intervals: a client that did not answer them would have been cut.
    await until('three keep-alives', () => keepAlives.count >= 3);
    gates.get('survival')!.open();
    const done = await result;
    assert.deepEqual(done.transfer, { host: '127.0.0.1', port: gates.get('survival')!.port });
    await followTransfer(done.transfer!, VERSION, 'Sleeper');
    assert.ok(backend.arrivals.some((a) => a.username === 'Sleeper' && a.intent === 3));
    assert.equal(await router.counter('passage_wakes_total', { route: 'survival', outcome: 'ready' }), 1);
    assert.equal(await router.counter('passage_wake_wait_seconds', { route: 'survival', outcome: 'transferred' }), 1);
    assert.equal(await router.counter('passage_wake_players_held', { route: 'survival' }), 0);
    assert.deepEqual(api.requests.filter((r) => r.endsWith(path('survival'))), [`GET ${path('survival')}`, `PATCH ${path('survival')}`]);
  });

  test('a target the login hook names is woken like one the strategy picks: the player waits, then is transferred there', async () => {
    api.onScaled = (p) => {
      if (p === path('hooked')) setImmediate(() => gates.get('hooked')!.open());
    };
    const done = await loginAnsweringKeepAlives(router.port, 'hooked.test', 'Hooked', { count: 0 });
    assert.deepEqual(done.transfer, { host: '127.0.0.1', port: gates.get('hooked')!.port });
    assert.equal(api.replicas.get(path('hooked')), 1);
    assert.equal(await router.counter('passage_wakes_total', { route: 'hooked', outcome: 'ready' }), 1);
  });

  test('ten concurrent logins share one wake: one scale call, and all ten are transferred', async () => {
    api.onScaled = (p) => {
      if (p === path('crowd', 'deployments')) setImmediate(() => gates.get('crowd')!.open());
    };
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => loginAnsweringKeepAlives(router.port, 'crowd.test', `Crowd${i}`, { count: 0 })));
    for (const r of results) assert.deepEqual(r.transfer, { host: '127.0.0.1', port: gates.get('crowd')!.port });
    assert.equal(api.requests.filter((r) => r === `PATCH ${path('crowd', 'deployments')}`).length, 1);
    assert.equal(await router.counter('passage_wakes_total', { route: 'crowd' }), 1);
  });

  test('a server-list ping never wakes a target: the route shows its sleeping line and no players', async () => {
    const before = api.requests.length;
    const answer = await ping(router.port, 'pinged.test', VERSION);
    assert.match(plainText(answer.description), /Zzz, join to wake me/);
    assert.equal(answer.players.online, 0);
    assert.equal(answer.players.max, 20);
    assert.equal(api.requests.length, before, 'no call to the scale API');
    assert.equal(api.replicas.get(path('pinged')), 0);
  });

  test('a wake that never becomes ready ends at wake_timeout with the localized "server is starting" message', async () => {
    const result = await loginAnsweringKeepAlives(router.port, 'never.test', 'Patient', { count: 0 }, 'de_de');
    assert.equal(result.disconnect, 'Der Server startet gerade, bitte versuche es in einer Minute erneut.');
    assert.equal(await router.counter('passage_wake_wait_seconds', { route: 'never', outcome: 'timeout' }), 1);
    assert.ok((await router.counter('passage_errors_total', { kind: 'ERR_WAKE_NOT_READY' })) >= 1);
    await until('the wake to end as timeout', async () => (await router.counter('passage_wakes_total', { route: 'never', outcome: 'timeout' })) === 1);
  });

  for (const [route, code] of [['forbidden', 'ERR_WAKE_FORBIDDEN'], ['missing', 'ERR_WAKE_NOT_FOUND'], ['slow', 'ERR_WAKE_API_TIMEOUT']] as const) {
    test(`a scale API failure (${code}) ends the wait with a message and a metric, and the router keeps serving others`, async () => {
      const result = await loginAnsweringKeepAlives(router.port, `${route}.test`, `Unlucky${route}`, { count: 0 });
      assert.equal(result.disconnect, 'The server could not be started. Please try again later.');
      assert.equal(await router.counter('passage_wakes_total', { route, outcome: 'error', code }), 1);
      assert.equal(await router.counter('passage_wake_wait_seconds', { route, outcome: 'error' }), 1);
      const other = await login({ port: router.port, host: 'play.test', version: VERSION, username: `Other${route}` });
      assert.deepEqual(other.transfer, { host: '127.0.0.1', port: backend.port });
    });
  }
});
