// Drives exchanges against a server for a fixed time and measures them. Two modes:
//  - closed loop: a fixed number in flight, a new one starts when one ends (finds the peak rate);
//  - open loop: arrivals at a fixed rate whatever the server does, latency counted from the intended
//    start, so a stall shows up in the percentiles instead of slowing the generator down.
import { performance } from 'node:perf_hooks';
import type { ExchangeDone, ExchangeHandle } from './client.ts';

/** An exchange that has not finished after this long is cut and counted as an error. */
export const EXCHANGE_DEADLINE_MS = 5000;
/** How often stuck exchanges are looked for. */
const SWEEP_INTERVAL_MS = 250;
/** After the measured window, exchanges still running get this long to end before the next run. */
const SETTLE_MS = 300;

export type StartExchange = (done: ExchangeDone) => ExchangeHandle;

export interface Window {
  readonly warmupMs: number;
  readonly durationMs: number;
  /** Called when the measured window opens and closes (e.g. to read the server's CPU time). */
  readonly onMeasureStart?: () => void;
  readonly onMeasureEnd?: () => void;
  /** Return every measured latency (`LoadResult.latencies`), e.g. to pool the percentiles of several windows. */
  readonly keepLatencies?: boolean;
}

export interface LoadResult {
  /** Exchanges completed inside the measured window. */
  readonly completed: number;
  readonly errors: number;
  readonly firstError: string | undefined;
  readonly seconds: number;
  /** Completed exchanges per second. */
  readonly rate: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** The load generator's own CPU per exchange (user + system), to tell when it is the bottleneck. */
  readonly clientCpuUsPerExchange: number;
  /** Open loop only: the arrival rate asked for, and arrivals skipped because too many were in flight. */
  readonly offeredRate?: number;
  readonly skipped?: number;
  /** Every measured latency in ms, in completion order (only with `keepLatencies`). */
  readonly latencies?: Float64Array;
}

class Latencies {
  private values = new Float64Array(1 << 16);
  private n = 0;

  add(ms: number): void {
    if (this.n === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.n++] = ms;
  }

  get count(): number {
    return this.n;
  }

  /** A copy of the values recorded so far. */
  all(): Float64Array {
    return this.values.slice(0, this.n);
  }

  percentiles(): { p50: number; p99: number; max: number } {
    if (this.n === 0) return { p50: NaN, p99: NaN, max: NaN };
    const sorted = this.values.slice(0, this.n).sort();
    const at = (q: number): number => sorted[Math.min(this.n - 1, Math.ceil(q * this.n) - 1)];
    return { p50: at(0.5), p99: at(0.99), max: sorted[this.n - 1] };
  }
}

interface InFlight {
  readonly startedAt: number;
  handle: ExchangeHandle | undefined;
}

/** Bookkeeping shared by both modes: what is in flight, what counts, when the window is open. */
class Run {
  readonly latencies = new Latencies();
  readonly inFlight = new Set<InFlight>();
  errors = 0;
  firstError: string | undefined;
  measureFrom = Infinity;
  measureTo = Infinity;
  cpuFrom: NodeJS.CpuUsage | undefined;
  cpuUsed: NodeJS.CpuUsage | undefined;
  stopping = false;
  private readonly start: StartExchange;

  constructor(start: StartExchange) {
    this.start = start;
  }

  /** Starts one exchange; `from` is when it should have started (open loop) or now (closed loop). */
  launch(from: number, then: () => void): void {
    const entry: InFlight = { startedAt: from, handle: undefined };
    this.inFlight.add(entry);
    entry.handle = this.start((err) => {
      if (!this.inFlight.delete(entry)) return;
      const now = performance.now();
      if (now >= this.measureFrom && now < this.measureTo) {
        if (err === undefined) this.latencies.add(now - from);
        else {
          this.errors++;
          this.firstError ??= err.message;
        }
      }
      if (!this.stopping) then();
    });
  }

  sweep(): void {
    const now = performance.now();
    for (const entry of this.inFlight) {
      if (now - entry.startedAt > EXCHANGE_DEADLINE_MS) entry.handle?.abort(`no answer within ${EXCHANGE_DEADLINE_MS} ms`);
    }
  }

  async settle(): Promise<void> {
    const until = performance.now() + EXCHANGE_DEADLINE_MS;
    while (this.inFlight.size > 0 && performance.now() < until) await sleep(20);
    for (const entry of this.inFlight) entry.handle?.abort('benchmark over');
    this.inFlight.clear();
    await sleep(SETTLE_MS);
  }

  result(seconds: number, window: Window, extra: { offeredRate?: number; skipped?: number } = {}): LoadResult {
    const { p50, p99, max } = this.latencies.percentiles();
    const completed = this.latencies.count;
    const cpuUs = this.cpuUsed === undefined ? NaN : this.cpuUsed.user + this.cpuUsed.system;
    return {
      completed, errors: this.errors, firstError: this.firstError, seconds, rate: completed / seconds,
      p50Ms: p50, p99Ms: p99, maxMs: max, clientCpuUsPerExchange: cpuUs / Math.max(1, completed), ...extra,
      ...(window.keepLatencies === true ? { latencies: this.latencies.all() } : {}),
    };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Runs the window's timeline: warm up, open the measured window, close it. */
async function timeline(run: Run, window: Window): Promise<number> {
  const sweeper = setInterval(() => run.sweep(), SWEEP_INTERVAL_MS);
  try {
    await sleep(window.warmupMs);
    run.measureFrom = performance.now();
    run.cpuFrom = process.cpuUsage();
    window.onMeasureStart?.();
    await sleep(window.durationMs);
    run.measureTo = performance.now();
    run.cpuUsed = process.cpuUsage(run.cpuFrom);
    window.onMeasureEnd?.();
    run.stopping = true;
    return (run.measureTo - run.measureFrom) / 1000;
  } finally {
    clearInterval(sweeper);
  }
}

/** `concurrency` exchanges in flight for the whole window. */
export async function closedLoop(start: StartExchange, opts: Window & { concurrency: number }): Promise<LoadResult> {
  const run = new Run(start);
  const next = (): void => run.launch(performance.now(), next);
  for (let i = 0; i < opts.concurrency; i++) next();
  const seconds = await timeline(run, opts);
  await run.settle();
  return run.result(seconds, opts);
}

/**
 * Arrivals at `rate` per second. At most `maxInFlight` run at once; an arrival beyond that is
 * skipped and counted (the server is overloaded at this rate, which the result must show).
 */
export async function openLoop(start: StartExchange, opts: Window & { rate: number; maxInFlight: number }): Promise<LoadResult> {
  const run = new Run(start);
  const t0 = performance.now();
  const interval = 1000 / opts.rate;
  let arrivals = 0;
  let skipped = 0;
  const tick = (): void => {
    const due = Math.floor((performance.now() - t0) / interval);
    while (arrivals < due) {
      const at = t0 + arrivals * interval;
      arrivals++;
      if (run.inFlight.size >= opts.maxInFlight) {
        if (at >= run.measureFrom) skipped++;
        continue;
      }
      run.launch(at, noop);
    }
  };
  const ticker = setInterval(tick, 1);
  let seconds: number;
  try {
    seconds = await timeline(run, opts);
  } finally {
    clearInterval(ticker);
  }
  await run.settle();
  return run.result(seconds, opts, { offeredRate: opts.rate, skipped });
}

function noop(): void {}
