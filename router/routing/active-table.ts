import type { Messages } from '../messages/messages.ts';
import type { RouteAdapterHook } from './adapter-hook.ts';
import type { Route, RoutingTable, Target } from '../table/types.ts';
import { indexRoutes, resolveRoute } from './resolve.ts';
import type { RouteIndex } from './resolve.ts';
import { playersOf } from './strategies.ts';

/**
 * A table as connections use it: the route index, computed once at swap time. Connections keep the
 * ActiveTable they started with, so a swap never changes a login midway.
 */
export class ActiveTable {
  readonly table: RoutingTable;
  readonly index: RouteIndex;
  /** The routes whose targets, status or choice come from adapters (usesAdapters): the swap visits only these. */
  readonly adapterRoutes: readonly Route[];
  readonly loadedAt: number;
  /** Serialized status JSON per route and client protocol; bounded by routes × supported protocols. */
  readonly statusCache = new Map<string, string>();
  /** Set when the table is applied, before any connection sees it, if a route uses adapters. */
  adapters: RouteAdapterHook | undefined;

  /** `prebuilt`: the index and adapter routes, built beforehand in slices (buildActiveTable) for a big table. */
  constructor(table: RoutingTable, loadedAt = Date.now(), prebuilt?: { readonly index: RouteIndex; readonly adapterRoutes: readonly Route[] }) {
    this.table = table;
    this.loadedAt = loadedAt;
    this.index = prebuilt?.index ?? indexRoutes(table);
    this.adapterRoutes = prebuilt?.adapterRoutes ?? table.routes.filter(usesAdapters);
  }

  private messagesForTable: Messages | undefined;

  /** The router's messages with this table's overrides and default locale on top. */
  messages(base: Messages): Messages {
    this.messagesForTable ??= base.withOverrides(this.table.messages, this.table.defaultLocale);
    return this.messagesForTable;
  }

  resolve(host: string): Route | undefined {
    return resolveRoute(this.index, host);
  }

  /**
   * Players on the route's targets, as their `players` meta reports them. Summed per call (a route has
   * a few targets): a map of every route's sum would cost a 100,000-route table 4 MB.
   */
  onlinePlayers(route: Route): number {
    return routePlayers(this.adapters?.targets(route) ?? route.targets);
  }
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
