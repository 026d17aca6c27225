// Agones allocation: instead of listing servers, every login creates a GameServerAllocation in the
// route's namespace, and the player is transferred to the GameServer Agones hands out (which Agones then
// marks Allocated, so the next login gets another one: session-based minigames). A transient failure
// (network, timeout, 429, 5xx, `Contention`) is retried a bounded number of times with backoff;
// `UnAllocated` means no capacity and the player is told there is no server; any other failure falls
// back to the route's own targets and strategy. The API server and the token come from passage.toml
// (kubernetesEndpoint), never from the table.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AdapterChoice, PlayerInfo } from '../routing/adapter-hook.ts';
import type { DiscoveryConfig, Target } from '../table/types.ts';
import type { DiscoveryAdapter } from './adapter.ts';
import { MAX_ADAPTER_RESPONSE_BYTES, parseJson, parseTargets, readBodyCapped } from './documents.ts';
import { AdapterError, adapterErrorCode, fetchError } from './errors.ts';
import { events, publish } from '../events.ts';
import { bearerToken, kubernetesEndpoint, type KubernetesEndpoint } from './kubernetes.ts';
import { STRICT_ADAPTER_POLICY } from './policy.ts';
import type { AdapterEnv, AdapterState } from './refresher.ts';

/** The first retry waits this long, each further one twice as long (plus up to half again of jitter). */
export const ALLOCATION_BACKOFF_MS = 100;
/** No retry waits longer than this: the player is waiting in the configuration phase. */
export const MAX_ALLOCATION_BACKOFF_MS = 1_000;
/** An allocation answer is one object; anything larger is not one. */
export const MAX_ALLOCATION_RESPONSE_BYTES = Math.min(MAX_ADAPTER_RESPONSE_BYTES, 256 * 1024);

interface AllocationStatus {
  state?: string;
  gameServerName?: string;
  address?: string;
  ports?: { name?: string; port?: number }[];
}

/** The request body: `selectors` become `matchLabels` entries, tried in order by Agones. */
export function allocationRequest(config: DiscoveryConfig): Record<string, unknown> {
  return {
    apiVersion: 'allocation.agones.dev/v1',
    kind: 'GameServerAllocation',
    spec: {
      scheduling: config.scheduling ?? 'Packed',
      selectors: (config.selectors ?? []).map((matchLabels) => ({ matchLabels })),
    },
  };
}

/**
 * What one allocation answer means: a target, `none` (UnAllocated: no capacity), or a retryable
 * `Contention`. Everything about the GameServer is validated as a table's target would be.
 */
export function allocationOutcome(doc: unknown, port: number | undefined): Target | 'none' | 'contention' {
  const status = (doc as { status?: AllocationStatus } | null)?.status;
  if (typeof status !== 'object' || status === null) throw new AdapterError('ERR_ADAPTER_BAD_RESPONSE', 'GameServerAllocation: no status');
  if (status.state === 'UnAllocated') return 'none';
  if (status.state === 'Contention') return 'contention';
  if (status.state !== 'Allocated') throw new AdapterError('ERR_ADAPTER_BAD_RESPONSE', `GameServerAllocation: unknown state ${JSON.stringify(String(status.state).slice(0, 32))}`);
  const gamePort = port ?? status.ports?.[0]?.port;
  if (typeof status.address !== 'string' || status.address === '' || gamePort === undefined) {
    throw new AdapterError('ERR_ADAPTER_BAD_RESPONSE', 'GameServerAllocation: Allocated without an address and port');
  }
  const host = status.address.includes(':') ? `[${status.address}]` : status.address;
  return parseTargets([{ id: status.gameServerName, address: `${host}:${gamePort}`, meta: { state: 'Allocated' } }], 'GameServerAllocation')[0];
}

/** A failure worth another attempt: the API server or Agones may answer the next one. */
function retryable(err: unknown): boolean {
  if (!(err instanceof AdapterError)) return false;
  if (err.code === 'ERR_ADAPTER_TIMEOUT' || err.code === 'ERR_ADAPTER_UNAVAILABLE') return true;
  const status = (err as { httpStatus?: number }).httpStatus;
  return status === 429 || (status !== undefined && status >= 500);
}

export class AgonesAllocation implements DiscoveryAdapter {
  /** Allocation has no standing list: the route's static targets serve when allocation fails. */
  readonly targets = undefined;
  private readonly route: string;
  private readonly config: DiscoveryConfig;
  private readonly env: AdapterEnv;
  private readonly path: string;
  private readonly stopper = new AbortController();
  private endpoint: KubernetesEndpoint | AdapterError | undefined;
  private lastSuccessAt: number | undefined;
  private lastError: { code: string; message: string; at: number } | undefined;
  /** Jitter source (tests pin it). */
  random: () => number = Math.random;

  constructor(route: string, config: DiscoveryConfig, env: AdapterEnv) {
    this.route = route;
    this.config = config;
    this.env = env;
    this.path = `/apis/allocation.agones.dev/v1/namespaces/${encodeURIComponent(config.namespace ?? 'default')}/gameserverallocations`;
  }

  start(): void {
    this.endpoint = kubernetesEndpoint(this.config.apiUrl, this.env.policy ?? STRICT_ADAPTER_POLICY);
    if (this.endpoint instanceof AdapterError) this.fail(this.endpoint, 0);
  }

  stop(): void {
    this.stopper.abort();
  }

  state(): AdapterState {
    return {
      adapter: 'agones_allocation', kind: 'discovery', route: this.route, ok: this.lastError === undefined,
      ...(this.lastSuccessAt === undefined ? {} : { lastSuccessAt: new Date(this.lastSuccessAt).toISOString() }),
      ...(this.lastError === undefined ? {} : { lastError: { ...this.lastError, at: new Date(this.lastError.at).toISOString() } }),
    };
  }

  /** One GameServer for this player. Never rejects: a failure is `fallback` (the route's own targets). */
  async allocate(player: PlayerInfo): Promise<AdapterChoice> {
    const endpoint = this.endpoint;
    if (endpoint === undefined || endpoint instanceof AdapterError || this.stopper.signal.aborted) return { kind: 'fallback' };
    const started = performance.now();
    const retries = this.config.retries ?? 0;
    for (let attempt = 0; ; attempt++) {
      try {
        const outcome = await this.attempt(endpoint);
        if (outcome === 'none') {
          this.fail(new AdapterError('ERR_ADAPTER_NO_CAPACITY', `${this.path}: UnAllocated (no Ready GameServer matches the selectors)`), started);
          return { kind: 'none' };
        }
        if (outcome === 'contention') throw new AdapterError('ERR_ADAPTER_UNAVAILABLE', `${this.path}: Contention (allocations raced for the same GameServers)`);
        this.lastSuccessAt = Date.now();
        this.lastError = undefined;
        publish(events.adapterCall, this.env.source, { adapter: 'agones_allocation', kind: 'discovery', route: this.route, result: 'ok', durationSeconds: (performance.now() - started) / 1000 });
        if (this.env.log.isLevelEnabled('debug')) this.env.log.debug({ route: this.route, player: player.name, gameServer: outcome.id, attempts: attempt + 1 }, 'allocated');
        return { kind: 'chosen', target: outcome };
      } catch (err) {
        if (this.stopper.signal.aborted) return { kind: 'fallback' };
        if (attempt >= retries || !retryable(err)) {
          this.fail(err, started);
          return { kind: 'fallback' };
        }
        const backoff = Math.min(MAX_ALLOCATION_BACKOFF_MS, ALLOCATION_BACKOFF_MS * 2 ** attempt);
        await sleep(backoff + Math.floor(this.random() * backoff / 2), undefined, { signal: this.stopper.signal }).catch(() => {});
      }
    }
  }

  private async attempt(endpoint: KubernetesEndpoint): Promise<Target | 'none' | 'contention'> {
    const base = endpoint.base;
    const url = new URL(this.path, base.endsWith('/') ? base : `${base}/`);
    const headers: Record<string, string> = { accept: 'application/json', 'content-type': 'application/json' };
    const token = await bearerToken(endpoint);
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    const signal = AbortSignal.any([this.stopper.signal, AbortSignal.timeout(this.config.timeout)]);
    const what = `POST ${url.pathname}`;
    try {
      const res = await fetch(url, { method: 'POST', signal, headers, body: JSON.stringify(allocationRequest(this.config)), redirect: 'error' });
      if (res.status !== 201 && res.status !== 200) {
        await res.body?.cancel();
        throw Object.assign(new AdapterError('ERR_ADAPTER_HTTP_STATUS', `${what}: HTTP ${res.status}`), { httpStatus: res.status });
      }
      return allocationOutcome(parseJson(await readBodyCapped(res, MAX_ALLOCATION_RESPONSE_BYTES, what), what), this.config.port);
    } catch (err) {
      throw fetchError(err, what, this.config.timeout);
    }
  }

  private fail(err: unknown, started: number): void {
    const code = adapterErrorCode(err);
    const changed = this.lastError?.code !== code;
    this.lastError = { code, message: (err as Error).message, at: Date.now() };
    publish(events.adapterCall, this.env.source, { adapter: 'agones_allocation', kind: 'discovery', route: this.route, result: 'error', durationSeconds: started === 0 ? 0 : (performance.now() - started) / 1000, code });
    if (changed) this.env.log.warn({ adapter: 'agones_allocation', route: this.route, code }, `allocation failed: ${(err as Error).message}`);
  }
}
