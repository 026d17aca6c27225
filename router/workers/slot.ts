// One of the N places a worker runs in, as the supervisor and its admin endpoint see it: the child
// process, whether it listens, its respawn back-off, the requests it has not answered yet, and where it
// is in the handover of the current table.
import type { ChildProcess } from 'node:child_process';
import { WORKER_REPLY_TIMEOUT_MS } from './messages.ts';
import type { FromWorker, ToWorker, WorkerMetrics, WorkerStatus } from './messages.ts';
import { TableDelivery } from './table-handover.ts';

export const RESPAWN_MIN_DELAY_MS = 100;

interface Pending {
  readonly resolve: (reply: Extract<FromWorker, { type: 'reply' }> | undefined) => void;
  readonly timer: NodeJS.Timeout;
}

/** A replacement takes the same index. */
export class WorkerSlot {
  readonly index: number;
  child: ChildProcess | undefined;
  listening = false;
  startedAt = 0;
  restartDelayMs = RESPAWN_MIN_DELAY_MS;
  respawnTimer: NodeJS.Timeout | undefined;
  readonly tables: TableDelivery;
  /** Set when the supervisor killed this worker for not taking its table in: its exit is counted so. */
  killedForStall = false;
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();

  /** `onTableStalled`: the worker left a table piece unacknowledged for `tableAckTimeoutMs`. */
  constructor(index: number, opts: { tableAckTimeoutMs?: number; onTableStalled?: (slot: WorkerSlot) => void } = {}) {
    this.index = index;
    this.tables = new TableDelivery((message) => this.post(message), {
      ...(opts.tableAckTimeoutMs === undefined ? {} : { ackTimeoutMs: opts.tableAckTimeoutMs }),
      onStalled: () => opts.onTableStalled?.(this),
    });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  post(message: ToWorker): void {
    const child = this.child;
    // A worker that just died may still be here until its 'exit': what it misses, its replacement gets in init.
    if (child === undefined || !child.connected) return;
    child.send(message, undefined, {}, () => undefined);
  }

  /** Asks the worker; undefined when it does not answer within WORKER_REPLY_TIMEOUT_MS (stopped, busy or gone). */
  ask(what: 'metrics' | 'status'): Promise<Extract<FromWorker, { type: 'reply' }> | undefined> {
    if (this.child === undefined || !this.child.connected || !this.listening) return Promise.resolve(undefined);
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(undefined);
      }, WORKER_REPLY_TIMEOUT_MS);
      this.pending.set(id, { resolve, timer });
      this.post({ type: 'request', id, what });
    });
  }

  answered(reply: Extract<FromWorker, { type: 'reply' }>): void {
    const pending = this.pending.get(reply.id);
    if (pending === undefined) return;
    this.pending.delete(reply.id);
    clearTimeout(pending.timer);
    pending.resolve(reply);
  }

  forgetRequests(): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.resolve(undefined);
    }
    this.pending.clear();
  }
}

/** The workers' answers, in slot order; undefined for a worker that did not answer. */
export async function askAll(slots: readonly WorkerSlot[], what: 'status'): Promise<(WorkerStatus | undefined)[]>;
export async function askAll(slots: readonly WorkerSlot[], what: 'metrics'): Promise<(WorkerMetrics | undefined)[]>;
export async function askAll(slots: readonly WorkerSlot[], what: 'metrics' | 'status'): Promise<unknown[]> {
  const replies = await Promise.all(slots.map((s) => s.ask(what)));
  return replies.map((r) => (what === 'status' ? r?.status : r?.metrics));
}
