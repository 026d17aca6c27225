// The table handover between a supervisor and a worker, in one process: a TableDelivery posts each
// message through the same structured clone child_process uses (serialization "advanced"), and a
// TableReceiver builds the worker's table from what arrives.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DefaultDeserializer, DefaultSerializer } from 'node:v8';
import { ActiveTable } from '../../router/routing/active-table.ts';
import { TableStore } from '../../router/routing/store.ts';
import { parseRoutingTable } from '../../router/table/schema.ts';
import type { Route, RoutingTable } from '../../router/table/types.ts';
import { IPC_MESSAGE_MAX_BYTES } from '../../router/workers/messages.ts';
import type { TableMessage, ToWorker } from '../../router/workers/messages.ts';
import { PIECE_MAX_BYTES, TableDelivery, TableHandover } from '../../router/workers/table-handover.ts';
import { TableReceiver } from '../../router/workers/table-receiver.ts';
import { bigDocument } from '../helpers/chunked-tables.ts';
import { eventually, silentLog } from '../helpers/tables.ts';

/** What child_process writes for one message with serialization "advanced" (its length prefix aside). */
function serializedSize(message: unknown): number {
  const serializer = new DefaultSerializer();
  serializer.writeHeader();
  serializer.writeValue(message);
  return serializer.releaseBuffer().length;
}

function clone<T>(message: T): T {
  const serializer = new DefaultSerializer();
  serializer.writeHeader();
  serializer.writeValue(message);
  const deserializer = new DefaultDeserializer(serializer.releaseBuffer());
  deserializer.readHeader();
  return deserializer.readValue() as T;
}

function bigTable(routes: number, version: number): RoutingTable {
  return parseRoutingTable(bigDocument('big', routes, version, () => ` v${version}`));
}

/**
 * A supervisor-side delivery wired to a worker-side receiver. Messages are queued and delivered one per
 * turn (as the channel does), so a test can act between any two of them.
 */
function openChannel(offThreadMinRoutes: number, opts: { onMessage?: (message: TableMessage, delivered: number) => void } = {}) {
  const store = new TableStore();
  const sizes: number[] = [];
  const applied: number[] = [];
  let delivered = 0;
  const receiver = new TableReceiver({
    store,
    log: silentLog,
    sliceBudgetMs: 0,
    offThreadMinRoutes,
    acknowledge: () => setImmediate(() => delivery.acknowledged()),
    applied: (_transfer, version) => applied.push(version),
  });
  const delivery = new TableDelivery((message: ToWorker) => {
    sizes.push(serializedSize(message));
    const received = clone(message) as TableMessage;
    setImmediate(() => {
      delivered++;
      opts.onMessage?.(received, delivered);
      receiver.receive(received);
    });
  });
  return { store, sizes, applied, delivery, receiver };
}

function assertSameRoutes(active: ActiveTable, table: RoutingTable): void {
  const reference = new ActiveTable(table);
  for (const route of table.routes) {
    for (const host of route.hosts) {
      const probe = host.startsWith('*.') ? `x${host.slice(1)}` : host;
      assert.deepEqual(active.resolve(probe), reference.resolve(probe), probe);
    }
  }
}

// Every handover test runs twice: the worker building the table on its event loop in slices, and in a
// worker thread (router/workers/table-build.ts), which must give the same tables.
for (const where of ['on the event loop', 'in a worker thread'] as const) {
  const offThreadMinRoutes = where === 'in a worker thread' ? 0 : Number.POSITIVE_INFINITY;
  const channel = (opts: Parameters<typeof openChannel>[1] = {}) => openChannel(offThreadMinRoutes, opts);

  describe(`handing a table to a worker that builds it ${where}`, () => {
    test('a 10,000-route table crosses in acknowledged pieces, none over the IPC bound, and the worker resolves every host as the supervisor does', async () => {
      const table = bigTable(10_000, 2);
      const wire = channel();
      wire.delivery.start(new TableHandover(1, table));
      await eventually(() => wire.store.current !== undefined, 30_000, 'the table applied');
      const active = wire.store.current!;
      assert.equal(active.table.version, 2);
      assert.equal(active.table.routes.length, 10_000);
      assert.deepEqual([...active.table.routes], table.routes);
      assertSameRoutes(active, table);
      // Tens of pieces, not one message: the whole table serialized is several MiB.
      assert.ok(serializedSize(table) > 8 * IPC_MESSAGE_MAX_BYTES, `the whole table is ${serializedSize(table)} bytes`);
      assert.ok(wire.sizes.length >= 10, `${wire.sizes.length} messages`);
      assert.ok(Math.max(...wire.sizes) <= IPC_MESSAGE_MAX_BYTES, `largest message ${Math.max(...wire.sizes)} bytes`);
      assert.deepEqual(wire.applied, [2]);
    });

    test('a route bigger than a piece spans several pieces and arrives whole', async () => {
      const table = bigTable(3, 1);
      const huge: Route = { ...table.routes[1]!, status: { ...table.routes[1]!.status, motd: 'm'.repeat(3 * PIECE_MAX_BYTES) } };
      const withHuge: RoutingTable = { ...table, routes: [table.routes[0]!, huge, table.routes[2]!] };
      const wire = channel();
      wire.delivery.start(new TableHandover(1, withHuge));
      await eventually(() => wire.store.current !== undefined, 10_000, 'the table applied');
      assert.deepEqual([...wire.store.current!.table.routes], withHuge.routes);
      assert.ok(Math.max(...wire.sizes) <= IPC_MESSAGE_MAX_BYTES, `largest message ${Math.max(...wire.sizes)} bytes`);
    });

    /**
     * Hands `older` over (transfer 1) and, when `when` says so for a message reaching the worker, starts
     * `newer` (transfer 2) in its place; resolves once a table is applied, with every version swapped in.
     */
    async function supersede(older: RoutingTable, newer: RoutingTable, when: (message: TableMessage, delivered: number) => boolean) {
      const swapped: number[] = [];
      let superseded = false;
      const wire = channel({
        onMessage: (message, delivered) => {
          if (superseded || !when(message, delivered)) return;
          superseded = true;
          // After this message is taken in: the supervisor swaps in a newer table.
          setImmediate(() => wire.delivery.start(new TableHandover(2, newer)));
        },
      });
      wire.store.onSwap((active) => swapped.push(active.table.version));
      wire.delivery.start(new TableHandover(1, older));
      await eventually(() => wire.store.current !== undefined, 30_000, 'a table applied');
      assert.ok(superseded);
      return { swapped, active: wire.store.current!, store: wire.store };
    }

    test('a newer table begun while pieces of the older one are in flight supersedes it: the worker never holds the older one, nor a mix', async () => {
      const v3 = bigTable(4_000, 3);
      // Half-way through the older transfer.
      const { swapped, active } = await supersede(bigTable(5_000, 2), v3, (_message, delivered) => delivered === 5);
      assert.deepEqual(swapped, [3]);
      assert.equal(active.table.routes.length, 4_000);
      assert.ok([...active.table.routes].every((r) => String(r.status.motd).endsWith(' v3')));
      assertSameRoutes(active, v3);
    });

    test('an older table whose end was taken in is swapped in whole; a newer one begun after it then replaces it, never a mix', async () => {
      // Routes are added as their batches arrive (acknowledged after), so at its end the older table is whole.
      const v3 = bigTable(3_000, 3);
      const { swapped, store } = await supersede(bigTable(300, 2), v3, (message) => message.type === 'table-end' && message.transfer === 1);
      await eventually(() => store.current?.table.version === 3, 30_000, 'the newer table applied');
      assert.deepEqual(swapped, [2, 3]);
      assert.deepEqual([...store.current!.table.routes], v3.routes);
    });

    test('a worker that starts after the pieces were released gets the same table, encoded again', async () => {
      const table = bigTable(2_000, 4);
      const handover = new TableHandover(1, table);
      const first = channel();
      first.delivery.start(handover);
      await eventually(() => first.store.current !== undefined, 20_000, 'the first worker applied the table');
      handover.release();
      const replacement = channel();
      replacement.delivery.start(handover);
      await eventually(() => replacement.store.current !== undefined, 20_000, 'the replacement applied the table');
      assert.deepEqual([...replacement.store.current!.table.routes], [...first.store.current!.table.routes]);
      assert.equal(replacement.store.current!.table.version, first.store.current!.table.version);
      assert.deepEqual(replacement.sizes, first.sizes);
    });

    test('a piece left unacknowledged reports the worker stalled once; acknowledged pieces never do', async () => {
      const table = bigTable(3, 1);
      const posted: ToWorker[] = [];
      let stalls = 0;
      const silent = new TableDelivery((message) => posted.push(message), { ackTimeoutMs: 50, onStalled: () => stalls++ });
      silent.start(new TableHandover(1, table));
      // A worker not yet heard from is still starting: its first piece is not timed until it speaks.
      await new Promise((resolve) => setTimeout(resolve, 150));
      assert.equal(stalls, 0, 'a worker still starting is not stalled');
      silent.alive();
      await eventually(() => stalls === 1, 10_000, 'the stall reported');
      assert.equal(posted.length, 1, 'nothing more is sent to a worker that did not take the last piece in');
      await new Promise((resolve) => setTimeout(resolve, 150));
      assert.equal(stalls, 1, 'one report per unacknowledged piece');
      silent.reset();

      let answeredStalls = 0;
      // A generous timeout: acknowledged on the next turn, a piece must never count as stalled, even on a loaded machine.
      const answering: TableDelivery = new TableDelivery((message) => {
        posted.push(message);
        setImmediate(() => answering.acknowledged());
      }, { ackTimeoutMs: 5_000, onStalled: () => answeredStalls++ });
      const before = posted.length;
      answering.start(new TableHandover(2, table));
      await eventually(() => posted.at(-1)?.type === 'table-end', 10_000, 'the whole table sent');
      await new Promise((resolve) => setTimeout(resolve, 150));
      assert.ok(posted.length - before >= 4, `${posted.length - before} messages`);
      assert.equal(answeredStalls, 0);
    });

    test('a favicon shared by many routes crosses once per transfer, and every route in the worker has it', async () => {
      const iconA = `data:image/png;base64,${Buffer.alloc(12 * 1024, 1).toString('base64')}`;
      const iconB = `data:image/png;base64,${Buffer.alloc(9 * 1024, 2).toString('base64')}`;
      const doc = bigDocument('big', 2_000, 4, () => ' icons') as { routes: { status: Record<string, unknown> }[] };
      doc.routes.forEach((route, i) => {
        if (i % 5 !== 4) route.status.favicon = i % 7 === 0 ? iconB : iconA;
      });
      const table = parseRoutingTable(doc);
      const wire = channel();
      wire.delivery.start(new TableHandover(1, table));
      await eventually(() => wire.store.current !== undefined, 30_000, 'the table applied');
      assert.deepEqual([...wire.store.current!.table.routes], table.routes);
      const sent = wire.sizes.reduce((a, b) => a + b, 0);
      // 1,600 routes with a 12–16 KiB icon each would be over 20 MiB; the two icons once are about 30 KiB.
      assert.ok(sent < 2 * 1024 * 1024, `${sent} bytes sent`);
      assert.ok(wire.store.current!.resolve('play8.example.com')?.status.favicon === iconA);
      assert.ok(wire.store.current!.resolve('play7.example.com')?.status.favicon === iconB);
      assert.equal(wire.store.current!.resolve('play4.example.com')?.status.favicon, undefined);
    });
  });
}
