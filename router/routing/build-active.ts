// The ActiveTable of a big table, built in slices: the route index and the list of adapter routes
// `new ActiveTable(table)` builds in one go, spread over short slices so the swap itself is O(1).

import { ActiveTable, usesAdapters } from './active-table.ts';
import { addToRouteIndex, emptyRouteIndex } from './resolve.ts';
import type { SliceClock } from './slices.ts';
import type { Route, RoutingTable } from '../table/types.ts';

export async function buildActiveTable(table: RoutingTable, clock: SliceClock): Promise<ActiveTable> {
  const index = emptyRouteIndex();
  const adapterRoutes: Route[] = [];
  for (const route of table.routes) {
    addToRouteIndex(index, route);
    if (usesAdapters(route)) adapterRoutes.push(route);
    await clock.tick();
  }
  return new ActiveTable(table, Date.now(), { index, adapterRoutes });
}
