import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { indexRoutes, resolveRoute } from '../../router/routing/resolve.ts';
import type { Route, RoutingTable } from '../../router/table/types.ts';

/** The original definition: scan every wildcard, longest suffix first. */
function scanResolve(table: RoutingTable, host: string): string | undefined {
  for (const r of table.routes) if (r.hosts.includes(host)) return r.id;
  const wild = table.routes.flatMap((r) => r.hosts.filter((h) => h.startsWith('*.')).map((h) => [h.slice(1), r.id] as const));
  wild.sort((a, b) => b[0].length - a[0].length);
  for (const [suffix, id] of wild) if (host.length > suffix.length && host.endsWith(suffix)) return id;
  return table.routes.find((r) => r.hosts.includes('*'))?.id;
}

test('the wildcard map finds the same route as scanning every wildcard, longest suffix first', () => {
  const label = fc.constantFrom('a', 'b', 'mc', 'example', 'com', '');
  const name = fc.array(label, { minLength: 1, maxLength: 4 }).map((ls) => ls.join('.'));
  fc.assert(
    fc.property(fc.uniqueArray(name, { minLength: 1, maxLength: 8 }), fc.array(name, { minLength: 1, maxLength: 10 }), fc.boolean(), (hosts, probes, withDefault) => {
      const routes: Route[] = hosts.map((h, i) => ({
        id: `r${i}`,
        hosts: [i % 2 === 0 ? `*.${h}` : h],
        mode: 'transfer',
        strategy: 'priority',
        status: { motd: '', maxPlayers: 0 },
        targets: [],
      }));
      if (withDefault) routes.push({ id: 'default', hosts: ['*'], mode: 'transfer', strategy: 'priority', status: { motd: '', maxPlayers: 0 }, targets: [] });
      const table: RoutingTable = { tableId: 't', version: 1, routes };
      const index = indexRoutes(table.routes);
      for (const probe of probes) assert.equal(table.routes[resolveRoute(index, probe) ?? -1]?.id, scanResolve(table, probe), probe);
    }),
    { numRuns: 500 },
  );
});
