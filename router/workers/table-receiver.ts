// The worker's side of a table handover (messages.ts, TableMessage; table-handover.ts). Each piece is
// taken in as it arrives; a batch is decoded once its last piece is here (at most PIECE_MAX_BYTES of
// routes, a few ms) and its routes are added, in slices, to the builder the single-process poller uses
// (routes kept as bytes, build-active.ts) before the piece is acknowledged, so the supervisor sends the
// next one only then. The end swaps the table in, O(1). Until then the worker serves the table it holds;
// a newer transfer that begins abandons the one in progress, so no table mixes two versions.
//
// Trust: the supervisor verified the table before handing it over, and it is the same program; what
// is checked here is only that the transfer is whole (a mismatch is a bug, logged, and the table dropped).
import { deserialize } from 'node:v8';
import type { Logger } from 'pino';
import { ActiveTableBuilder } from '../routing/build-active.ts';
import { DEFAULT_SLICE_BUDGET_MS, SliceClock } from '../routing/slices.ts';
import type { TableStore } from '../routing/store.ts';
import type { Route } from '../table/types.ts';
import type { TableMessage } from './messages.ts';
import { FAVICON_REF_PREFIX, PIECE_MAX_BYTES } from './table-handover.ts';
import type { RouteBatch, TableHeader } from './table-handover.ts';

export interface TableReceiverOptions {
  readonly store: TableStore;
  readonly log: Logger;
  /** Called once a message is taken in (the supervisor then sends the next). */
  readonly acknowledge: (transfer: number) => void;
  readonly applied: (transfer: number, version: number) => void;
  readonly sliceBudgetMs?: number;
}

interface Incoming {
  readonly transfer: number;
  readonly tableId: string;
  readonly version: number;
  readonly routeCount: number;
  header: TableHeader | undefined;
  readonly builder: ActiveTableBuilder;
  /** The transfer's favicons by number (RouteBatch). */
  readonly favicons: string[];
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
        this.incoming = undefined;
      }
      this.opts.acknowledge(message.transfer);
    });
  }

  private async take(message: TableMessage): Promise<void> {
    if (message.type === 'table-begin') {
      this.incoming = { transfer: message.transfer, tableId: message.tableId, version: message.version, routeCount: message.routes, header: undefined, builder: new ActiveTableBuilder(), favicons: [], parts: [], partBytes: 0 };
      return;
    }
    const incoming = this.incoming;
    // A piece of a transfer a newer one replaced: already abandoned.
    if (incoming === undefined || incoming.transfer !== message.transfer) return;
    if (message.type === 'table-piece') return this.takePiece(incoming, message.bytes, message.endsBatch);
    this.incoming = undefined;
    const received = incoming.builder.length;
    if (incoming.header === undefined || received !== incoming.routeCount || incoming.parts.length > 0) {
      throw new Error(`transfer ${incoming.transfer} ended with ${received} of ${incoming.routeCount} routes${incoming.header === undefined ? ' and no header' : ''}`);
    }
    this.opts.store.swap(incoming.builder.finish(incoming.header));
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
    const value: unknown = deserialize(batch);
    if (incoming.header === undefined) {
      incoming.header = value as TableHeader;
      return;
    }
    const { favicons, routes } = value as RouteBatch;
    if (incoming.builder.length + routes.length > incoming.routeCount) throw new Error(`transfer ${incoming.transfer} carries more than the ${incoming.routeCount} routes it announced`);
    for (const favicon of favicons) incoming.favicons.push(favicon);
    const clock = new SliceClock(this.opts.sliceBudgetMs ?? DEFAULT_SLICE_BUDGET_MS);
    for (const route of routes) {
      incoming.builder.add(withFavicon(route, incoming.favicons, incoming.transfer));
      await clock.tick();
    }
  }
}

/** The route with its favicon number replaced by the favicon (one string shared by every route that names it). */
function withFavicon(route: Route, favicons: readonly string[], transfer: number): Route {
  const ref = route.status.favicon;
  if (ref === undefined) return route;
  const favicon = ref.startsWith(FAVICON_REF_PREFIX) ? favicons[Number(ref.slice(FAVICON_REF_PREFIX.length))] : undefined;
  if (favicon === undefined) throw new Error(`transfer ${transfer}: route ${route.id} names favicon ${JSON.stringify(ref.slice(0, 16))}, which no batch before it brought`);
  return { ...route, status: { ...route.status, favicon } };
}
