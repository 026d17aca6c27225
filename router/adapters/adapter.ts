// The three kinds of route adapter. Each file of this folder implements one or more for one backend.
import type { AdapterChoice, AdaptedStatus, PlayerInfo } from '../routing/adapter-hook.ts';
import type { Target } from '../table/types.ts';
import { events, publish } from '../events.ts';
import type { AdapterError } from './errors.ts';
import { Refresher, reportTargets } from './refresher.ts';
import type { AdapterEnv, AdapterState, NOT_MODIFIED } from './refresher.ts';

export interface DiscoveryAdapter {
  /** The last good targets; undefined until the first good answer. */
  readonly targets: readonly Target[] | undefined;
  start(): void;
  stop(): void;
  state(): AdapterState;
}

export interface StatusAdapter {
  /** The last good status; undefined until the first good answer. */
  readonly status: AdaptedStatus | undefined;
  start(): void;
  stop(): void;
  state(): AdapterState;
}

export interface StrategyAdapter {
  /** Resolves `fallback` on any failure or timeout; never rejects. */
  choose(targets: readonly Target[], player: PlayerInfo): Promise<AdapterChoice>;
  stop(): void;
}

export type Fetcher<T> = (signal: AbortSignal) => Promise<T | typeof NOT_MODIFIED>;

/** What both polling adapters share: a Refresher that keeps the last good value, started and stopped. */
abstract class PollingAdapter<T> {
  protected readonly refresher: Refresher<T>;

  protected constructor(refresher: Refresher<T>) {
    this.refresher = refresher;
  }

  start(): void {
    this.refresher.start();
  }

  stop(): void {
    this.refresher.stop();
  }

  /** One refresh now (tests). */
  refresh(): Promise<void> {
    return this.refresher.refresh();
  }
}

/** A discovery that polls: http, grpc and dns. */
export class PollingDiscovery extends PollingAdapter<Target[]> implements DiscoveryAdapter {
  constructor(opts: { adapter: string; route: string; intervalMs: number; timeoutMs: number; fetch: Fetcher<Target[]> }, env: AdapterEnv) {
    super(new Refresher({
      ...opts,
      kind: 'discovery',
      onValue: (targets) => reportTargets(env, opts.adapter, opts.route, targets.length),
    }, env));
  }

  get targets(): readonly Target[] | undefined {
    return this.refresher.value;
  }

  state(): AdapterState {
    return { ...this.refresher.state(), ...(this.targets === undefined ? {} : { targets: this.targets.length }) };
  }
}

/** A status adapter: fetched again once its cache TTL has passed. */
export class PollingStatus extends PollingAdapter<AdaptedStatus> implements StatusAdapter {
  constructor(opts: { adapter: string; route: string; cacheTtlMs: number; timeoutMs: number; fetch: Fetcher<AdaptedStatus> }, env: AdapterEnv) {
    super(new Refresher({ ...opts, kind: 'status', intervalMs: opts.cacheTtlMs }, env));
  }

  get status(): AdaptedStatus | undefined {
    return this.refresher.value;
  }

  state(): AdapterState {
    return this.refresher.state();
  }
}

/**
 * An adapter the router's config does not allow (ERR_ADAPTER_NOT_ALLOWED): it never sends a request,
 * shows why on /status, counts one error and warns once, and the route serves its own targets and status.
 */
export class RefusedAdapter implements DiscoveryAdapter, StatusAdapter {
  readonly targets = undefined;
  readonly status = undefined;
  private readonly labels: { adapter: string; kind: 'discovery' | 'status'; route: string };
  private readonly error: AdapterError;
  private readonly env: AdapterEnv;
  private readonly at = Date.now();

  constructor(labels: { adapter: string; kind: 'discovery' | 'status'; route: string }, error: AdapterError, env: AdapterEnv) {
    this.labels = labels;
    this.error = error;
    this.env = env;
  }

  start(): void {
    publish(events.adapterCall, this.env.source, { ...this.labels, result: 'error', durationSeconds: 0, code: this.error.code });
    this.env.log.warn({ ...this.labels, code: this.error.code }, `adapter not started, the route serves its own ${this.labels.kind === 'discovery' ? 'targets' : 'status'}: ${this.error.message}`);
  }

  stop(): void {}

  state(): AdapterState {
    return { ...this.labels, ok: false, lastError: { code: this.error.code, message: this.error.message, at: new Date(this.at).toISOString() } };
  }
}
