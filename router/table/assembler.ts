// Builds a RoutingTable one route at a time, so a caller can spread a big table over many short slices
// (the router never blocks its event loop on one) and reuse the routes of chunks it already holds.
// The result and the problems are those parseRoutingTable gives for the whole document.

import { TableValidationError } from './errors.ts';
import { parseRouteDocument } from './schema.ts';
import { claimHost, claimId, Context, isPlainObject } from './schema-kit.ts';
import { SegmentedMap } from './segmented-map.ts';
import type { Route, RoutingTable } from './types.ts';

export class TableAssembler {
  private readonly ctx = new Context(true, 'remote');
  /** Route id → index of its first use: ids are unique across the table, whatever chunk they are in. */
  private readonly firstIndexById = new SegmentedMap<number>();
  private readonly routes: Route[] = [];
  private next = 0;

  get problems(): number {
    return this.ctx.problems.length;
  }

  /** Reads routes[n] (n = routes added so far) from its document; undefined when it has problems. */
  addDocument(raw: unknown): Route | undefined {
    const at = `routes[${this.next}]`;
    const id = isPlainObject(raw) ? raw.id : undefined;
    if (typeof id === 'string') claimId(this.firstIndexById, id, 'routes', this.next, this.ctx);
    this.next++;
    const route = parseRouteDocument(raw, at, this.ctx);
    if (route !== undefined) this.routes.push(route);
    return route;
  }

  /**
   * Adds a route parsed for an earlier table (an unchanged chunk): its own fields were valid then and
   * still are; only what spans routes, its id and its hosts, is checked again.
   */
  addParsed(route: Route): void {
    const at = `routes[${this.next}]`;
    claimId(this.firstIndexById, route.id, 'routes', this.next, this.ctx);
    route.hosts.forEach((host, j) => claimHost(host, `${at}.hosts[${j}]`, this.ctx));
    this.next++;
    this.routes.push(route);
  }

  /** The table: `header` (a validated table with no routes) with the routes added. Throws TableValidationError with every problem. */
  finish(header: RoutingTable): RoutingTable {
    if (this.ctx.problems.length > 0) throw new TableValidationError(this.ctx.problems);
    return { ...header, routes: this.routes };
  }
}
