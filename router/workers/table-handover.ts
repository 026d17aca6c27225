// The supervisor's side of handing a table to its workers (messages.ts, TableMessage). One
// TableHandover per table the supervisor swaps in: its messages are encoded once, when the first worker
// asks for them, and shared by every worker; each worker's TableDelivery walks them one acknowledged
// message at a time, so no worker ever has more than one piece waiting and the supervisor encodes at
// most one batch per acknowledgement (a millisecond or two on its loop).
//
// Trust: the supervisor verified the table (signature, id, version, expiry, schema) before it swapped it
// in; workers are the same program and take what it hands them without checking it again.
import { serialize } from 'node:v8';
import type { ActiveRoutingTable, TableHeader } from '../routing/active-table.ts';
import { ArrayRouteList, type RouteList } from '../routing/route-list.ts';
import type { Route, RoutingTable } from '../table/types.ts';
import { IPC_MESSAGE_MAX_BYTES, TABLE_ACK_TIMEOUT_MS } from './messages.ts';
import type { TableMessage, ToWorker } from './messages.ts';

/** The bytes of one piece: the bound of a message, less room for the message's own fields. */
export const PIECE_MAX_BYTES = IPC_MESSAGE_MAX_BYTES - 1024;
/** What a batch of routes aims at: half the bound, so an uneven batch rarely has to be encoded again. */
const BATCH_TARGET_BYTES = IPC_MESSAGE_MAX_BYTES / 2;
const FIRST_BATCH_ROUTES = 64;
const MAX_BATCH_ROUTES = 4_096;

export type { TableHeader };

/**
 * A batch of routes as it crosses: a favicon (a data URI of up to tens of KiB, usually one shared by
 * many routes) travels once per transfer, in the first batch that uses it, and routes name it by
 * number (`#<n>` in `status.favicon`, which a data URI never is). Serialized whole, a 100,000-route
 * table sharing one 10 KiB favicon would carry it 100,000 times, and each worker would keep every copy.
 */
export interface RouteBatch {
  /** Favicons this batch introduces; their numbers follow those of earlier batches of the transfer. */
  readonly favicons: readonly string[];
  readonly routes: readonly Route[];
}

export const FAVICON_REF_PREFIX = '#';

export class TableHandover {
  readonly transfer: number;
  readonly table: ActiveRoutingTable;
  /** Messages encoded so far; the first is always the begin. */
  private messages: TableMessage[];
  /** The next route to encode; -1 while the header is not encoded yet. */
  private nextRoute = -1;
  private ended = false;
  private batchRoutes = FIRST_BATCH_ROUTES;
  /** Favicons sent so far in this transfer's batches, by number. */
  private faviconIds = new Map<string, number>();

  constructor(transfer: number, table: ActiveRoutingTable | RoutingTable) {
    this.transfer = transfer;
    this.table = Array.isArray(table.routes) ? { ...table, routes: new ArrayRouteList(table.routes as readonly Route[]) } : (table as ActiveRoutingTable);
    this.messages = [this.begin()];
  }

  /** The i-th message of the transfer, encoded now if no worker asked for it before; undefined past the end. */
  message(i: number): TableMessage | undefined {
    while (i >= this.messages.length && !this.ended) this.encodeNext();
    return this.messages[i];
  }

  /** Forgets the encoded pieces once every worker holds the table; a worker started later has them encoded again. */
  release(): void {
    this.messages = [this.begin()];
    this.nextRoute = -1;
    this.ended = false;
    this.batchRoutes = FIRST_BATCH_ROUTES;
    this.faviconIds = new Map();
  }

  private begin(): TableMessage {
    return { type: 'table-begin', transfer: this.transfer, tableId: this.table.tableId, version: this.table.version, routes: this.table.routes.length };
  }

  private encodeNext(): void {
    const { routes } = this.table;
    if (this.nextRoute < 0) {
      const { routes: _, ...header } = this.table;
      this.pushBatch(serialize(header satisfies TableHeader));
      this.nextRoute = 0;
      return;
    }
    if (this.nextRoute >= routes.length) {
      this.messages.push({ type: 'table-end', transfer: this.transfer });
      this.ended = true;
      return;
    }
    const { bytes, count } = this.encodeRoutes(routes, this.nextRoute);
    this.pushBatch(bytes);
    this.nextRoute += count;
  }

  /** As many routes from `start` as fit the target: a batch over the bound is halved, unless it is one route. */
  private encodeRoutes(routes: RouteList, start: number): { bytes: Buffer; count: number } {
    let count = Math.min(this.batchRoutes, routes.length - start);
    let batch = this.batchOf(routes, start, count);
    let bytes = serialize(batch.wire);
    while (bytes.length > PIECE_MAX_BYTES && count > 1) {
      count = Math.ceil(count / 2);
      batch = this.batchOf(routes, start, count);
      bytes = serialize(batch.wire);
    }
    for (const [favicon, id] of batch.introduced) this.faviconIds.set(favicon, id);
    const perRoute = bytes.length / count;
    this.batchRoutes = Math.max(1, Math.min(MAX_BATCH_ROUTES, Math.floor(BATCH_TARGET_BYTES / perRoute)));
    return { bytes, count };
  }

  /** routes[start, start + count) with favicons by number; `introduced`: the numbers this batch gives (kept only for the batch sent). */
  private batchOf(routes: RouteList, start: number, count: number): { wire: RouteBatch; introduced: Map<string, number> } {
    const introduced = new Map<string, number>();
    const wire: Route[] = [];
    for (let i = start; i < start + count; i++) {
      // read, not at: a walk over the whole table keeps none of the routes it makes.
      const route = routes.read(i);
      const favicon = route.status.favicon;
      if (favicon === undefined) {
        wire.push(route);
        continue;
      }
      let id = this.faviconIds.get(favicon) ?? introduced.get(favicon);
      if (id === undefined) {
        id = this.faviconIds.size + introduced.size;
        introduced.set(favicon, id);
      }
      wire.push({ ...route, status: { ...route.status, favicon: `${FAVICON_REF_PREFIX}${id}` } });
    }
    // A Map keeps insertion order, and the numbers were given in that order.
    return { wire: { favicons: [...introduced.keys()], routes: wire }, introduced };
  }

  /** One batch as pieces of at most PIECE_MAX_BYTES: a single route bigger than that spans several. */
  private pushBatch(bytes: Buffer): void {
    for (let at = 0; at < bytes.length; at += PIECE_MAX_BYTES) {
      const end = Math.min(bytes.length, at + PIECE_MAX_BYTES);
      this.messages.push({ type: 'table-piece', transfer: this.transfer, bytes: bytes.subarray(at, end), endsBatch: end === bytes.length });
    }
  }
}

export interface DeliveryOptions {
  /** How long a message may wait for its acknowledgement (default TABLE_ACK_TIMEOUT_MS). */
  readonly ackTimeoutMs?: number;
  /** The worker did not acknowledge in time: the caller replaces it (and then calls reset). */
  readonly onStalled?: () => void;
}

/**
 * One worker's walk through the current handover: the next message goes out when the last one is
 * acknowledged, and a message not acknowledged within the timeout reports the worker stalled. The
 * timeout runs only once the worker is known to be alive (`alive()`, or its first acknowledgement): a
 * process still starting is not stalled (its start-up has a timeout of its own), however slowly its host
 * loads it.
 */
export class TableDelivery {
  private readonly post: (message: ToWorker) => void;
  private readonly ackTimeoutMs: number;
  private readonly onStalled: (() => void) | undefined;
  private handover: TableHandover | undefined;
  private next = 0;
  private inFlight = false;
  private ackTimer: NodeJS.Timeout | undefined;
  private isAlive = false;
  /** The transfer this worker last reported applied. */
  applied: number | undefined;

  constructor(post: (message: ToWorker) => void, opts: DeliveryOptions = {}) {
    this.post = post;
    this.ackTimeoutMs = opts.ackTimeoutMs ?? TABLE_ACK_TIMEOUT_MS;
    this.onStalled = opts.onStalled;
  }

  /** Hands `handover` over from its start; one in progress is abandoned at the message in flight. */
  start(handover: TableHandover): void {
    this.handover = handover;
    this.next = 0;
    if (!this.inFlight) this.sendNext();
  }

  acknowledged(): void {
    this.isAlive = true;
    this.inFlight = false;
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    this.sendNext();
  }

  /** The worker has spoken (any message): from now on a message left unacknowledged is timed. */
  alive(): void {
    if (this.isAlive) return;
    this.isAlive = true;
    if (this.inFlight && this.ackTimer === undefined) this.armTimer();
  }

  /** The worker is gone: its replacement starts from nothing. */
  reset(): void {
    clearTimeout(this.ackTimer);
    this.handover = undefined;
    this.next = 0;
    this.inFlight = false;
    this.isAlive = false;
    this.ackTimer = undefined;
    this.applied = undefined;
  }

  private sendNext(): void {
    const message = this.handover?.message(this.next);
    if (message === undefined) {
      this.handover = undefined;
      return;
    }
    this.next++;
    this.inFlight = true;
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    if (this.isAlive) this.armTimer();
    this.post(message);
  }

  private armTimer(): void {
    this.ackTimer = setTimeout(() => {
      this.ackTimer = undefined;
      this.onStalled?.();
    }, this.ackTimeoutMs);
    this.ackTimer.unref();
  }
}
