// Long work on the event loop in short slices: a caller calls tick() between small steps, and tick()
// yields to the loop (setImmediate: pending I/O, pings and logins, runs first) once the slice has used
// its budget. A 100,000-route table is then applied in hundreds of slices, none longer than a few ms.

import { setImmediate as nextTurn } from 'node:timers/promises';

/** Time on the loop per slice. The router's promise: no stall longer than 10 ms while a table is applied. */
export const DEFAULT_SLICE_BUDGET_MS = 4;

export class SliceClock {
  private readonly budgetMs: number;
  private readonly signal: AbortSignal | undefined;
  private started = performance.now();
  /** How many times the work gave the loop back. */
  yields = 0;
  /** The longest run between two yields (wall clock, so a GC pause inside a slice counts). */
  longestSliceMs = 0;

  constructor(budgetMs = DEFAULT_SLICE_BUDGET_MS, signal?: AbortSignal) {
    this.budgetMs = budgetMs;
    this.signal = signal;
  }

  /** Starts the first slice now (after awaited I/O, which is not time on the loop). */
  begin(): void {
    this.started = performance.now();
  }

  /** Yields if this slice is over budget; throws the signal's reason once it is aborted. */
  async tick(): Promise<void> {
    if (performance.now() - this.started < this.budgetMs) return;
    await this.yieldNow();
  }

  async yieldNow(): Promise<void> {
    this.longestSliceMs = Math.max(this.longestSliceMs, performance.now() - this.started);
    this.signal?.throwIfAborted();
    await nextTurn();
    this.yields++;
    this.signal?.throwIfAborted();
    this.started = performance.now();
  }
}
