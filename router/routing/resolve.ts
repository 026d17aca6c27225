import { SegmentedMap } from '../table/segmented-map.ts';
import type { Route, RoutingTable } from '../table/types.ts';

/**
 * Route lookup structures built once per table: exact hosts and wildcard suffixes in maps (segmented,
 * so a 100,000-route index never rehashes all its hosts in one step of a sliced apply).
 */
export interface RouteIndex {
  readonly exact: ReadonlyMap<string, Route>;
  /** `".example.com" → route` for `*.example.com`. A map, not a list: a 10,000-route table would make every handshake scan it. */
  readonly wildcards: ReadonlyMap<string, Route>;
  readonly fallback: Route | undefined;
}

export function indexRoutes(table: RoutingTable): RouteIndex {
  const index = emptyRouteIndex();
  for (const route of table.routes) addToRouteIndex(index, route);
  return index;
}

/** A RouteIndex under construction (the router builds big ones route by route, in slices). */
export interface MutableRouteIndex {
  readonly exact: SegmentedMap<Route>;
  readonly wildcards: SegmentedMap<Route>;
  fallback: Route | undefined;
}

export function emptyRouteIndex(): MutableRouteIndex {
  return { exact: new SegmentedMap(), wildcards: new SegmentedMap(), fallback: undefined };
}

/** Adds one route's hosts; the first route to claim a host keeps it. */
export function addToRouteIndex(index: MutableRouteIndex, route: Route): void {
  for (const host of route.hosts) {
    if (host === '*') index.fallback ??= route;
    else if (host.startsWith('*.')) {
      index.wildcards.claim(host.slice(1), route);
    } else index.exact.claim(host, route);
  }
}

/**
 * Finds the route for a normalized handshake host: an exact host beats a wildcard (`*.example.com`
 * matches any name below example.com, not example.com itself), and `*` is the last resort.
 */
export function resolveRoute(index: RouteIndex, host: string): Route | undefined {
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
