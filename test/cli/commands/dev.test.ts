import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../../../cli/commands/dev.ts';
import { run as publish } from '../../../cli/commands/table-publish.ts';
import { login } from '../../helpers/minecraft.ts';
import { eventually, fakeContext } from '../../helpers/tables.ts';

// The tests' own routes file: the repository's routes.toml is the operator's to edit.
const ROUTES = fileURLToPath(new URL('../../fixtures/routes/dev.toml', import.meta.url));

test('passagectl dev publishes a routes file to an in-process DynamoDB and a router serves it until Ctrl-C', async () => {
  const abort = new AbortController();
  const ctx = fakeContext({ json: true, signal: abort.signal });
  const running = run({ routes: ROUTES, port: 0, adminPort: 0, pollIntervalMs: 200, online: false, logLevel: 'silent' }, ctx);
  try {
    await eventually(() => ctx.out().trim().endsWith('}'), 10_000, 'dev output');
    const info = JSON.parse(ctx.out()) as { router: string; admin: string; location: string; key: string; publicKey: string };
    assert.equal((await fetch(`${info.admin}/readyz`)).status, 200, 'ready when the instructions are printed');
    const port = Number(info.router.split(':')[1]);
    const first = await login({ port, host: 'localhost', version: '1.21.4', username: 'Dev' });
    assert.deepEqual(first.transfer, { host: '127.0.0.1', port: 25566 });

    // The printed location and keys publish a change that the router picks up.
    const dir = mkdtempSync(join(tmpdir(), 'passage-dev-test-'));
    const next = join(dir, 'routes.toml');
    writeFileSync(next, 'table_id = "local"\nversion = 2\n[[routes]]\nid = "default"\nhosts = ["*"]\n[[routes.targets]]\nid = "other"\naddress = "127.0.0.1:25599"\n');
    await publish({ file: next, to: info.location, keys: [info.key], expiresInMs: 3_600_000, trust: { publicKeys: [info.publicKey] }, force: false }, fakeContext());
    await eventually(async () => ((await (await fetch(`${info.admin}/status`)).json()) as { table: { version: number } }).table.version === 2, 2_000, 'version 2 served');
    const second = await login({ port, host: 'localhost', version: '1.21.4', username: 'Dev2' });
    assert.deepEqual(second.transfer, { host: '127.0.0.1', port: 25599 });
  } finally {
    abort.abort();
    await running;
  }
});
