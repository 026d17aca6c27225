import { ActiveTable } from './active-table.ts';
import type { RoutingTable } from '../table/types.ts';

/** Holds the table new connections use. `swap` is a single reference assignment: atomic for readers. */
export class TableStore {
  private active: ActiveTable | undefined;
  private readonly listeners = new Set<(t: ActiveTable) => void>();

  get current(): ActiveTable | undefined {
    return this.active;
  }

  swap(table: RoutingTable): ActiveTable {
    const next = new ActiveTable(table);
    this.active = next;
    for (const l of this.listeners) l(next);
    return next;
  }

  onSwap(listener: (t: ActiveTable) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
