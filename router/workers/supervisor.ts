// `workers > 1`: this process is the instance's supervisor. It polls and verifies the routing table once
// for the instance, forks N worker processes that share the listening port (reusePort; the kernel spreads
// connections by 4-tuple), hands each the table over IPC in bounded pieces (table-handover.ts), serves the one admin endpoint (aggregated
// /metrics, /readyz over all workers, /status), replaces a worker that dies (counted), and on stop drains
// them all. It accepts no players itself.
import { PassageError } from '../errors.ts';
import { fork } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { PassageConfig } from '../config/schema.ts';
import { closeAdmin, listenAdmin } from '../admin/server.ts';
import { RouterMetrics } from '../metrics/registry.ts';
import { createTablePoller, startPolling } from '../routing/sources/from-config.ts';
import type { TablePoller } from '../routing/sources/poller.ts';
import type { TableSource } from '../routing/sources/source.ts';
import { TableStore } from '../routing/store.ts';
import { createSupervisorAdmin } from './admin.ts';
import { RESPAWN_MIN_DELAY_MS, WorkerSlot } from './slot.ts';
import { workerConfig } from './budget.ts';
import { supervisorMetrics, type RestartKind } from './supervisor-metrics.ts';
import { TableHandover } from './table-handover.ts';
import { siblingModule } from '../module-url.ts';
import { TABLE_ACK_TIMEOUT_MS, WORKER_START_TIMEOUT_MS } from './messages.ts';
import type { FromWorker, ToWorker } from './messages.ts';

export { RESPAWN_MIN_DELAY_MS, WorkerSlot };

const WORKER_ENTRY = siblingModule(import.meta.url, 'worker');
/** A worker that dies within this long of starting is crash-looping: its replacement waits longer. */
export const CRASH_LOOP_WINDOW_MS = 10_000;
export const RESPAWN_MAX_DELAY_MS = 10_000;
/** After the drain deadline, how long workers get to exit before they are killed. */
const EXIT_GRACE_MS = 5_000;

/** A worker that could not start. `failure`: what `passage` alone would have printed and exited with. */
export class WorkerStartError extends PassageError {
  readonly code: string;
  readonly failure: { exitCode: number; message: string } | undefined;
  constructor(message: string, code: string, failure?: { exitCode: number; message: string }) {
    super(message);
    this.name = 'WorkerStartError';
    this.code = code;
    this.failure = failure;
  }
}

export interface SupervisorOptions {
  readonly log: Logger;
  /** Override listen addresses (tests use port 0). */
  readonly listen?: { host: string; port: number };
  readonly adminListen?: { host: string; port: number };
  readonly tableSource?: TableSource;
  /** The program each worker runs (tests); router/workers/worker.ts by default. */
  readonly workerEntry?: URL;
  /** How long a table piece may wait for a worker's acknowledgement (tests; default TABLE_ACK_TIMEOUT_MS). */
  readonly tableAckTimeoutMs?: number;
}

export interface RunningSupervisor {
  readonly address: AddressInfo;
  readonly adminAddress: AddressInfo;
  readonly tables: TableStore;
  readonly poller: TablePoller;
  readonly slots: readonly WorkerSlot[];
  /** Drains every worker (they finish logins in flight until the deadline), then stops. Resolves with the connections cut. */
  stop(drainMs?: number): Promise<number>;
}

/** Learns the port for `port = 0`: every worker must bind the same one. Held until they all listen. */
async function reservePort(host: string, port: number): Promise<{ port: number; release: () => Promise<void> }> {
  if (port !== 0) return { port, release: async () => undefined };
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: 0, reusePort: true }, () => resolve());
  });
  return { port: (server.address() as AddressInfo).port, release: () => new Promise((r) => server.close(() => r())) };
}

export async function startSupervisor(config: PassageConfig, opts: SupervisorOptions): Promise<RunningSupervisor> {
  const { log } = opts;
  const n = config.workers;
  const tag = {};
  const tables = new TableStore();
  const stack = new AsyncDisposableStack();
  // A worker that stops taking its table in is stuck (its loop blocked): killed, then replaced like a crash.
  const stalled = (slot: WorkerSlot): void => {
    const child = slot.child;
    if (child === undefined || stopping) return;
    log.error({ worker: slot.index, pid: child.pid, timeoutMs: opts.tableAckTimeoutMs ?? TABLE_ACK_TIMEOUT_MS }, `worker ${slot.index} stopped taking the routing table in; killing it to replace it`);
    slot.killedForStall = true;
    child.kill('SIGKILL');
  };
  const slots = Array.from({ length: n }, (_, i) => new WorkerSlot(i, { onTableStalled: stalled, ...(opts.tableAckTimeoutMs === undefined ? {} : { tableAckTimeoutMs: opts.tableAckTimeoutMs }) }));
  let stopping = false;
  /** Every worker of the start-up listened: from here on a worker that ends is replaced. */
  let started = false;
  try {
    // The supervisor's own metrics: the table's (its poller is the instance's only one), its process, and the workers'.
    const metrics = stack.use(new RouterMetrics().attach(tag));
    const { workers: workersGauge, restarts } = supervisorMetrics(metrics.registry, n);

    const poller = stack.use(await createTablePoller(config.table, { store: tables, log, eventSource: tag, ...(opts.tableSource === undefined ? {} : { source: opts.tableSource }) }));
    // The table being handed over, numbered so a worker can tell a newer transfer from the one it abandons.
    let handover: TableHandover | undefined;
    tables.onSwap((active) => {
      handover = new TableHandover((handover?.transfer ?? 0) + 1, active.table);
      for (const slot of slots) slot.tables.start(handover);
    });
    const applied = (slot: WorkerSlot, transfer: number, version: number): void => {
      slot.tables.applied = transfer;
      log.debug({ worker: slot.index, version }, `worker ${slot.index} serves table version ${version}`);
      // Every worker holds it: the encoded pieces are not needed until a worker is replaced.
      if (handover?.transfer === transfer && slots.every((s) => s.child === undefined || s.tables.applied === transfer)) handover.release();
    };
    await startPolling(poller, config.table);

    const listen = opts.listen ?? config.address;
    const reserved = await reservePort(listen.host, listen.port);
    const listenAt = { host: listen.host, port: reserved.port };
    let address: AddressInfo | undefined;
    /** Connections the workers cut at the drain deadline, as they report them. */
    let cutTotal = 0;
    const countListening = (): void => workersGauge.set({ state: 'listening' }, slots.filter((s) => s.listening).length);

    /** Forks the worker of `slot`; resolves once it listens, rejects when it fails to start. */
    const spawn = (slot: WorkerSlot): Promise<void> => new Promise((resolve, reject) => {
      const child = fork(opts.workerEntry ?? WORKER_ENTRY, [], { serialization: 'advanced', execArgv: process.execArgv, stdio: 'inherit' });
      slot.child = child;
      slot.listening = false;
      slot.startedAt = Date.now();
      let settled = false;
      const settle = (err?: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(startTimer);
        if (err === undefined) resolve();
        else reject(err);
      };
      const startTimer = setTimeout(() => {
        settle(new WorkerStartError(`worker ${slot.index} did not start listening within ${WORKER_START_TIMEOUT_MS / 1000}s`, 'ERR_WORKER_START_TIMEOUT'));
        child.kill('SIGKILL');
      }, WORKER_START_TIMEOUT_MS);
      child.on('message', (message: FromWorker) => {
        slot.tables.alive();
        switch (message.type) {
          case 'listening':
            slot.listening = true;
            address ??= { address: message.address.address, port: message.address.port, family: message.address.address.includes(':') ? 'IPv6' : 'IPv4' };
            countListening();
            settle();
            return;
          case 'failed':
            settle(new WorkerStartError(message.failure?.message ?? message.message, 'ERR_WORKER_START', message.failure));
            return;
          case 'reply':
            slot.answered(message);
            return;
          case 'drained':
            cutTotal += message.cut;
            return;
          case 'table-ack':
            slot.tables.acknowledged();
            return;
          case 'table-applied':
            applied(slot, message.transfer, message.version);
            return;
        }
      });
      child.on('error', (err) => {
        log.error({ err, worker: slot.index }, 'worker process error');
        settle(err);
      });
      child.on('exit', (code, signal) => {
        const killedForStall = slot.killedForStall;
        slot.killedForStall = false;
        slot.forgetRequests();
        if (slot.child === child) {
          slot.tables.reset();
          slot.child = undefined;
          slot.listening = false;
          countListening();
        }
        if (!settled) settle(new WorkerStartError(`worker ${slot.index} exited before listening (${signal ?? `code ${code}`})`, 'ERR_WORKER_EXITED'));
        // At start-up a worker that fails fails the start; after it, a replacement that dies before it
        // listens is replaced in turn (with the crash-loop back-off), so the instance never stays a worker short.
        if (stopping || !started) return;
        // Replaced, counted, and logged; a worker that dies again soon after starting waits longer each time.
        const how: RestartKind = killedForStall ? 'table_stalled' : signal === null ? 'exit' : 'signal';
        restarts.inc({ how });
        const quick = Date.now() - slot.startedAt < CRASH_LOOP_WINDOW_MS;
        slot.restartDelayMs = quick ? Math.min(slot.restartDelayMs * 2, RESPAWN_MAX_DELAY_MS) : RESPAWN_MIN_DELAY_MS;
        log.error({ worker: slot.index, pid: child.pid, code, signal, restartInMs: slot.restartDelayMs }, `worker ${slot.index} ended unexpectedly; replacing it`);
        slot.respawnTimer = setTimeout(() => {
          slot.respawnTimer = undefined;
          if (stopping) return;
          spawn(slot).catch((err: unknown) => log.error({ err, worker: slot.index }, `replacement for worker ${slot.index} failed to start`));
        }, slot.restartDelayMs);
      });
      slot.tables.reset();
      child.send({ type: 'init', index: slot.index, config: workerConfig(config, slot.index), listen: listenAt, tableFollows: handover !== undefined } satisfies ToWorker);
      // The worker listens once it holds the table: the first it is handed, or a newer one that replaces it mid-way.
      if (handover !== undefined) slot.tables.start(handover);
    });

    const drainWorkers = async (drainMs: number): Promise<void> => {
      stopping = true;
      for (const slot of slots) clearTimeout(slot.respawnTimer);
      const exits = slots.map((slot) => {
        const child = slot.child;
        if (child === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
        return new Promise<void>((resolve) => {
          const kill = setTimeout(() => child.kill('SIGKILL'), drainMs + EXIT_GRACE_MS);
          child.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          slot.post({ type: 'drain', drainMs });
        });
      });
      await Promise.all(exits);
    };
    let drainMs = 0;
    // Workers are stopped before the admin server closes (so /readyz says 503 while they drain), and
    // after the poller, so no table arrives half-way through.
    const admin = createSupervisorAdmin({ config, slots, tables, metrics, poller, draining: () => stopping });
    stack.defer(() => closeAdmin(admin));
    stack.defer(() => drainWorkers(drainMs));
    // The poller was registered first, so move it last in the stack: stopped before the drain.
    stack.defer(() => poller.stop());

    try {
      await Promise.all(slots.map((slot) => spawn(slot)));
      started = true;
    } finally {
      await reserved.release();
    }
    const adminListen = opts.adminListen ?? config.admin.address;
    const adminAddress = await listenAdmin(admin, adminListen.host, adminListen.port);
    const running = stack.move();
    return {
      address: address!,
      adminAddress,
      tables,
      poller,
      slots,
      async stop(ms?: number): Promise<number> {
        drainMs = ms ?? config.drainTimeoutMs;
        await running.disposeAsync();
        return cutTotal;
      },
    };
  } catch (err) {
    stopping = true;
    for (const slot of slots) {
      clearTimeout(slot.respawnTimer);
      slot.child?.kill('SIGKILL');
    }
    await stack.disposeAsync().catch((cleanup: unknown) => log.warn({ err: cleanup }, 'cleaning up after a failed start failed'));
    throw err;
  }
}
