// Applying a big table never freezes the router (issue 19): a server-list ping sent when the apply
// starts is answered before the apply ends, and the new table is served right after.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bigDocument, ChunkedSource } from '../helpers/chunked-tables.ts';
import { ping } from '../helpers/minecraft.ts';
import { startTestRouter, transferRoutes } from '../helpers/router.ts';
import { newKey, signedTablePoller } from '../helpers/tables.ts';

test('a status ping sent while a 5,000-route table is applied is answered before the apply completes', async () => {
  const router = await startTestRouter({ routes: transferRoutes([{ id: 'old', port: 40_001 }]), config: { auth: { mode: 'offline' } } });
  const key = newKey();
  const source = new ChunkedSource();
  source.publish(bigDocument('test', 5_000, 2), key.privateKey);
  // The router's own store, fed by a poller of the big table (every slice yields: the most turns for the ping).
  const poller = signedTablePoller({ source, store: router.router.ctx.tables, trustedKeys: [key.publicKey], expectedTableId: 'test', intervalMs: 60_000, sliceBudgetMs: 0 });
  try {
    const order: string[] = [];
    let answered: Promise<unknown> | undefined;
    source.onChunkRead = () => {
      source.onChunkRead = undefined;
      answered = ping(router.port, 'play.test', '1.21.4').then((status: { description: unknown }) => {
        order.push('ping');
        return status;
      });
    };
    await poller.pollOnce().then((outcome) => order.push(`apply ${outcome.kind}`));
    const status = await answered;
    assert.deepEqual(order, ['ping', 'apply applied']);
    assert.ok(status !== undefined);
    assert.equal(router.router.ctx.tables.current?.table.routes.length, 5_000);
    const after = await ping(router.port, 'play4321.example.com', '1.21.4');
    assert.match(JSON.stringify(after.description), /Route 4321/);
  } finally {
    await poller.stop();
    await router.stop(0);
  }
});
