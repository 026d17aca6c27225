import type { Messages } from '../messages/messages.ts';
import type { RouteAdapterHook } from './adapter-hook.ts';
import type { Route, RoutingTable } from '../table/types.ts';
import { indexRoutes, resolveRoute } from './resolve.ts';
import type { RouteIndex } from './resolve.ts';
import { playersOf } from './strategies.ts';

/**
 * A table as connections use it: the route index and per-route numbers computed once at swap time.
 * Connections keep the ActiveTable they started with, so a swap never changes a login midway.
 */
export class ActiveTable {
  readonly table: RoutingTable;
  readonly index: RouteIndex;
  readonly loadedAt: number;
  private readonly online: Map<string, number> = new Map();
  /** Serialized status JSON per route and client protocol; bounded by routes × supported protocols. */
  readonly statusCache = new Map<string, string>();
  /** Set when the table is applied, before any connection sees it, if a route uses adapters. */
  adapters: RouteAdapterHook | undefined;

  /** `prebuilt`: the index and player counts, built beforehand in slices (buildActiveTable) for a big table. */
  constructor(table: RoutingTable, loadedAt = Date.now(), prebuilt?: { readonly index: RouteIndex; readonly online: Map<string, number> }) {
    this.table = table;
    this.loadedAt = loadedAt;
    if (prebuilt !== undefined) {
      this.index = prebuilt.index;
      this.online = prebuilt.online;
      return;
    }
    this.index = indexRoutes(table);
    for (const route of table.routes) this.online.set(route.id, routePlayers(route));
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

  /** Players on the route's targets, as their `players` meta reports them. */
  onlinePlayers(route: Route): number {
    const discovered = this.adapters?.targets(route);
    if (discovered !== undefined) return discovered.reduce((sum, t) => sum + playersOf(t), 0);
    return this.online.get(route.id) ?? 0;
  }
}

/** Players a route's targets report in their `players` meta. */
export function routePlayers(route: Route): number {
  return route.targets.reduce((sum, t) => sum + playersOf(t), 0);
}
