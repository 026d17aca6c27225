import type { Route, RoutingTable } from '../table/types.ts';

/** Route lookup structures built once per table: exact hosts in a map, wildcards longest suffix first. */
export interface RouteIndex {
  readonly exact: ReadonlyMap<string, Route>;
  /** `[".example.com", route]`, longest suffix first, so the most specific wildcard wins. */
  readonly wildcards: readonly (readonly [string, Route])[];
  readonly fallback: Route | undefined;
}

export function indexRoutes(table: RoutingTable): RouteIndex {
  const exact = new Map<string, Route>();
  const wildcards: [string, Route][] = [];
  let fallback: Route | undefined;
  for (const route of table.routes) {
    for (const host of route.hosts) {
      if (host === '*') fallback ??= route;
      else if (host.startsWith('*.')) wildcards.push([host.slice(1), route]);
      else if (!exact.has(host)) exact.set(host, route);
    }
  }
  wildcards.sort((a, b) => b[0].length - a[0].length);
  return { exact, wildcards, fallback };
}

/**
 * Finds the route for a normalized handshake host: an exact host beats a wildcard (`*.example.com`
 * matches any name below example.com, not example.com itself), and `*` is the last resort.
 */
export function resolveRoute(index: RouteIndex, host: string): Route | undefined {
  const exact = index.exact.get(host);
  if (exact !== undefined) return exact;
  for (const [suffix, route] of index.wildcards) {
    if (host.length > suffix.length && host.endsWith(suffix)) return route;
  }
  return index.fallback;
}
