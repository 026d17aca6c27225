// `npm run build` output is what the image runs: compiled once here (tsc into a folder inside the
// repository, so node_modules resolves as it does from dist/), started on a file-source config, and
// checked to serve /status and to run no TypeScript at all.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serialize } from 'node:v8';
import { startAndListModules } from '../helpers/loaded-modules.ts';
import { transferRoutes } from '../helpers/router.ts';
import { bigDocument } from '../helpers/chunked-tables.ts';
import { envelopeFor, newKey } from '../helpers/tables.ts';
import { splitTableDocument } from '../../router/table/manifest.ts';
import { parseRoutingTable } from '../../router/table/schema.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

let out = '';
after(() => rmSync(out, { recursive: true, force: true }));
before(() => {
  mkdirSync(join(ROOT, '.passage'), { recursive: true });
  out = mkdtempSync(join(ROOT, '.passage', 'build-test-'));
  execFileSync(process.execPath, [TSC, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', out], { cwd: ROOT, stdio: 'pipe', timeout: 120_000 });
  execFileSync(process.execPath, [join(ROOT, 'scripts/build/assets.ts'), out], { cwd: ROOT, stdio: 'pipe', timeout: 20_000 });
});

test('the compiled router starts, serves /status and loads no .ts module, nor the SDKs a file source does not use', async () => {

  const config = '[table]\nsource = "file"\npath = "routes.toml"\nallow_unsigned = true\n';
  const run = await startAndListModules(join(out, 'router/main.js'), config, { 'routes.toml': transferRoutes([{ id: 'a', port: 25599 }]) });
  assert.equal(run.exitCode, 0);
  assert.equal((run.status.table as { id: string }).id, 'test');
  assert.match(String(run.status.version), /^\d+\.\d+\.\d+/);
  const mine = run.modules.filter((url) => url.startsWith('file://') && !url.includes('/node_modules/') && !url.endsWith('/test/helpers/module-log-hook.ts'));
  assert.ok(mine.some((url) => url.endsWith('/router/server.js')), 'the compiled router/server.js ran');
  assert.deepEqual(mine.filter((url) => url.endsWith('.ts')), []);
  assert.deepEqual(run.modules.filter((url) => /\/node_modules\/(@aws-sdk|@smithy|@grpc)\//.test(url)), []);
  assert.deepEqual(run.modules.filter((url) => /^builtin:(internal\/deps\/undici\/|http2$)/.test(url)), []);
});

// tsc rewrites import specifiers but not the URLs given to Worker and fork: each must name the compiled file.
test('the compiled router runs workers = 2 from compiled files (the supervisor forks dist/router/workers/worker.js)', async () => {
  const config = '[table]\nsource = "file"\npath = "routes.toml"\nallow_unsigned = true\n';
  const run = await startAndListModules(join(out, 'router/main.js'), config, { 'routes.toml': transferRoutes([{ id: 'a', port: 25599 }]) }, 'workers = 2\n');
  assert.equal(run.exitCode, 0);
  assert.equal((run.status.table as { id: string }).id, 'test');
  const mine = run.modules.filter((url) => url.startsWith('file://') && !url.includes('/node_modules/') && !url.endsWith('/test/helpers/module-log-hook.ts'));
  assert.deepEqual(mine.filter((url) => url.endsWith('.ts')), []);
});

test('the compiled router verifies a big envelope in its compiled worker thread', async () => {
  const { verifyOffThread } = (await import(join(out, 'router/routing/sources/off-thread.js'))) as typeof import('../../router/routing/sources/off-thread.ts');
  const key = newKey();
  const bytes = Buffer.from(envelopeFor(bigDocument('big', 600), key.privateKey));
  assert.ok(bytes.length > 32 * 1024);
  const verified = await verifyOffThread({ bytes, trustedKeys: [key.publicKey], opts: { maxBytes: 16 * 1024 * 1024, expectedTableId: 'big', now: Date.now(), skewMs: 60_000 } }, AbortSignal.timeout(30_000));
  assert.equal(verified.format, 'envelope');
  assert.equal(verified.manifest.chunks.reduce((sum, ref) => sum + ref.routes, 0), 600);
});

test('the compiled router builds big tables in its compiled worker threads (a chunked table, and one handed to a worker process)', async () => {
  const doc = bigDocument('big', 600);
  const { chunks } = splitTableDocument(doc);
  const chunked = (await import(join(out, 'router/routing/sources/chunked.js'))) as typeof import('../../router/routing/sources/chunked.ts');
  const { SliceClock } = (await import(join(out, 'router/routing/slices.js'))) as typeof import('../../router/routing/slices.ts');
  const header = { tableId: 'big', version: 1, routes: [] };
  const assembled = await chunked.assembleChunkedTable(header, chunks.map((c) => c.ref), new Map(), async (ref) => Buffer.from(chunks.find((c) => c.ref.sha256 === ref.sha256)!.bytes), new SliceClock(), { offThreadMinRoutes: 0 });
  assert.equal(assembled.offThread, true);
  assert.equal(assembled.active.resolve('play599.example.com')?.id, 'route-599');

  const { ThreadTableBuild } = (await import(join(out, 'router/workers/table-build.js'))) as typeof import('../../router/workers/table-build.ts');
  const table = parseRoutingTable(doc);
  const build = new ThreadTableBuild(1, table.routes.length, 4);
  await build.addBatch(serialize({ favicons: [], routes: table.routes }));
  const active = await build.finish({ tableId: 'big', version: 1 });
  assert.equal(active.table.routes.length, 600);
  assert.equal(active.resolve('x.net7.example.org')?.id, 'route-7');

  const { FileTableSource } = (await import(join(out, 'router/routing/sources/file.js'))) as typeof import('../../router/routing/sources/file.ts');
  const routes = join(out, 'routes.toml');
  writeFileSync(routes, transferRoutes([{ id: 'a', port: 25599 }]));
  const read = await new FileTableSource(routes, { inlineMaxBytes: 0 }).fetch();
  assert.equal(read.kind === 'unsigned' && 'index' in read.table && read.table.table.routes.length, 1);
});
