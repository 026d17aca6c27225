// The ActiveTable of a big table, built in slices: the route index and player counts are what
// `new ActiveTable(table)` computes in one go, spread over short slices so the swap itself is O(1).

import { ActiveTable, routePlayers } from './active-table.ts';
import { addToRouteIndex, emptyRouteIndex } from './resolve.ts';
import type { SliceClock } from './slices.ts';
import type { RoutingTable } from '../table/types.ts';

export async function buildActiveTable(table: RoutingTable, clock: SliceClock): Promise<ActiveTable> {
  const index = emptyRouteIndex();
  const online = new Map<string, number>();
  for (const route of table.routes) {
    addToRouteIndex(index, route);
    online.set(route.id, routePlayers(route));
    await clock.tick();
  }
  return new ActiveTable(table, Date.now(), { index, online });
}
