// Starts the adapters a routing table names when it is applied and stops them when a table that no
// longer names them replaces it. An adapter whose route id and options are unchanged is carried over
// to the new table, so a new table version does not throw away discovered targets.
import type { ActiveTable } from '../routing/active-table.ts';
import type { AdapterChoice, AdaptedStatus, PlayerInfo, RouteAdapterHook } from '../routing/adapter-hook.ts';
import type { Route, Target } from '../table/types.ts';
import { PollingDiscovery, PollingStatus, RefusedAdapter } from './adapter.ts';
import type { DiscoveryAdapter, Fetcher, StatusAdapter, StrategyAdapter } from './adapter.ts';
import { httpStatus, httpTargets } from './http.ts';
import { AdapterError } from './errors.ts';
import type { AgonesAllocation } from './agones-allocation.ts';
import { LazyDiscovery, lazyFetcher, LazyGrpcClient, LazyGrpcStrategy } from './lazy.ts';
import { httpUrlProblem, STRICT_ADAPTER_POLICY } from './policy.ts';
import { redactUrl } from '../redact-url.ts';
import type { AdapterEnv, AdapterState } from './refresher.ts';

interface Binding {
  discovery?: DiscoveryAdapter;
  status?: StatusAdapter;
  strategy?: StrategyAdapter;
}

type Running = DiscoveryAdapter | StatusAdapter | StrategyAdapter;

function createDiscovery(route: Route, env: AdapterEnv): DiscoveryAdapter {
  const d = route.discovery!;
  const polling = (fetch: Fetcher<Target[]>, onStop?: () => void): DiscoveryAdapter => {
    const adapter = new PollingDiscovery({ adapter: d.type, route: route.id, intervalMs: d.refreshInterval, timeoutMs: d.timeout, fetch }, env);
    if (onStop === undefined) return adapter;
    const stop = adapter.stop.bind(adapter);
    adapter.stop = () => {
      stop();
      onStop();
    };
    return adapter;
  };
  switch (d.type) {
    case 'http': {
      const refused = refusedUrl(d.url!, { adapter: 'http', kind: 'discovery', route: route.id }, env);
      return refused ?? polling(httpTargets(d.url!, d.timeout));
    }
    // DNS, gRPC and Kubernetes modules load on first use (lazy.ts): most routers never need them.
    case 'dns':
      return polling(lazyFetcher(async () => (await import('./dns.ts')).dnsTargets(d)));
    case 'grpc': {
      const client = new LazyGrpcClient(d.address!, env.policy);
      return polling(lazyFetcher(async () => {
        const { grpc, client: c } = await client.get();
        return grpc.grpcTargets(c, route.id, d.timeout);
      }), () => client.close());
    }
    case 'kubernetes':
      return new LazyDiscovery({ adapter: 'kubernetes', route: route.id }, async () => new (await import('./kubernetes.ts')).KubernetesDiscovery(route.id, d, env), env);
    case 'agones_allocation':
      return new LazyDiscovery({ adapter: 'agones_allocation', route: route.id }, async () => new (await import('./agones-allocation.ts')).AgonesAllocation(route.id, d, env), env);
  }
}

function createStatus(route: Route, env: AdapterEnv): StatusAdapter {
  const s = route.statusAdapter!;
  const opts = { adapter: s.type, route: route.id, cacheTtlMs: s.cacheTtl, timeoutMs: s.timeout };
  if (s.type === 'http') {
    return refusedUrl(s.url!, { adapter: 'http', kind: 'status', route: route.id }, env) ?? new PollingStatus({ ...opts, fetch: httpStatus(s.url!, s.timeout) }, env);
  }
  const client = new LazyGrpcClient(s.address!, env.policy);
  const fetch = lazyFetcher(async () => {
    const { grpc, client: c } = await client.get();
    return grpc.grpcStatus(c, route.id, s.timeout);
  });
  const adapter = new PollingStatus({ ...opts, fetch }, env);
  const stop = adapter.stop.bind(adapter);
  adapter.stop = () => {
    stop();
    client.close();
  };
  return adapter;
}

function createStrategy(route: Route, env: AdapterEnv): StrategyAdapter {
  const s = route.strategyAdapter!;
  return new LazyGrpcStrategy(new LazyGrpcClient(s.address, env.policy), route.id, s.timeout, env);
}

/** An http adapter whose URL passage.toml does not allow (plain http to an unlisted host) is never started. */
function refusedUrl(url: string, labels: { adapter: string; kind: 'discovery' | 'status'; route: string }, env: AdapterEnv): RefusedAdapter | undefined {
  const problem = httpUrlProblem(env.policy ?? STRICT_ADAPTER_POLICY, url);
  if (problem === undefined) return undefined;
  return new RefusedAdapter(labels, new AdapterError('ERR_ADAPTER_NOT_ALLOWED', `${redactUrl(url)}: ${problem}`), env);
}

export class RouteAdapters implements RouteAdapterHook {
  private readonly env: AdapterEnv;
  /** Per Route object: connections that started on an older table keep reading its adapters' last results. */
  private readonly bindings = new WeakMap<Route, Binding>();
  /** Running adapters by route id, kind and options. */
  private running = new Map<string, Running>();

  constructor(env: AdapterEnv) {
    this.env = env;
  }

  /** Call for every table swapped in (TableStore.onSwap), before connections see it. */
  apply(active: ActiveTable): void {
    const next = new Map<string, Running>();
    const take = <A extends Running>(key: string, create: () => A): A => {
      const adapter = (this.running.get(key) ?? next.get(key) ?? create()) as A;
      next.set(key, adapter);
      return adapter;
    };
    // Only the routes that name adapters: a 100,000-route hosting table has few, and this runs in the swap.
    for (const route of active.adapterRoutes) {
      const binding: Binding = {};
      const key = (kind: string, options: object): string => `${route.id}\0${kind}\0${JSON.stringify(options)}`;
      try {
        if (route.discovery !== undefined) binding.discovery = take(key('discovery', route.discovery), () => createDiscovery(route, this.env));
        if (route.statusAdapter !== undefined) binding.status = take(key('status', route.statusAdapter), () => createStatus(route, this.env));
        if (route.strategyAdapter !== undefined) binding.strategy = take(key('strategy', route.strategyAdapter), () => createStrategy(route, this.env));
      } catch (err) {
        // A bad address reaches here only past the schema; the route then runs on its own targets.
        this.env.log.error({ err, route: route.id }, 'could not create the route adapters');
      }
      this.bindings.set(route, binding);
    }
    for (const [key, adapter] of this.running) if (!next.has(key)) adapter.stop();
    for (const [key, adapter] of next) if (!this.running.has(key) && 'start' in adapter) adapter.start();
    this.running = next;
    active.adapters = active.adapterRoutes.length > 0 ? this : undefined;
  }

  stop(): void {
    for (const adapter of this.running.values()) adapter.stop();
    this.running = new Map();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.stop();
  }

  /** For /status: one entry per polling or watching adapter. */
  states(): AdapterState[] {
    return [...this.running.values()].flatMap((a) => ('state' in a ? [a.state()] : []));
  }

  targets(route: Route): readonly Target[] | undefined {
    return this.bindings.get(route)?.discovery?.targets;
  }

  status(route: Route): AdaptedStatus | undefined {
    return this.bindings.get(route)?.status?.status;
  }

  dynamic(route: Route): boolean {
    const b = this.bindings.get(route);
    return b?.discovery !== undefined || b?.status !== undefined;
  }

  choose(route: Route, targets: readonly Target[], player: PlayerInfo): Promise<AdapterChoice> | undefined {
    const binding = this.bindings.get(route);
    // An allocating route gets a fresh GameServer per login; its own targets serve only when allocation fails.
    // (Until its module has loaded, an allocating route serves from its own targets, as when allocation fails.)
    const discovery = binding?.discovery instanceof LazyDiscovery ? binding.discovery.loaded : binding?.discovery;
    if (isAllocator(discovery)) return discovery.allocate(player);
    return binding?.strategy?.choose(targets, player);
  }
}

/** An allocating discovery (agones_allocation): a fresh target per login. Checked by shape, so the module loads lazily. */
function isAllocator(d: unknown): d is Pick<AgonesAllocation, 'allocate'> {
  return typeof d === 'object' && d !== null && typeof (d as { allocate?: unknown }).allocate === 'function';
}
