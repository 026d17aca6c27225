// Long work on the event loop in short slices: a caller calls tick() between small steps, and tick()
// yields to the loop once the slice has used its budget. A 100,000-route table is then applied in
// hundreds of slices, none longer than a few ms.
//
// Between two slices the work rests for DEFAULT_SLICE_PAUSE_MS (a timer, not setImmediate). Pending
// I/O, pings and logins run in that rest either way; the rest also slows the apply's allocation to
// what V8's concurrent marker keeps up with. Yielding with setImmediate alone, a 100,000-route apply
// allocated so fast that major GCs had to finish their marking in the pause: 13–26 ms stalls
// (docs/BENCHMARKS.md, "Applying big tables").

import { setImmediate as nextTurn, setTimeout as rest } from 'node:timers/promises';

/** Time on the loop per slice. The router's promise: no stall longer than 10 ms while a table is applied. */
export const DEFAULT_SLICE_BUDGET_MS = 4;
/** Rest between two slices; 0 yields with setImmediate. */
export const DEFAULT_SLICE_PAUSE_MS = 2;

export class SliceClock {
  private readonly budgetMs: number;
  private readonly pauseMs: number;
  private readonly signal: AbortSignal | undefined;
  private started = performance.now();
  /** How many times the work gave the loop back. */
  yields = 0;
  /** The longest run between two yields (wall clock, so a GC pause inside a slice counts). */
  longestSliceMs = 0;

  /** `pauseMs` defaults to DEFAULT_SLICE_PAUSE_MS, or 0 with a budget of 0 (a test yielding after every step). */
  constructor(budgetMs = DEFAULT_SLICE_BUDGET_MS, signal?: AbortSignal, pauseMs = budgetMs > 0 ? DEFAULT_SLICE_PAUSE_MS : 0) {
    this.budgetMs = budgetMs;
    this.pauseMs = pauseMs;
    this.signal = signal;
  }

  /** Starts the first slice now (after awaited I/O, which is not time on the loop). */
  begin(): void {
    this.started = performance.now();
  }

  /**
   * Yields if this slice is over budget, or would be after `nextStepMs` more (a step known to be long,
   * such as decoding a chunk, starts a slice rather than ending one); throws the signal's reason once
   * it is aborted.
   */
  async tick(nextStepMs = 0): Promise<void> {
    if (performance.now() - this.started + nextStepMs < this.budgetMs) return;
    await this.yieldNow();
  }

  async yieldNow(): Promise<void> {
    this.longestSliceMs = Math.max(this.longestSliceMs, performance.now() - this.started);
    this.signal?.throwIfAborted();
    await (this.pauseMs > 0 ? rest(this.pauseMs) : nextTurn());
    this.yields++;
    this.signal?.throwIfAborted();
    this.started = performance.now();
  }
}
