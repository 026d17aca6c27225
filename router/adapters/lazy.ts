// The DNS, gRPC and Kubernetes adapter modules (and grpc-js behind them) are imported when a table
// first names them, not when the router starts: a router whose tables use none never loads them.
// RouteAdapters.apply() runs synchronously inside a table swap, so these wrappers stand in for the
// real adapter until its module has loaded, and a stop that comes first wins.
import type { AdapterChoice, PlayerInfo } from '../routing/adapter-hook.ts';
import type { Target } from '../table/types.ts';
import type { DiscoveryAdapter, Fetcher, StrategyAdapter } from './adapter.ts';
import type { AdapterClient } from './grpc.ts';
import type { AdapterPolicy } from './policy.ts';
import type { AdapterEnv, AdapterState } from './refresher.ts';

type GrpcModule = typeof import('./grpc.ts');

/** A fetcher that builds the real one on its first call (loading its module) and reuses it afterwards. */
export function lazyFetcher<T>(build: () => Promise<Fetcher<T>>): Fetcher<T> {
  let built: Promise<Fetcher<T>> | undefined;
  return async (signal) => (await (built ??= build()))(signal);
}

/** One adapter's gRPC client, created (loading grpc.ts and grpc-js) on first use; closed before that, it never is. */
export class LazyGrpcClient {
  private readonly address: string;
  private readonly policy: AdapterPolicy | undefined;
  private loading: Promise<{ grpc: GrpcModule; client: AdapterClient }> | undefined;
  private closed = false;

  constructor(address: string, policy: AdapterPolicy | undefined) {
    this.address = address;
    this.policy = policy;
  }

  get(): Promise<{ grpc: GrpcModule; client: AdapterClient }> {
    this.loading ??= import('./grpc.ts').then((grpc) => {
      const client = new grpc.AdapterClient(this.address, this.policy);
      if (this.closed) client.close();
      return { grpc, client };
    });
    return this.loading;
  }

  close(): void {
    this.closed = true;
    this.loading?.then(({ client }) => client.close(), () => undefined);
  }
}

/** A discovery adapter whose implementation is still loading: no targets yet, state "ok" until it answers. */
export class LazyDiscovery implements DiscoveryAdapter {
  private readonly labels: { adapter: string; route: string };
  private readonly build: () => Promise<DiscoveryAdapter>;
  private readonly env: AdapterEnv;
  private inner: DiscoveryAdapter | undefined;
  private failed: { code: string; message: string; at: string } | undefined;
  private stopped = false;

  constructor(labels: { adapter: string; route: string }, build: () => Promise<DiscoveryAdapter>, env: AdapterEnv) {
    this.labels = labels;
    this.build = build;
    this.env = env;
  }

  get targets(): readonly Target[] | undefined {
    return this.inner?.targets;
  }

  /** The adapter once its module has loaded. */
  get loaded(): DiscoveryAdapter | undefined {
    return this.inner;
  }

  start(): void {
    this.build().then(
      (adapter) => {
        if (this.stopped) return;
        this.inner = adapter;
        adapter.start();
      },
      (err: unknown) => {
        this.failed = { code: 'ERR_ADAPTER_UNAVAILABLE', message: `could not load the ${this.labels.adapter} adapter: ${(err as Error).message}`, at: new Date().toISOString() };
        this.env.log.error({ err, route: this.labels.route }, this.failed.message);
      },
    );
  }

  stop(): void {
    this.stopped = true;
    this.inner?.stop();
  }

  state(): AdapterState {
    return this.inner?.state() ?? { ...this.labels, kind: 'discovery', ok: this.failed === undefined, ...(this.failed === undefined ? {} : { lastError: this.failed }) };
  }
}

/** The gRPC strategy, loaded on the first choice; until then (or if loading fails) the choice is the route's own. */
export class LazyGrpcStrategy implements StrategyAdapter {
  private readonly client: LazyGrpcClient;
  private readonly route: string;
  private readonly timeoutMs: number;
  private readonly env: AdapterEnv;
  private strategy: Promise<StrategyAdapter> | undefined;
  private logged = false;

  constructor(client: LazyGrpcClient, route: string, timeoutMs: number, env: AdapterEnv) {
    this.client = client;
    this.route = route;
    this.timeoutMs = timeoutMs;
    this.env = env;
  }

  async choose(targets: readonly Target[], player: PlayerInfo): Promise<AdapterChoice> {
    this.strategy ??= this.client.get().then(({ grpc, client }) => new grpc.GrpcStrategy(client, this.route, this.timeoutMs, this.env));
    let strategy: StrategyAdapter;
    try {
      strategy = await this.strategy;
    } catch (err) {
      // Permanent for these options: logged once, not once per login.
      if (!this.logged) this.env.log.error({ err, route: this.route }, 'could not create the gRPC strategy adapter');
      this.logged = true;
      return { kind: 'fallback' };
    }
    return strategy.choose(targets, player);
  }

  stop(): void {
    // GrpcStrategy.stop() only closes the client, which this wrapper owns.
    this.client.close();
  }
}
