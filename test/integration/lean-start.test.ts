// A router loads only what its config uses: on a config like the bundled one (file source, online
// auth, no telemetry, no adapters) none of the DynamoDB/AWS SDK, OpenTelemetry SDK, gRPC, or the DNS,
// gRPC and Kubernetes adapter modules is loaded, nor Node's bundled undici or http2 (which an ESM
// import of node:http pulls in through its lazy WebSocket getters: router/node-http.ts). zlib is
// loaded, by prom-client's Pushgateway; skipping it measured no difference in idle RSS.
// (@opentelemetry/api alone is loaded: prom-client's default process metrics require it.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { startAndListModules } from '../helpers/loaded-modules.ts';
import { transferRoutes } from '../helpers/router.ts';

const MAIN = new URL('../../router/main.ts', import.meta.url).pathname;

/** What a file-source router must not load: a module URL containing any of these. */
export const NOT_FOR_A_FILE_SOURCE = [
  '/node_modules/@aws-sdk/',
  '/node_modules/@smithy/',
  '/node_modules/@grpc/',
  '/node_modules/@opentelemetry/sdk-trace',
  '/node_modules/@opentelemetry/exporter-trace-otlp-http/',
  '/node_modules/@opentelemetry/resources/',
  '/router/routing/sources/dynamodb.',
  '/router/telemetry/',
  '/router/adapters/dns.',
  '/router/adapters/grpc.',
  '/router/adapters/kubernetes.',
  'builtin:internal/deps/undici/',
  'builtin:http2',
];

export const BUNDLED_LIKE_CONFIG = '[auth]\nmode = "online"\n[table]\nsource = "file"\npath = "routes.toml"\nallow_unsigned = true\n';
export const BUNDLED_LIKE_ROUTES = transferRoutes([{ id: 'local-backend', port: 25566 }]);

function forbidden(modules: readonly string[]): string[] {
  return modules.filter((url) => NOT_FOR_A_FILE_SOURCE.some((part) => url.includes(part)));
}

test('a router on a file source loads no AWS SDK, OpenTelemetry SDK, gRPC or DNS/Kubernetes adapter module', async () => {
  const run = await startAndListModules(MAIN, BUNDLED_LIKE_CONFIG, { 'routes.toml': BUNDLED_LIKE_ROUTES });
  assert.equal(run.exitCode, 0);
  const table = run.status.table as { id: string; version: number };
  assert.deepEqual({ id: table.id, version: table.version }, { id: 'test', version: 1 });
  // The recorder saw the router itself: an empty list cannot pass.
  assert.ok(run.modules.some((url) => url.endsWith('/router/server.ts')), 'router/server.ts is in the list');
  assert.ok(run.modules.includes('builtin:net'), 'Node\'s own modules are in the list');
  assert.deepEqual(forbidden(run.modules), []);
});

test('a router on a dynamodb source does load the DynamoDB SDK (the check above can fail)', async () => {
  const publicKey = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }) as string;
  const config = '[table]\nsource = "dynamodb"\npublic_keys = ["key.pem"]\ncache_file = ""\npoll_interval = "1h"\ndynamodb = { table = "passage", id = "test", region = "eu-west-1", endpoint = "http://127.0.0.1:1" }\n';
  const run = await startAndListModules(MAIN, config, { 'key.pem': publicKey });
  assert.equal(run.exitCode, 0);
  assert.ok(run.modules.some((url) => url.includes('/node_modules/@aws-sdk/client-dynamodb/')));
});

test('a router on an http source does load Node\'s undici, for fetch (the built-in check above can fail)', async () => {
  const publicKey = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }) as string;
  const config = '[table]\nsource = "http"\nurl = "http://127.0.0.1:1/table.json"\npublic_keys = ["key.pem"]\ncache_file = ""\npoll_interval = "1h"\n';
  const run = await startAndListModules(MAIN, config, { 'key.pem': publicKey });
  assert.equal(run.exitCode, 0);
  assert.ok(run.modules.some((url) => url.startsWith('builtin:internal/deps/undici/')));
});
