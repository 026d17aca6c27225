import type { Messages } from '../messages/messages.ts';
import type { RouteAdapterHook } from './adapter-hook.ts';
import type { Route, RoutingTable, Target } from '../table/types.ts';
import { FifoCache } from './fifo-cache.ts';
import { indexRoutes, resolveRoute } from './resolve.ts';
import type { RouteIndex } from './resolve.ts';
import { ArrayRouteList, type RouteList } from './route-list.ts';
import { playersOf } from './strategies.ts';

/** A table without its routes: what every table, whole or chunked, says of itself. */
export type TableHeader = Omit<RoutingTable, 'routes'>;

/** A table as the router holds it: its routes in a RouteList (objects, or bytes for a big table). */
export interface ActiveRoutingTable extends TableHeader {
  readonly routes: RouteList;
}

/**
 * Status texts an ActiveTable keeps (two per route at most: with the client's protocol echoed or the
 * newest). Bounded: a client walking every host of a 100,000-route table with favicons would otherwise
 * make it hold 100,000 × 2 texts of tens of KiB each.
 */
export const STATUS_CACHE_ENTRIES = 4_096;

/**
 * A table as connections use it: the route index, computed once at swap time. Connections keep the
 * ActiveTable they started with, so a swap never changes a login midway.
 */
export class ActiveTable {
  readonly table: ActiveRoutingTable;
  readonly index: RouteIndex;
  /** The routes whose targets, status or choice come from adapters (usesAdapters): the swap visits only these. */
  readonly adapterRoutes: readonly Route[];
  readonly loadedAt: number;
  /** Serialized status JSON per route and whether the protocol is echoed. */
  readonly statusCache = new FifoCache<string, string>(STATUS_CACHE_ENTRIES);
  /** Set when the table is applied, before any connection sees it, if a route uses adapters. */
  adapters: RouteAdapterHook | undefined;

  /**
   * A table read whole keeps its routes as they are; `prebuilt`: the index and adapter routes of a
   * table built beforehand in slices (ActiveTableBuilder), whose routes are already a RouteList.
   */
  constructor(table: RoutingTable | ActiveRoutingTable, loadedAt = Date.now(), prebuilt?: { readonly index: RouteIndex; readonly adapterRoutes: readonly Route[] }) {
    const routes: RouteList = isRouteArray(table.routes) ? new ArrayRouteList(table.routes) : table.routes;
    this.table = { ...table, routes };
    this.loadedAt = loadedAt;
    this.index = prebuilt?.index ?? indexRoutes(routes);
    this.adapterRoutes = prebuilt?.adapterRoutes ?? [...routes].filter(usesAdapters);
  }

  private messagesForTable: Messages | undefined;

  /** The router's messages with this table's overrides and default locale on top. */
  messages(base: Messages): Messages {
    this.messagesForTable ??= base.withOverrides(this.table.messages, this.table.defaultLocale);
    return this.messagesForTable;
  }

  resolve(host: string): Route | undefined {
    const position = resolveRoute(this.index, host);
    return position === undefined ? undefined : this.table.routes.at(position);
  }

  /** The `*` route, if the table has one. */
  fallback(): Route | undefined {
    return this.index.fallback === undefined ? undefined : this.table.routes.at(this.index.fallback);
  }

  /**
   * Players on the route's targets, as their `players` meta reports them. Summed per call (a route has
   * a few targets): a map of every route's sum would cost a 100,000-route table 4 MB.
   */
  onlinePlayers(route: Route): number {
    return routePlayers(this.adapters?.targets(route) ?? route.targets);
  }
}

function isRouteArray(routes: readonly Route[] | RouteList): routes is readonly Route[] {
  return Array.isArray(routes);
}

/** Whether a route's targets, status or target choice come from an adapter (router/adapters/). */
export function usesAdapters(route: Route): boolean {
  return route.discovery !== undefined || route.statusAdapter !== undefined || route.strategyAdapter !== undefined;
}

/** Players the targets report in their `players` meta. */
function routePlayers(targets: readonly Target[]): number {
  let sum = 0;
  for (const t of targets) sum += playersOf(t);
  return sum;
}
