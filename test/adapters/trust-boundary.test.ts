// Where adapters may send the router's credentials and plain-text requests: only where passage.toml
// says. A table names the endpoint; the router's config decides whether it is used. And adapter URLs,
// which may carry tokens, are shown redacted on /status and in the log.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as GrpcJs from '@grpc/grpc-js';
import { pino } from 'pino';
import { startPassage } from '../../router/app.ts';
import { buildConfig, ConfigError } from '../../router/config/load.ts';
import { AdapterError } from '../../router/adapters/errors.ts';
import { AdapterClient, loadAdapterService } from '../../router/adapters/grpc.ts';
import { KubernetesDiscovery, kubernetesEndpoint, SERVICE_ACCOUNT_TOKEN } from '../../router/adapters/kubernetes.ts';
import { STRICT_ADAPTER_POLICY, type AdapterPolicy } from '../../router/adapters/policy.ts';
import { RouteAdapters } from '../../router/adapters/route-adapters.ts';
import { redactUrl } from '../../router/redact-url.ts';
import { TableStore } from '../../router/routing/store.ts';
import { parseRoutingTable } from '../../router/table/schema.ts';
import type { DiscoveryConfig } from '../../router/table/types.ts';
import { adapterRoutes, startJsonServer, waitFor } from '../helpers/adapters.ts';
import type { JsonServer } from '../helpers/adapters.ts';

const log = pino({ level: 'silent' });

function policy(overrides: { allowPlainHttp?: string[]; apiUrls?: string[]; tokenFile?: string } = {}): AdapterPolicy {
  return {
    allowPlainHttp: overrides.allowPlainHttp ?? [],
    kubernetes: { apiUrls: overrides.apiUrls ?? [], tokenFile: overrides.tokenFile ?? '' },
  };
}

/** An HTTP endpoint that records every request and the Authorization header it carried. */
async function recordingServer(): Promise<JsonServer & { authorizations: (string | undefined)[] }> {
  const authorizations: (string | undefined)[] = [];
  const server = await startJsonServer((req: IncomingMessage) => {
    authorizations.push(req.headers.authorization);
    return { status: 200, body: { kind: 'List', metadata: { resourceVersion: '1' }, items: [], targets: [] } };
  });
  return Object.assign(server, { authorizations });
}

function discoveryTable(discovery: object): ReturnType<typeof parseRoutingTable> {
  return parseRoutingTable({ table_id: 't', version: 1, routes: [{ id: 'main', hosts: ['*'], targets: [{ id: 'own', address: '127.0.0.1:1' }], discovery }] });
}

describe("the router's Kubernetes token goes only to API servers passage.toml allows", () => {
  let attacker: Awaited<ReturnType<typeof recordingServer>>;
  let tokenFile: string;
  const running: KubernetesDiscovery[] = [];
  const discover = (apiUrl: string, p: AdapterPolicy): KubernetesDiscovery => {
    const config = { type: 'kubernetes', refreshInterval: 100, timeout: 1000, resource: 'pods', namespace: 'games', apiUrl } as DiscoveryConfig;
    const d = new KubernetesDiscovery('r', config, { source: {}, log, policy: p });
    running.push(d);
    d.start();
    return d;
  };

  before(async () => {
    attacker = await recordingServer();
    tokenFile = join(mkdtempSync(join(tmpdir(), 'passage-token-')), 'token');
    writeFileSync(tokenFile, 'the-routers-token\n');
  });
  after(async () => {
    for (const d of running) d.stop();
    await attacker.close();
  });

  test("a table's api_url that passage.toml does not list gets no request at all, so never the token", async () => {
    const d = discover(attacker.url, policy({ allowPlainHttp: ['127.0.0.1'], tokenFile }));
    await waitFor('the refusal', () => d.state().lastError !== undefined);
    assert.equal(d.state().lastError?.code, 'ERR_ADAPTER_NOT_ALLOWED');
    assert.match(d.state().lastError?.message ?? '', /is neither the in-cluster API server nor listed in \[adapters\.kubernetes\] api_urls/);
    assert.equal(attacker.requests.length, 0);
    assert.equal(d.targets, undefined);
  });

  test('a listed API server over plain http also needs its host in allow_plain_http', async () => {
    const d = discover(attacker.url, policy({ apiUrls: [attacker.url], tokenFile }));
    await waitFor('the refusal', () => d.state().lastError !== undefined);
    assert.equal(d.state().lastError?.code, 'ERR_ADAPTER_NOT_ALLOWED');
    assert.match(d.state().lastError?.message ?? '', /plain http to 127\.0\.0\.1 is not allowed: use https, or list "127\.0\.0\.1" in \[adapters\] allow_plain_http/);
    assert.equal(attacker.requests.length, 0);
  });

  test('an API server passage.toml lists gets the token from passage.toml', async () => {
    const d = discover(`${attacker.url}/`, policy({ allowPlainHttp: ['127.0.0.1'], apiUrls: [attacker.url], tokenFile }));
    await waitFor('a request', () => attacker.requests.length > 0);
    d.stop();
    assert.equal(attacker.authorizations[0], 'Bearer the-routers-token');
  });

  test('by default only the in-cluster API server is used, with the service-account token', () => {
    const cluster = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };
    assert.deepEqual(kubernetesEndpoint(undefined, STRICT_ADAPTER_POLICY, cluster), { base: 'https://10.96.0.1:443', tokenFile: SERVICE_ACCOUNT_TOKEN, tokenRequired: false });
    // The same server spelled differently in a table is still the in-cluster one.
    assert.equal((kubernetesEndpoint('https://10.96.0.1/', STRICT_ADAPTER_POLICY, cluster) as { base: string }).base, 'https://10.96.0.1/');
    for (const apiUrl of ['https://api.evil.example', 'https://10.96.0.1:6443', 'https://user:pw@10.96.0.1', 'https://10.96.0.1/?watch=x']) {
      const refused = kubernetesEndpoint(apiUrl, STRICT_ADAPTER_POLICY, cluster);
      assert.ok(refused instanceof AdapterError && refused.code === 'ERR_ADAPTER_NOT_ALLOWED', apiUrl);
    }
  });
});

describe('adapters reach hosts over plain text only when passage.toml allows it', () => {
  let api: JsonServer;
  before(async () => {
    api = await startJsonServer(() => ({ status: 200, body: { targets: [{ id: 'd1', address: '127.0.0.1:2' }] } }));
  });
  after(() => api.close());

  test('an http:// discovery URL to a host not in allow_plain_http is never fetched (the route keeps its own targets); listed, it is', async () => {
    const store = new TableStore();
    const adapters = new RouteAdapters({ source: {}, log, policy: STRICT_ADAPTER_POLICY });
    store.onSwap((t) => adapters.apply(t));
    try {
      const active = store.swap(discoveryTable({ type: 'http', url: `${api.url}/t`, refresh_interval: '100ms' }));
      const [state] = adapters.states();
      assert.equal(state?.lastError?.code, 'ERR_ADAPTER_NOT_ALLOWED');
      assert.match(state?.lastError?.message ?? '', /list "127\.0\.0\.1" in \[adapters\] allow_plain_http of passage\.toml/);
      assert.equal(active.adapters?.targets(active.table.routes.at(0)), undefined);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(api.requests.length, 0);
    } finally {
      adapters.stop();
    }
    // The same table on a router whose passage.toml lists the host: fetched.
    const allowed = new RouteAdapters({ source: {}, log, policy: policy({ allowPlainHttp: ['127.0.0.1'] }) });
    const store2 = new TableStore();
    store2.onSwap((t) => allowed.apply(t));
    try {
      const active = store2.swap(discoveryTable({ type: 'http', url: `${api.url}/t`, refresh_interval: '100ms' }));
      await waitFor('discovery', () => active.adapters?.targets(active.table.routes.at(0))?.[0]?.id === 'd1');
    } finally {
      allowed.stop();
    }
  });

  describe('gRPC', () => {
    let server: GrpcJs.Server;
    let port = 0;
    let calls = 0;
    before(async () => {
      const { grpc, service } = loadAdapterService();
      server = new grpc.Server();
      server.addService(service.service, {
        GetTargets: (_call: unknown, cb: GrpcJs.sendUnaryData<unknown>) => {
          calls++;
          cb(null, { targets: [] });
        },
      });
      port = await new Promise<number>((resolve, reject) =>
        server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
    });
    after(() => new Promise<void>((resolve) => server.tryShutdown(() => resolve())));

    test('a gRPC adapter not in allow_plain_http speaks TLS, so a plaintext service never gets a call; listed, it does', async () => {
      const client = new AdapterClient(`127.0.0.1:${port}`, STRICT_ADAPTER_POLICY);
      try {
        assert.equal(client.tls, true);
        await assert.rejects(client.call('GetTargets', { route: 'r' }, 2000), (err: AdapterError) => ['ERR_ADAPTER_UNAVAILABLE', 'ERR_ADAPTER_TIMEOUT'].includes(err.code));
        assert.equal(calls, 0);
      } finally {
        client.close();
      }
      const plain = new AdapterClient(`127.0.0.1:${port}`, policy({ allowPlainHttp: ['127.0.0.1'] }));
      try {
        assert.equal(plain.tls, false);
        await plain.call('GetTargets', { route: 'r' }, 2000);
        assert.equal(calls, 1);
      } finally {
        plain.close();
      }
    });
  });
});

describe('[adapters] in passage.toml', () => {
  const problems = (adapters: object): string[] => {
    try {
      buildConfig({ adapters }, '/etc/passage/passage.toml');
      return [];
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      return err.problems.map((p) => `${p.key}: ${p.message}`);
    }
  };

  test('takes bare hosts, API server URLs and a token file relative to the config', () => {
    const config = buildConfig({ adapters: { allow_plain_http: ['Adapter.Internal', '[::1]', '127.0.0.1'], kubernetes: { api_urls: ['https://k8s.example.com:6443'], token_file: 'k8s.token' } } }, '/etc/passage/passage.toml');
    assert.deepEqual(config.adapters, { allowPlainHttp: ['adapter.internal', '::1', '127.0.0.1'], kubernetes: { apiUrls: ['https://k8s.example.com:6443'], tokenFile: '/etc/passage/k8s.token' } });
    assert.deepEqual(buildConfig({}, '/etc/passage/passage.toml').adapters, { allowPlainHttp: [], kubernetes: { apiUrls: [], tokenFile: '' } });
  });

  test('refuses a URL or a port where a host belongs, and an API server URL with credentials or a query, naming the key', () => {
    assert.deepEqual(problems({ allow_plain_http: ['http://adapter.internal', 'adapter.internal:8080'] }), [
      'adapters.allow_plain_http: expected host names or IP addresses without scheme or port (like "127.0.0.1" or "adapter.internal"), got "http://adapter.internal", "adapter.internal:8080"',
    ]);
    assert.deepEqual(problems({ kubernetes: { api_urls: ['https://u:p@k8s.example.com', 'https://k8s.example.com/?token=x', 'k8s.example.com'] } }), [
      'adapters.kubernetes.api_urls: expected http(s) URLs without user info or query (like "https://k8s.example.com:6443"), got "https://u:p@k8s.example.com", "https://k8s.example.com/?token=x", "k8s.example.com"',
    ]);
  });
});

describe('adapter URLs are shown redacted', () => {
  test('redactUrl keeps scheme, host and path, and drops user info, query and fragment', () => {
    assert.equal(redactUrl('https://user:pass@adapter.example:8443/v1/targets?token=s3cret#frag'), 'https://adapter.example:8443/v1/targets');
    assert.equal(redactUrl(new URL('http://[::1]:9/x?y=z')), 'http://[::1]:9/x');
    assert.equal(redactUrl('not a url?token=s3cret'), '<invalid URL>');
  });

  test('a table problem about an adapter URL names the key, not the URL and its token', () => {
    for (const url of ['ftp://inventory.internal/t?token=s3cret', 'http//inventory.internal/t?token=s3cret']) {
      try {
        discoveryTable({ type: 'http', url });
        assert.fail('accepted');
      } catch (err) {
        assert.match((err as Error).message, /routes\[0\]\.discovery\.url: must be an http or https URL/);
        assert.equal((err as Error).message.includes('s3cret'), false, (err as Error).message);
      }
    }
  });

  test('a failing adapter whose URL carries a token shows it on /status and in the warn log without the query', async () => {
    const api = await startJsonServer(() => ({ status: 500, body: 'down' }));
    const dir = mkdtempSync(join(tmpdir(), 'passage-redact-'));
    writeFileSync(join(dir, 'routes.toml'), adapterRoutes([
      '[routes.discovery]', 'type = "http"', `url = "${api.url}/targets?token=s3cret-discovery"`, 'refresh_interval = "100ms"', 'timeout = "500ms"',
      // Refused (plain http to a host passage.toml does not list): its message names the URL too.
      '[routes.status_adapter]', 'type = "http"', 'url = "http://status.internal/s?key=s3cret-status"', 'cache_ttl = "1s"', 'timeout = "500ms"',
    ].join('\n')));
    const config = buildConfig({
      address: '127.0.0.1:0', admin: { address: '127.0.0.1:0' }, auth: { mode: 'offline' },
      table: { path: 'routes.toml', cache_file: 'cache.json', allow_unsigned: true }, adapters: { allow_plain_http: ['127.0.0.1'] },
    }, join(dir, 'passage.toml'));
    const lines: string[] = [];
    const running = await startPassage(config, { log: pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) }) });
    try {
      const statusUrl = `http://127.0.0.1:${running.adminAddress.port}/status`;
      const text = await waitFor('both adapter errors on /status', async () => {
        const body = await (await fetch(statusUrl)).text();
        return body.includes('ERR_ADAPTER_HTTP_STATUS') && body.includes('ERR_ADAPTER_NOT_ALLOWED') ? body : '';
      });
      assert.ok(text.includes(`GET ${api.url}/targets: HTTP 500`), text);
      assert.ok(text.includes('http://status.internal/s: plain http'), text);
      const warns = lines.filter((l) => l.includes('"level":40'));
      assert.equal(warns.length >= 2, true, lines.join(''));
      for (const shown of [text, ...lines]) assert.equal(/s3cret/.test(shown), false, shown);
    } finally {
      await running.stop(0);
      await api.close();
    }
  });
});
