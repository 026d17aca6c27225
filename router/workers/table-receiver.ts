// The worker's side of a table handover (messages.ts, TableMessage; table-handover.ts). Each piece is
// taken in as it arrives; once a batch's last piece is here (at most PIECE_MAX_BYTES of routes) its
// routes are added to the builder the single-process poller uses (routes kept as bytes,
// build-active.ts), in a worker thread for a big table or on the loop in slices (table-build.ts),
// before the piece is acknowledged, so the supervisor sends the next one only then. The end swaps the table in, O(1). Until then the worker serves the table it holds;
// a newer transfer that begins abandons the one in progress, so no table mixes two versions.
//
// Trust: the supervisor verified the table before handing it over, and it is the same program; what
// is checked here is only that the transfer is whole (a mismatch is a bug, logged, and the table dropped).
import { deserialize } from 'node:v8';
import type { Logger } from 'pino';
import { DEFAULT_SLICE_BUDGET_MS } from '../routing/slices.ts';
import { ASSEMBLE_OFF_THREAD_MIN_ROUTES } from '../routing/sources/chunked.ts';
import type { TableStore } from '../routing/store.ts';
import type { TableMessage } from './messages.ts';
import { LoopTableBuild, ThreadTableBuild, type TableBuild } from './table-build.ts';
import { PIECE_MAX_BYTES } from './table-handover.ts';
import type { TableHeader } from './table-handover.ts';

export interface TableReceiverOptions {
  readonly store: TableStore;
  readonly log: Logger;
  /** Called once a message is taken in (the supervisor then sends the next). */
  readonly acknowledge: (transfer: number) => void;
  readonly applied: (transfer: number, version: number) => void;
  readonly sliceBudgetMs?: number;
  /** Tables of this many routes or more are built in a worker thread (default ASSEMBLE_OFF_THREAD_MIN_ROUTES; Infinity: never). */
  readonly offThreadMinRoutes?: number;
}

interface Incoming {
  readonly transfer: number;
  readonly tableId: string;
  readonly version: number;
  readonly routeCount: number;
  header: TableHeader | undefined;
  readonly build: TableBuild;
  /** Pieces of the batch not complete yet. */
  parts: Uint8Array[];
  partBytes: number;
}

export class TableReceiver {
  private readonly opts: TableReceiverOptions;
  private incoming: Incoming | undefined;
  /** Messages are taken one after another: the next waits for the one before (a batch is added in slices). */
  private queue: Promise<void> = Promise.resolve();
  private readonly firstApplied: Promise<void>;
  private resolveFirst!: () => void;

  constructor(opts: TableReceiverOptions) {
    this.opts = opts;
    this.firstApplied = new Promise((resolve) => (this.resolveFirst = resolve));
  }

  /** Resolves once the first table handed over is swapped in. */
  first(): Promise<void> {
    return this.firstApplied;
  }

  receive(message: TableMessage): void {
    this.queue = this.queue.then(async () => {
      try {
        await this.take(message);
      } catch (err) {
        this.opts.log.error({ err, transfer: message.transfer }, 'table handed over by the supervisor is not whole (a bug); keeping the table held');
        this.incoming?.build.abandon();
        this.incoming = undefined;
      }
      this.opts.acknowledge(message.transfer);
    });
  }

  private async take(message: TableMessage): Promise<void> {
    if (message.type === 'table-begin') {
      this.incoming?.build.abandon();
      const budget = this.opts.sliceBudgetMs ?? DEFAULT_SLICE_BUDGET_MS;
      const threaded = message.routes >= (this.opts.offThreadMinRoutes ?? ASSEMBLE_OFF_THREAD_MIN_ROUTES);
      const build = threaded ? new ThreadTableBuild(message.transfer, message.routes, budget) : new LoopTableBuild(message.transfer, message.routes, budget);
      this.incoming = { transfer: message.transfer, tableId: message.tableId, version: message.version, routeCount: message.routes, header: undefined, build, parts: [], partBytes: 0 };
      return;
    }
    const incoming = this.incoming;
    // A piece of a transfer a newer one replaced: already abandoned.
    if (incoming === undefined || incoming.transfer !== message.transfer) return;
    if (message.type === 'table-piece') return this.takePiece(incoming, message.bytes, message.endsBatch);
    const received = incoming.build.length;
    if (incoming.header === undefined || received !== incoming.routeCount || incoming.parts.length > 0) {
      throw new Error(`transfer ${incoming.transfer} ended with ${received} of ${incoming.routeCount} routes${incoming.header === undefined ? ' and no header' : ''}`);
    }
    const active = await incoming.build.finish(incoming.header);
    this.incoming = undefined;
    this.opts.store.swap(active);
    this.opts.applied(incoming.transfer, incoming.version);
    this.resolveFirst();
  }

  private async takePiece(incoming: Incoming, bytes: Uint8Array, endsBatch: boolean): Promise<void> {
    if (bytes.length > PIECE_MAX_BYTES) throw new Error(`a piece of ${bytes.length} bytes is over the bound of ${PIECE_MAX_BYTES}`);
    incoming.parts.push(bytes);
    incoming.partBytes += bytes.length;
    if (!endsBatch) return;
    const batch = incoming.parts.length === 1 ? incoming.parts[0]! : Buffer.concat(incoming.parts, incoming.partBytes);
    incoming.parts = [];
    incoming.partBytes = 0;
    if (incoming.header === undefined) {
      incoming.header = deserialize(batch) as TableHeader;
      return;
    }
    await incoming.build.addBatch(batch);
  }
}
