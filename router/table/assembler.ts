// Reads a table one route at a time, so a caller can spread a big table over many short slices (the
// router never blocks its event loop on one) and reuse the routes of chunks it already holds. The
// caller keeps the routes (the router as bytes: router/routing/build-active.ts); the routes and the
// problems are those parseRoutingTable gives for the whole document.

import { TableValidationError } from './errors.ts';
import { parseRouteDocument } from './schema.ts';
import { claimHost, claimId, Context, isPlainObject } from './schema-kit.ts';
import { KeyTable } from './key-table.ts';
import type { Route } from './types.ts';

export class TableAssembler {
  /** No value pool: the caller keeps the routes as bytes, so nothing would share the pooled values. */
  private readonly ctx = new Context(true, 'remote', false);
  /** Route id → index of its first use: ids are unique across the table, whatever chunk they are in. */
  private readonly firstIndexById = new KeyTable();
  private next = 0;

  get problems(): number {
    return this.ctx.problems.length;
  }

  /** Reads routes[n] (n = routes added so far) from its document; undefined when it has problems. */
  addDocument(raw: unknown): Route | undefined {
    const at = `routes[${this.next}]`;
    const id = isPlainObject(raw) ? raw.id : undefined;
    if (typeof id === 'string') claimId(this.firstIndexById, id, 'routes', this.next, this.ctx);
    return parseRouteDocument(raw, at, this.next++, this.ctx);
  }

  /**
   * Adds a route parsed for an earlier table (an unchanged chunk): its own fields were valid then and
   * still are; only what spans routes, its id and its hosts, is checked again.
   */
  addParsed(route: Route): void {
    const at = `routes[${this.next}]`;
    claimId(this.firstIndexById, route.id, 'routes', this.next, this.ctx);
    this.ctx.route = this.next;
    route.hosts.forEach((host, j) => claimHost(host, `${at}.hosts[${j}]`, j, this.ctx));
    this.next++;
  }

  /** Throws TableValidationError with every problem of the routes added. */
  finish(): void {
    if (this.ctx.problems.length > 0) throw new TableValidationError(this.ctx.problems);
  }
}
