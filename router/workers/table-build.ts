// How a worker builds a table handed over by the supervisor (table-receiver.ts), batch by batch: on its
// event loop in slices (a small table), or in a worker thread (table-build-thread.ts) for a table of
// ASSEMBLE_OFF_THREAD_MIN_ROUTES routes or more, for the reason the poller builds big tables in one
// (router/routing/sources/chunked.ts): a status exchange waits for a slice at every turn of the loop.
import { deserialize } from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { ActiveTable, TableHeader } from '../routing/active-table.ts';
import { ActiveTableBuilder, activeTableFromParts } from '../routing/build-active.ts';
import { fromWire, type WireParts } from '../routing/parts-wire.ts';
import { SliceClock } from '../routing/slices.ts';
import { siblingModule } from '../module-url.ts';
import { BUILD_THREAD_HEAP_MB } from '../routing/sources/assemble-off-thread.ts';
import type { Route } from '../table/types.ts';
import { FAVICON_REF_PREFIX, type RouteBatch } from './table-handover.ts';

const BUILD_THREAD = siblingModule(import.meta.url, 'table-build-thread');

/** The routes of one transfer, added a batch at a time. */
export interface TableBuild {
  /** Routes added so far. */
  readonly length: number;
  /** Adds the routes of one v8-serialized RouteBatch; throws if the transfer is not whole. */
  addBatch(bytes: Uint8Array): Promise<void>;
  finish(header: TableHeader): Promise<ActiveTable>;
  /** Drops the build (a newer transfer began, or this one is broken). */
  abandon(): void;
}

/** What the thread is sent and answers (table-build-thread.ts). */
export type ToBuildThread = { readonly kind: 'batch'; readonly bytes: Uint8Array } | { readonly kind: 'end' };
export type FromBuildThread =
  | { readonly kind: 'taken'; readonly routes: number }
  | { readonly kind: 'built'; readonly parts: WireParts }
  | { readonly kind: 'failed'; readonly message: string };

/** Adds a batch's routes to `builder`, checking the transfer's bounds; `each` runs after every route (a slice's tick). */
export async function addRouteBatch(builder: ActiveTableBuilder, favicons: string[], bytes: Uint8Array, transfer: number, routeCount: number, each: () => Promise<void> | void): Promise<void> {
  const { favicons: introduced, routes } = deserialize(bytes) as RouteBatch;
  if (builder.length + routes.length > routeCount) throw new Error(`transfer ${transfer} carries more than the ${routeCount} routes it announced`);
  for (const favicon of introduced) favicons.push(favicon);
  for (const route of routes) {
    builder.add(withFavicon(route, favicons, transfer));
    await each();
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

/** On the event loop, in slices of `sliceBudgetMs`. */
export class LoopTableBuild implements TableBuild {
  private readonly builder = new ActiveTableBuilder();
  private readonly favicons: string[] = [];
  private readonly transfer: number;
  private readonly routeCount: number;
  private readonly sliceBudgetMs: number;

  constructor(transfer: number, routeCount: number, sliceBudgetMs: number) {
    this.transfer = transfer;
    this.routeCount = routeCount;
    this.sliceBudgetMs = sliceBudgetMs;
  }

  get length(): number {
    return this.builder.length;
  }

  async addBatch(bytes: Uint8Array): Promise<void> {
    const clock = new SliceClock(this.sliceBudgetMs);
    await addRouteBatch(this.builder, this.favicons, bytes, this.transfer, this.routeCount, () => clock.tick());
  }

  async finish(header: TableHeader): Promise<ActiveTable> {
    return this.builder.finish(header);
  }

  abandon(): void {}
}

/** In a worker thread started for the transfer; the loop only makes the routes with adapters and swaps. */
export class ThreadTableBuild implements TableBuild {
  private readonly worker: Worker;
  private readonly sliceBudgetMs: number;
  private count = 0;
  private waiting: { resolve: (reply: FromBuildThread) => void; reject: (err: Error) => void } | undefined;
  private failure: Error | undefined;

  constructor(transfer: number, routeCount: number, sliceBudgetMs: number) {
    this.sliceBudgetMs = sliceBudgetMs;
    this.worker = new Worker(BUILD_THREAD, { workerData: { transfer, routeCount }, resourceLimits: { maxOldGenerationSizeMb: BUILD_THREAD_HEAP_MB } });
    this.worker.on('message', (reply: FromBuildThread) => {
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting?.resolve(reply);
    });
    const fail = (err: Error): void => {
      this.failure ??= err;
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting?.reject(this.failure);
    };
    this.worker.on('error', (err) => fail(new Error(`table build thread failed: ${err.message}`, { cause: err })));
    this.worker.on('exit', (code) => fail(new Error(`table build thread exited with code ${code}`)));
  }

  get length(): number {
    return this.count;
  }

  async addBatch(bytes: Uint8Array): Promise<void> {
    const reply = await this.ask({ kind: 'batch', bytes });
    if (reply.kind !== 'taken') throw new Error(`table build thread answered ${reply.kind} to a batch`);
    this.count = reply.routes;
  }

  async finish(header: TableHeader): Promise<ActiveTable> {
    const reply = await this.ask({ kind: 'end' });
    if (reply.kind !== 'built') throw new Error(`table build thread answered ${reply.kind} to the end`);
    const parts = fromWire(reply.parts);
    return activeTableFromParts(header, parts, new SliceClock(this.sliceBudgetMs));
  }

  abandon(): void {
    void this.worker.terminate();
  }

  private async ask(message: ToBuildThread): Promise<FromBuildThread> {
    if (this.failure !== undefined) throw this.failure;
    const reply = await new Promise<FromBuildThread>((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.worker.postMessage(message);
    });
    if (reply.kind === 'failed') throw new Error(reply.message);
    return reply;
  }
}
