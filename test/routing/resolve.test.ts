import { test } from 'node:test';
import assert from 'node:assert/strict';
import { indexRoutes, resolveRoute } from '../../router/routing/resolve.ts';
import type { Route, RoutingTable } from '../../router/table/types.ts';

function route(id: string, hosts: string[]): Route {
  return { id, hosts, mode: 'transfer', strategy: 'priority', status: { motd: '', maxPlayers: 0 }, targets: [] };
}

const table: RoutingTable = {
  tableId: 't',
  version: 1,
  routes: [
    route('fallback', ['*']),
    route('wild', ['*.example.com']),
    route('deep-wild', ['*.eu.example.com']),
    route('exact', ['play.example.com', 'example.com']),
    route('eu-lobby', ['lobby.eu.example.com']),
  ],
};

const CASES: [host: string, want: string | undefined][] = [
  ['play.example.com', 'exact'],
  ['example.com', 'exact'],
  ['other.example.com', 'wild'],
  ['a.b.example.com', 'wild'],
  ['x.eu.example.com', 'deep-wild'],
  ['lobby.eu.example.com', 'eu-lobby'],
  ['badexample.com', 'fallback'],
  ['unknown.net', 'fallback'],
  ['', 'fallback'],
];

test('route lookup: exact beats wildcard, the longest wildcard wins, `*` is the last resort', () => {
  const index = indexRoutes(table.routes);
  for (const [host, want] of CASES) assert.equal(table.routes[resolveRoute(index, host) ?? -1]?.id, want, host);
});

test('without a default route an unknown host has no route', () => {
  const index = indexRoutes(table.routes.filter((r) => r.id !== 'fallback'));
  assert.equal(resolveRoute(index, 'unknown.net'), undefined);
  assert.equal(resolveRoute(index, 'example.org'), undefined);
});
