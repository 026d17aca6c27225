import { KeyTable, type KeyLookup } from '../table/key-table.ts';
import type { Route } from '../table/types.ts';

/**
 * Route lookup structures built once per table: exact hosts and wildcard suffixes in key tables
 * (key-table.ts: outside the V8 heap, and never a long rehash in one step of a sliced apply), each host
 * naming its route by position in the table (a number, so a big index holds no Route objects).
 */
export interface RouteIndex {
  readonly exact: KeyLookup;
  /** `".example.com" → route` for `*.example.com`. A table, not a list: a 10,000-route table would make every handshake scan it. */
  readonly wildcards: KeyLookup;
  readonly fallback: number | undefined;
}

export function indexRoutes(routes: Iterable<Route>): RouteIndex {
  const index = emptyRouteIndex();
  let i = 0;
  for (const route of routes) addToRouteIndex(index, route.hosts, i++);
  return index;
}

/** A RouteIndex under construction (the router builds big ones route by route, in slices). */
export interface MutableRouteIndex extends RouteIndex {
  readonly exact: KeyTable;
  readonly wildcards: KeyTable;
  fallback: number | undefined;
}

export function emptyRouteIndex(): MutableRouteIndex {
  return { exact: new KeyTable(), wildcards: new KeyTable(), fallback: undefined };
}

/** Adds the hosts of the route at `position`; the first route to claim a host keeps it. */
export function addToRouteIndex(index: MutableRouteIndex, hosts: readonly string[], position: number): void {
  for (const host of hosts) {
    if (host === '*') index.fallback ??= position;
    else if (host.startsWith('*.')) {
      index.wildcards.claim(host.slice(1), position);
    } else index.exact.claim(host, position);
  }
}

/**
 * Finds the route for a normalized handshake host (its position in the table): an exact host beats a
 * wildcard (`*.example.com` matches any name below example.com, not example.com itself), and `*` is
 * the last resort.
 */
export function resolveRoute(index: RouteIndex, host: string): number | undefined {
  const exact = index.exact.get(host);
  if (exact !== undefined) return exact;
  // Walk the host's label boundaries left to right: the first suffix found is the longest, i.e. the
  // most specific wildcard. Starting after position 0 keeps `*.example.com` from matching ".example.com".
  if (index.wildcards.size > 0) {
    for (let dot = host.indexOf('.', 1); dot !== -1; dot = host.indexOf('.', dot + 1)) {
      const route = index.wildcards.get(host.slice(dot));
      if (route !== undefined) return route;
    }
  }
  return index.fallback;
}
