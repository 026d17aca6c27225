// OpenTelemetry: a loopback OTLP/HTTP collector receives the spans of a real client's login and
// transfer; without an endpoint, no OpenTelemetry module is loaded at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { spawnSync } from 'node:child_process';
import { startTestRouter, transferRoutes } from '../helpers/router.ts';
import { login, startBackend } from '../helpers/minecraft.ts';
import { waitFor } from '../helpers/adapters.ts';

interface OtlpSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: { key: string; value: Record<string, unknown> }[];
  events?: { name: string; attributes: { key: string; value: Record<string, unknown> }[] }[];
}

function attr(span: OtlpSpan | { attributes: OtlpSpan['attributes'] }, key: string): unknown {
  const v = span.attributes.find((a) => a.key === key)?.value;
  return v === undefined ? undefined : Object.values(v)[0];
}

test('a loopback OTLP collector receives a login as connection, handshake and auth spans with a transfer event', async () => {
  const spans: OtlpSpan[] = [];
  const resources: unknown[] = [];
  const collector = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/v1/traces' && req.headers['content-type']?.startsWith('application/json')) {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as { resourceSpans: { resource: unknown; scopeSpans: { spans: OtlpSpan[] }[] }[] };
        for (const rs of body.resourceSpans) {
          resources.push(rs.resource);
          for (const ss of rs.scopeSpans) spans.push(...ss.spans);
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
  const backend = await startBackend('1.21.4');
  const router = await startTestRouter({
    routes: transferRoutes([{ id: 'lobby', port: backend.port }]),
    config: { auth: { mode: 'offline' }, telemetry: { otlp_endpoint: `http://127.0.0.1:${(collector.address() as AddressInfo).port}/v1/traces`, service_name: 'passage-test' } },
  });
  try {
    const result = await login({ port: router.port, host: 'play.test', version: '1.21.4', username: 'Traced' });
    assert.equal(result.transfer?.port, backend.port);
    await waitFor('the connection to close', async () => (await router.counter('passage_connection_duration_seconds', { intent: 'login' })) >= 1);
  } finally {
    await router.stop(0); // flushes the batch
    await backend.close();
  }
  try {
    const root = spans.find((s) => s.name === 'passage.connection' && attr(s, 'minecraft.intent') === 'login');
    assert.ok(root, `no login connection span in ${spans.map((s) => s.name).join(', ')}`);
    assert.equal(attr(root, 'passage.route'), 'main');
    assert.equal(attr(root, 'passage.target'), 'lobby');
    assert.equal(attr(root, 'passage.outcome'), 'transferred');
    assert.equal(attr(root, 'client.address'), '127.0.0.1');
    assert.equal(Number(attr(root, 'minecraft.protocol')), 769);
    const transfer = root.events?.find((e) => e.name === 'transfer');
    assert.equal(transfer && attr(transfer, 'passage.target'), 'lobby');
    const children = spans.filter((s) => s.parentSpanId === root.spanId && s.traceId === root.traceId).map((s) => s.name).sort();
    assert.deepEqual(children, ['passage.auth', 'passage.handshake']);
    assert.match(JSON.stringify(resources[0]), /passage-test/);
  } finally {
    collector.close();
  }
});

// prom-client itself loads the small @opentelemetry/api facade (for exemplars); the SDK and exporter are ours.
test('with no otlp_endpoint the router loads no OpenTelemetry SDK or exporter', () => {
  // A resolve hook sees every module the router imports, ESM and CommonJS alike.
  const script = (endpoint: string): string => `
    import { registerHooks } from 'node:module';
    const seen = new Set();
    registerHooks({ resolve(specifier, context, next) {
      const result = next(specifier, context);
      const m = /@opentelemetry\\/([a-z-]+)/.exec(result.url);
      if (m !== null) seen.add(m[1]);
      return result;
    } });
    const { startPassage } = await import('./router/app.ts');
    const { buildConfig } = await import('./router/config/load.ts');
    const { pino } = await import('pino');
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'passage-otel-'));
    writeFileSync(join(dir, 'routes.toml'), 'table_id = "t"\\nversion = 1\\n[[routes]]\\nid = "a"\\nhosts = ["*"]\\n');
    const config = buildConfig({ address: '127.0.0.1:0', admin: { address: '127.0.0.1:0' }, table: { path: 'routes.toml', cache_file: 'c.json', allow_unsigned: true }, telemetry: { otlp_endpoint: '${endpoint}' } }, join(dir, 'passage.toml'));
    const running = await startPassage(config, { log: pino({ level: 'silent' }) });
    await running.stop(0);
    console.log(JSON.stringify([...seen].filter((m) => m !== 'api')));
  `;
  const run = (endpoint: string): string[] => {
    const out = spawnSync(process.execPath, ['--input-type=module', '-e', script(endpoint)], { cwd: new URL('../..', import.meta.url).pathname, encoding: 'utf8', timeout: 20_000 });
    assert.equal(out.status, 0, out.stderr);
    return JSON.parse(out.stdout.trim().split('\n').at(-1)!) as string[];
  };
  assert.deepEqual(run(''), []);
  // The same probe sees the SDK when tracing is on, so the empty list above means something.
  assert.ok(run('http://127.0.0.1:9/v1/traces').includes('sdk-trace'));
});

test('the startup log names the OTLP endpoint without its user info or query string', async () => {
  const { default: pino } = await import('pino');
  const { startTracing } = await import('../../router/telemetry/tracing.ts');
  const { SimpleSpanProcessor, InMemorySpanExporter } = await import('@opentelemetry/sdk-trace');
  const lines: string[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  const tracing = startTracing(
    { otlpEndpoint: 'http://collector:s3cret-pass@127.0.0.1:9/v1/traces?api_key=s3cret-key', serviceName: 'passage-test', sampleRatio: 1, spanProcessor: new SimpleSpanProcessor({ exporter: new InMemorySpanExporter() }) },
    {},
    log,
  );
  await tracing.stop();
  const started = lines.find((l) => l.includes('tracing connections to OTLP'));
  assert.ok(started, lines.join(''));
  assert.equal(started.includes('s3cret'), false, started);
  assert.match(started, /http:\/\/127\.0\.0\.1:9\/v1\/traces/);
});
