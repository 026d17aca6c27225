// `npm run build` output is what the image runs: compiled once here (tsc into a folder inside the
// repository, so node_modules resolves as it does from dist/), started on a file-source config, and
// checked to serve /status and to run no TypeScript at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startAndListModules } from '../helpers/loaded-modules.ts';
import { transferRoutes } from '../helpers/router.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

test('the compiled router starts, serves /status and loads no .ts module, nor the SDKs a file source does not use', async (t) => {
  mkdirSync(join(ROOT, '.passage'), { recursive: true });
  const out = mkdtempSync(join(ROOT, '.passage', 'build-test-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  execFileSync(process.execPath, [TSC, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', out], { cwd: ROOT, stdio: 'pipe', timeout: 120_000 });
  execFileSync(process.execPath, [join(ROOT, 'scripts/build/assets.ts'), out], { cwd: ROOT, stdio: 'pipe', timeout: 20_000 });

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
