import { ActiveTable } from './active-table.ts';
import type { RoutingTable } from '../table/types.ts';

/** Holds the table new connections use. `swap` is a single reference assignment: atomic for readers. */
export class TableStore {
  private active: ActiveTable | undefined;
  private readonly listeners = new Set<(t: ActiveTable) => void>();

  get current(): ActiveTable | undefined {
    return this.active;
  }

  /** Takes a table, or an ActiveTable built beforehand (in slices, for a big table): then the swap is O(1). */
  swap(table: RoutingTable | ActiveTable): ActiveTable {
    const next = table instanceof ActiveTable ? table : new ActiveTable(table);
    this.active = next;
    for (const l of this.listeners) l(next);
    return next;
  }

  onSwap(listener: (t: ActiveTable) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
