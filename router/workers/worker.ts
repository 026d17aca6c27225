// One worker process of an instance with `workers > 1`, forked by the supervisor (supervisor.ts). It runs
// the router as `passage` alone would, on the port it shares (reusePort), with two differences: its
// table comes from the supervisor (which polls once for the instance), handed over in pieces and built
// in slices (table-receiver.ts), and its admin server listens on a loopback port of its own (the
// instance's /metrics, /readyz and /status are the supervisor's).
import { counterTotals } from '../admin/server.ts';
import { createLogger, startPassage } from '../app.ts';
import type { RunningPassage } from '../app.ts';
import { startupFailure } from '../exit-codes.ts';
import type { TableSource } from '../routing/sources/source.ts';
import { TableStore } from '../routing/store.ts';
import type { FromWorker, ToWorker, WorkerInit, WorkerStatus } from './messages.ts';
import { TableReceiver } from './table-receiver.ts';

/** Tables arrive over IPC, so the worker's own poller has nothing to fetch. */
const SUPERVISOR_SOURCE: TableSource = {
  description: 'supervisor (the instance polls once for all workers)',
  fetch: async () => ({ kind: 'not_modified' }),
};

function send(message: FromWorker): void {
  // The channel closes when the supervisor is gone; the 'disconnect' handler below stops this worker then.
  if (process.connected) process.send!(message, undefined, {}, () => undefined);
}

async function run(init: WorkerInit): Promise<void> {
  const { config } = init;
  const log = createLogger(config).child({ worker: init.index });
  const tables = new TableStore();
  const receiver = new TableReceiver({
    store: tables,
    log,
    acknowledge: (transfer) => send({ type: 'table-ack', transfer }),
    applied: (transfer, version) => send({ type: 'table-applied', transfer, version }),
  });
  /** What arrives before the worker listens: the table, or a drain (then there is nothing to finish). */
  const beforeStart = (message: ToWorker): void => {
    if (message.type === 'table-begin' || message.type === 'table-piece' || message.type === 'table-end') receiver.receive(message);
    else if (message.type === 'drain') {
      send({ type: 'drained', cut: 0 });
      process.exit(0);
    }
  };
  process.on('message', beforeStart);
  // Listening without the table would turn players away that another worker serves.
  if (init.tableFollows) await receiver.first();
  let running: RunningPassage;
  try {
    running = await startPassage(config, {
      log,
      tables,
      tableSource: SUPERVISOR_SOURCE,
      listen: { ...init.listen, reusePort: true },
      adminListen: { host: '127.0.0.1', port: 0 },
    });
  } catch (err) {
    send({ type: 'failed', message: (err as Error).stack ?? String(err), failure: startupFailure(err) });
    process.exitCode = 1;
    process.disconnect?.();
    return;
  }
  const { router, metrics } = running;
  let stopping: Promise<void> | undefined;
  const stop = (drainMs: number): Promise<void> => {
    stopping ??= running.stop(drainMs).then((cut) => {
      send({ type: 'drained', cut });
      process.exit(0);
    });
    return stopping;
  };
  const status = async (): Promise<WorkerStatus> => ({
    ready: !router.draining && tables.current !== undefined,
    draining: router.draining,
    activeConnections: router.activeConnections,
    tableVersion: tables.current?.table.version ?? null,
    counters: await counterTotals(metrics),
    protocols: router.ctx.newerProtocols.status(),
  });
  process.off('message', beforeStart);
  process.on('message', (message: ToWorker) => {
    switch (message.type) {
      case 'table-begin':
      case 'table-piece':
      case 'table-end':
        receiver.receive(message);
        return;
      case 'drain':
        void stop(message.drainMs);
        return;
      case 'request':
        if (message.what === 'status') void status().then((s) => send({ type: 'reply', id: message.id, status: s }));
        else void metrics.registry.getMetricsAsJSON().then((m) => send({ type: 'reply', id: message.id, metrics: m }));
        return;
      case 'init':
        return;
    }
  });
  // The supervisor drains its workers itself; a signal sent to the whole process group (Ctrl-C) or a
  // supervisor that died must not leave a worker behind or cut its players short.
  process.on('SIGTERM', () => void stop(config.drainTimeoutMs));
  process.on('SIGINT', () => void stop(config.drainTimeoutMs));
  process.on('disconnect', () => void stop(config.drainTimeoutMs));
  send({ type: 'listening', address: running.address, admin: running.adminAddress });
}

if (process.send === undefined) {
  process.stderr.write('passage: router/workers/worker.ts is started by the passage supervisor (workers > 1), not by hand\n');
  process.exit(2);
}
process.once('message', (message: ToWorker) => {
  if (message.type !== 'init') return;
  run(message).catch((err: unknown) => {
    process.stderr.write(`passage worker: unexpected failure\n${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
});
