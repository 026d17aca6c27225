// A table swap is atomic per connection: a login that started on one table finishes on it, while the
// next connection already uses the new one (DESIGN.md, "Signed routing tables"; issue 6, "Swap atomically").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestRouter, transferRoutes } from '../helpers/router.ts';
import { createClient, login } from '../helpers/minecraft.ts';
import { tableDocument } from '../helpers/tables.ts';
import { parseRoutingTable } from '../../router/table/schema.ts';

// Transfer mode never connects to the target, so these ports only need to tell the tables apart.
const OLD_PORT = 40_001;
const NEW_PORT = 40_002;

test('a login in flight during a swap is transferred by the table it started on; the next login uses the new one', async () => {
  const router = await startTestRouter({ routes: transferRoutes([{ id: 'old', port: OLD_PORT }]), config: { auth: { mode: 'offline' } } });
  try {
    const newTable = parseRoutingTable(tableDocument('test', 2, [NEW_PORT]));
    const inFlight = await new Promise<{ port: number }>((resolve, reject) => {
      const client = createClient({ port: router.port, version: '1.21.4', username: 'InFlight' });
      const timer = setTimeout(() => reject(new Error('no transfer')), 10_000);
      // Login Success: the router has resolved the route on the old table and not yet chosen a target.
      client.on('success', () => router.router.ctx.tables.swap(newTable));
      client.on('transfer', (p: { port: number }) => {
        clearTimeout(timer);
        client.end();
        resolve(p);
      });
      client.on('error', (err: Error) => reject(err));
    });
    assert.equal(router.router.ctx.tables.current?.table.version, 2);
    assert.equal(inFlight.port, OLD_PORT);
    const next = await login({ port: router.port, version: '1.21.4', username: 'Next' });
    assert.equal(next.transfer?.port, NEW_PORT);
  } finally {
    await router.stop(0);
  }
});
