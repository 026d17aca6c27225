// The loop every polling adapter runs: fetch, with a timeout, every interval; keep the last good
// result when a fetch fails; report each call on the adapter channel for the metrics.
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { events, publish } from '../events.ts';
import { adapterErrorCode } from './errors.ts';
import type { AdapterPolicy } from './policy.ts';

/** A fetch that found nothing new (HTTP 304): the cached value stays. */
export const NOT_MODIFIED = Symbol('not_modified');

export interface AdapterLabels {
  readonly adapter: string;
  readonly kind: 'discovery' | 'status';
  readonly route: string;
}

export interface AdapterEnv {
  /** Tags adapter events so metrics count this router's only. */
  readonly source: object;
  readonly log: Logger;
  /** `[adapters]` of passage.toml; absent: STRICT_ADAPTER_POLICY (TLS everywhere, in-cluster API server only). */
  readonly policy?: AdapterPolicy;
}

export interface RefresherOptions<T> extends AdapterLabels {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** One fetch; `signal` aborts on the timeout and on stop. */
  readonly fetch: (signal: AbortSignal) => Promise<T | typeof NOT_MODIFIED>;
  /** Called with each new good value (not for NOT_MODIFIED). */
  readonly onValue?: (value: T) => void;
}

/** What /status shows for one adapter. */
export interface AdapterState {
  readonly adapter: string;
  readonly kind: string;
  readonly route: string;
  readonly ok: boolean;
  readonly lastSuccessAt?: string;
  readonly lastError?: { code: string; message: string; at: string };
}

export class Refresher<T> {
  value: T | undefined;
  private readonly opts: RefresherOptions<T>;
  private readonly env: AdapterEnv;
  private timer: NodeJS.Timeout | undefined;
  private readonly stopper = new AbortController();
  private inFlight: Promise<void> | undefined;
  private lastSuccessAt: number | undefined;
  private lastError: { code: string; message: string; at: number } | undefined;

  constructor(opts: RefresherOptions<T>, env: AdapterEnv) {
    this.opts = opts;
    this.env = env;
  }

  /** Fetches now, then every interval until stop(). */
  start(): void {
    void this.refresh();
  }

  stop(): void {
    this.stopper.abort();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  get stopped(): boolean {
    return this.stopper.signal.aborted;
  }

  /** One fetch (joined when one is already running); the next one is scheduled an interval after it ends. */
  refresh(): Promise<void> {
    this.inFlight ??= this.fetchOnce().finally(() => {
      this.inFlight = undefined;
      if (!this.stopped) {
        if (this.timer !== undefined) clearTimeout(this.timer);
        this.timer = setTimeout(() => void this.refresh(), this.opts.intervalMs).unref();
      }
    });
    return this.inFlight;
  }

  state(): AdapterState {
    return {
      adapter: this.opts.adapter,
      kind: this.opts.kind,
      route: this.opts.route,
      ok: this.lastError === undefined,
      ...(this.lastSuccessAt === undefined ? {} : { lastSuccessAt: new Date(this.lastSuccessAt).toISOString() }),
      ...(this.lastError === undefined ? {} : { lastError: { ...this.lastError, at: new Date(this.lastError.at).toISOString() } }),
    };
  }

  private async fetchOnce(): Promise<void> {
    if (this.stopped) return;
    const started = performance.now();
    const signal = AbortSignal.any([this.stopper.signal, AbortSignal.timeout(this.opts.timeoutMs)]);
    try {
      const result = await this.opts.fetch(signal);
      if (this.stopped) return;
      this.lastSuccessAt = Date.now();
      this.lastError = undefined;
      if (result !== NOT_MODIFIED) {
        this.value = result;
        this.opts.onValue?.(result);
      }
      this.report(result === NOT_MODIFIED ? 'not_modified' : 'ok', started);
    } catch (err) {
      if (this.stopped) return;
      const code = adapterErrorCode(err);
      // Logged when the adapter starts failing or fails differently, not on every retry.
      const changed = this.lastError?.code !== code;
      this.lastError = { code, message: (err as Error).message, at: Date.now() };
      this.report('error', started, code);
      if (changed) this.env.log.warn({ adapter: this.opts.adapter, kind: this.opts.kind, route: this.opts.route, code }, `adapter failed, keeping the last good result: ${(err as Error).message}`);
    }
  }

  private report(result: 'ok' | 'not_modified' | 'error', started: number, code?: string): void {
    const { adapter, kind, route } = this.opts;
    publish(events.adapterCall, this.env.source, { adapter, kind, route, result, durationSeconds: (performance.now() - started) / 1000, ...(code === undefined ? {} : { code }) });
  }
}

/** Reports a discovery's target count (the gauge) after each new good result. */
export function reportTargets(env: AdapterEnv, adapter: string, route: string, count: number): void {
  publish(events.adapterTargets, env.source, { adapter, route, targets: count });
}
