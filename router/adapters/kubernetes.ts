// Kubernetes discovery: Pods, or Agones GameServers, matching a label selector in one namespace.
// LIST, then WATCH from the list's resourceVersion (one JSON event per line); a broken watch or
// "410 Gone" lists again. Only Ready pods and GameServers in state Ready or Allocated are targets;
// Agones player tracking (status.players, or the `players` counter) becomes players / max_players meta.
// The API server and the bearer token come from the router's config (kubernetesEndpoint), not the table.
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DiscoveryConfig, Target } from '../table/types.ts';
import type { DiscoveryAdapter } from './adapter.ts';
import { MAX_ADAPTER_RESPONSE_BYTES, parseJson, parseTargets, readBodyCapped } from './documents.ts';
import { AdapterError, adapterErrorCode, fetchError } from './errors.ts';
import { events, publish } from '../events.ts';
import { reportTargets } from './refresher.ts';
import type { AdapterEnv, AdapterState } from './refresher.ts';
import { endpointKey, httpUrlProblem, STRICT_ADAPTER_POLICY, type AdapterPolicy } from './policy.ts';
import { redactUrl } from '../redact-url.ts';

export const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';
export const DEFAULT_POD_PORT = 25565;
/** The API server ends a watch after this long; the adapter then watches again from its resourceVersion. */
export const WATCH_SECONDS = 300;
/** A watch that sends nothing (not even a bookmark) for this long is presumed dead. */
export const WATCH_IDLE_MS = (WATCH_SECONDS + 30) * 1000;
/**
 * Watch rounds (list or watch) start at most this often: a server or proxy that ends every watch at
 * once, or answers 410 Gone every time, must not turn the adapter into a tight request loop.
 */
export const MIN_WATCH_SPACING_MS = 250;
/** One watch event (a JSON line) may be at most this long. */
export const MAX_WATCH_LINE_BYTES = 1024 * 1024;

interface KubeObject {
  metadata?: { name?: string; resourceVersion?: string; deletionTimestamp?: string };
  spec?: { containers?: { ports?: { name?: string; containerPort?: number }[] }[] };
  status?: {
    phase?: string;
    podIP?: string;
    conditions?: { type?: string; status?: string }[];
    state?: string;
    address?: string;
    ports?: { name?: string; port?: number }[];
    players?: { count?: number; capacity?: number };
    counters?: { players?: { count?: number; capacity?: number } };
  };
}

/** The in-cluster API server from the service environment (always https). */
export function defaultApiUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const host = env.KUBERNETES_SERVICE_HOST;
  if (host === undefined || host === '') return undefined;
  return `https://${host.includes(':') ? `[${host}]` : host}:${env.KUBERNETES_SERVICE_PORT ?? '443'}`;
}

/** Where a Kubernetes discovery talks, and which token file (from passage.toml, never the table) it sends there. */
export interface KubernetesEndpoint {
  readonly base: string;
  readonly tokenFile: string;
  /** A token file set in passage.toml must be readable; the default service-account token may be absent (kubectl proxy). */
  readonly tokenRequired: boolean;
}

/**
 * The API server a discovery may use: the in-cluster one by default; a table's `api_url` only when it is
 * that server or listed in `[adapters.kubernetes] api_urls`, since the router's bearer token goes with
 * every request. Plain http additionally needs the host in `[adapters] allow_plain_http`.
 */
export function kubernetesEndpoint(apiUrl: string | undefined, policy: AdapterPolicy, env: NodeJS.ProcessEnv = process.env): KubernetesEndpoint | AdapterError {
  const inCluster = defaultApiUrl(env);
  const base = apiUrl ?? inCluster;
  if (base === undefined) return new AdapterError('ERR_ADAPTER_UNAVAILABLE', 'no api_url set and KUBERNETES_SERVICE_HOST is not set (not running in a cluster)');
  const key = endpointKey(base);
  const allowed = [...(inCluster === undefined ? [] : [inCluster]), ...policy.kubernetes.apiUrls].map((u) => endpointKey(u));
  if (key === undefined || !allowed.includes(key)) {
    return new AdapterError('ERR_ADAPTER_NOT_ALLOWED', `api_url ${redactUrl(base)} is neither the in-cluster API server nor listed in [adapters.kubernetes] api_urls of passage.toml (the router's token is sent there)`);
  }
  const problem = httpUrlProblem(policy, base);
  if (problem !== undefined) return new AdapterError('ERR_ADAPTER_NOT_ALLOWED', `api_url ${redactUrl(base)}: ${problem}`);
  const configured = policy.kubernetes.tokenFile;
  return { base, tokenFile: configured === '' ? SERVICE_ACCOUNT_TOKEN : configured, tokenRequired: configured !== '' };
}

/** The bearer token for `endpoint`, read at every request (projected tokens rotate); undefined when the default file is absent. */
export async function bearerToken(endpoint: KubernetesEndpoint): Promise<string | undefined> {
  try {
    return (await readFile(endpoint.tokenFile, 'utf8')).trim();
  } catch (err) {
    if (!endpoint.tokenRequired) return undefined;
    throw new AdapterError('ERR_ADAPTER_UNAVAILABLE', `[adapters.kubernetes] token_file ${endpoint.tokenFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** The target a pod or GameServer stands for, or undefined while it must get no players. */
export function targetOf(obj: KubeObject, resource: 'pods' | 'gameservers', port: number | undefined): Omit<Target, 'host' | 'port'> | undefined {
  const name = obj.metadata?.name;
  const status = obj.status;
  if (name === undefined || status === undefined || obj.metadata?.deletionTimestamp !== undefined) return undefined;
  if (resource === 'pods') {
    const ready = status.phase === 'Running' && (status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
    if (!ready || !status.podIP) return undefined;
    const named = obj.spec?.containers?.flatMap((c) => c.ports ?? []).find((p) => p.name === 'minecraft')?.containerPort;
    const ip = status.podIP;
    return { id: name, address: `${ip.includes(':') ? `[${ip}]` : ip}:${port ?? named ?? DEFAULT_POD_PORT}`, priority: 0, meta: {} };
  }
  if ((status.state !== 'Ready' && status.state !== 'Allocated') || !status.address) return undefined;
  const gamePort = port ?? status.ports?.[0]?.port;
  if (gamePort === undefined) return undefined;
  const players = status.players ?? status.counters?.players;
  const meta: Record<string, string> = { state: status.state };
  if (typeof players?.count === 'number') meta.players = String(players.count);
  if (typeof players?.capacity === 'number' && players.capacity > 0) meta.max_players = String(players.capacity);
  const address = status.address.includes(':') ? `[${status.address}]` : status.address;
  return { id: name, address: `${address}:${gamePort}`, priority: 0, meta };
}

export class KubernetesDiscovery implements DiscoveryAdapter {
  private readonly config: DiscoveryConfig;
  private readonly env: AdapterEnv;
  private readonly route: string;
  private readonly path: string;
  private readonly stopper = new AbortController();
  /** Ready objects by name. */
  private readonly ready = new Map<string, Target>();
  private current: Target[] | undefined;
  private resourceVersion = '';
  /** Set once run() has checked the API server against the router's config. */
  private endpoint: KubernetesEndpoint | undefined;
  private lastSuccessAt: number | undefined;
  private lastError: { code: string; message: string; at: number } | undefined;

  constructor(route: string, config: DiscoveryConfig, env: AdapterEnv) {
    this.route = route;
    this.config = config;
    this.env = env;
    const ns = encodeURIComponent(config.namespace ?? 'default');
    this.path = config.resource === 'gameservers' ? `/apis/agones.dev/v1/namespaces/${ns}/gameservers` : `/api/v1/namespaces/${ns}/pods`;
  }

  get targets(): readonly Target[] | undefined {
    return this.current;
  }

  start(): void {
    void this.run();
  }

  stop(): void {
    this.stopper.abort();
  }

  state(): AdapterState {
    return {
      adapter: 'kubernetes', kind: 'discovery', route: this.route, ok: this.lastError === undefined,
      ...(this.lastSuccessAt === undefined ? {} : { lastSuccessAt: new Date(this.lastSuccessAt).toISOString() }),
      ...(this.lastError === undefined ? {} : { lastError: { ...this.lastError, at: new Date(this.lastError.at).toISOString() } }),
      ...(this.current === undefined ? {} : { targets: this.current.length }),
    };
  }

  private async run(): Promise<void> {
    const endpoint = kubernetesEndpoint(this.config.apiUrl, this.env.policy ?? STRICT_ADAPTER_POLICY);
    if (endpoint instanceof AdapterError) {
      // Refused by the router's config (or no cluster): permanent for these options, so not retried.
      this.fail(endpoint);
      return;
    }
    this.endpoint = endpoint;
    let needList = true;
    while (!this.stopper.signal.aborted) {
      const started = Date.now();
      try {
        if (needList) await this.list();
        needList = false;
        await this.watch();
      } catch (err) {
        if (this.stopper.signal.aborted) return;
        needList = true;
        if ((err as { gone?: boolean }).gone !== true) {
          this.fail(err);
          await sleep(this.config.refreshInterval, undefined, { signal: this.stopper.signal }).catch(() => {});
          continue;
        }
      }
      const elapsed = Date.now() - started;
      if (elapsed < MIN_WATCH_SPACING_MS) await sleep(MIN_WATCH_SPACING_MS - elapsed, undefined, { signal: this.stopper.signal }).catch(() => {});
    }
  }

  private async request(query: Record<string, string>, signal: AbortSignal): Promise<Response> {
    const endpoint = this.endpoint!;
    const base = endpoint.base;
    const url = new URL(this.path, base.endsWith('/') ? base : `${base}/`);
    if (this.config.labelSelector !== undefined) url.searchParams.set('labelSelector', this.config.labelSelector);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = await this.token(endpoint);
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    let res: Response;
    try {
      res = await fetch(url, { signal, headers, redirect: 'error' });
    } catch (err) {
      throw fetchError(err, `GET ${url.pathname}`, this.config.timeout);
    }
    if (res.status === 410) {
      await res.body?.cancel();
      throw Object.assign(new AdapterError('ERR_ADAPTER_WATCH', 'resourceVersion too old (410 Gone)'), { gone: true });
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new AdapterError('ERR_ADAPTER_HTTP_STATUS', `GET ${url.pathname}: HTTP ${res.status}`);
    }
    return res;
  }

  /** Read at every request: projected service-account tokens rotate. The default file may be absent (kubectl proxy). */
  private token(endpoint: KubernetesEndpoint): Promise<string | undefined> {
    return bearerToken(endpoint);
  }

  private async list(): Promise<void> {
    const started = performance.now();
    const signal = AbortSignal.any([this.stopper.signal, AbortSignal.timeout(this.config.timeout)]);
    try {
      const res = await this.request({}, signal);
      const doc = parseJson(await readBodyCapped(res, MAX_ADAPTER_RESPONSE_BYTES * 4, `LIST ${this.path}`), `LIST ${this.path}`) as { items?: KubeObject[]; metadata?: { resourceVersion?: string } };
      if (!Array.isArray(doc.items)) throw new AdapterError('ERR_ADAPTER_BAD_RESPONSE', `LIST ${this.path}: no items`);
      this.ready.clear();
      for (const item of doc.items) this.upsert(item);
      this.resourceVersion = doc.metadata?.resourceVersion ?? '';
      this.publishTargets();
      this.report('ok', started);
    } catch (err) {
      throw fetchError(err, `LIST ${this.path}`, this.config.timeout);
    }
  }

  /** Applies watch events until the server ends the watch (normal after WATCH_SECONDS) or it breaks. */
  private async watch(): Promise<void> {
    const idle = new AbortController();
    let idleTimer = setTimeout(() => idle.abort(), this.config.timeout);
    const signal = AbortSignal.any([this.stopper.signal, idle.signal]);
    const resetIdle = (ms: number): void => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => idle.abort(), ms);
    };
    try {
      const res = await this.request({ watch: '1', allowWatchBookmarks: 'true', timeoutSeconds: String(WATCH_SECONDS), resourceVersion: this.resourceVersion }, signal);
      resetIdle(WATCH_IDLE_MS);
      let pending = '';
      const decoder = new TextDecoder();
      for await (const chunk of res.body ?? []) {
        resetIdle(WATCH_IDLE_MS);
        pending += decoder.decode(chunk as Uint8Array, { stream: true });
        let newline: number;
        while ((newline = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, newline).trim();
          pending = pending.slice(newline + 1);
          if (line !== '') this.onWatchEvent(parseJson(line, `WATCH ${this.path}`) as { type?: string; object?: KubeObject & { code?: number; message?: string } });
        }
        if (pending.length > MAX_WATCH_LINE_BYTES) throw new AdapterError('ERR_ADAPTER_WATCH', `WATCH ${this.path}: an event over ${MAX_WATCH_LINE_BYTES} bytes`);
      }
    } catch (err) {
      if (err instanceof AdapterError) throw err;
      throw new AdapterError('ERR_ADAPTER_WATCH', `WATCH ${this.path}: ${(err as Error).message}`, { cause: err });
    } finally {
      clearTimeout(idleTimer);
    }
  }

  private onWatchEvent(event: { type?: string; object?: KubeObject & { code?: number; message?: string } }): void {
    const obj = event.object;
    if (event.type === 'ERROR') {
      const gone = obj?.code === 410;
      throw Object.assign(new AdapterError('ERR_ADAPTER_WATCH', `WATCH ${this.path}: ${obj?.message ?? 'error event'}`), { gone });
    }
    const rv = obj?.metadata?.resourceVersion;
    if (rv !== undefined) this.resourceVersion = rv;
    if (event.type === 'BOOKMARK' || obj === undefined) return;
    const before = this.current;
    if (event.type === 'DELETED') this.ready.delete(obj.metadata?.name ?? '');
    else if (event.type === 'ADDED' || event.type === 'MODIFIED') this.upsert(obj);
    this.publishTargets(before);
  }

  private upsert(obj: KubeObject): void {
    const name = obj.metadata?.name ?? '';
    const doc = targetOf(obj, this.config.resource ?? 'pods', this.config.port);
    if (doc === undefined) {
      this.ready.delete(name);
      return;
    }
    try {
      this.ready.set(name, parseTargets([doc], `${this.config.resource} ${name}`)[0]);
    } catch (err) {
      // One odd object (a name over 64 characters) must not hide the others.
      this.ready.delete(name);
      if (this.env.log.isLevelEnabled('debug')) this.env.log.debug({ route: this.route, name }, (err as Error).message);
    }
  }

  private publishTargets(before?: Target[]): void {
    const next = [...this.ready.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    this.current = next;
    this.lastSuccessAt = Date.now();
    this.lastError = undefined;
    if (before === undefined || before.length !== next.length) reportTargets(this.env, 'kubernetes', this.route, next.length);
  }

  private fail(err: unknown): void {
    const code = adapterErrorCode(err);
    const changed = this.lastError?.code !== code;
    this.lastError = { code, message: (err as Error).message, at: Date.now() };
    publish(events.adapterCall, this.env.source, { adapter: 'kubernetes', kind: 'discovery', route: this.route, result: 'error', durationSeconds: 0, code });
    if (changed) this.env.log.warn({ adapter: 'kubernetes', route: this.route, code }, `discovery failed, keeping the last good targets: ${(err as Error).message}`);
  }

  private report(result: 'ok', started: number): void {
    publish(events.adapterCall, this.env.source, { adapter: 'kubernetes', kind: 'discovery', route: this.route, result, durationSeconds: (performance.now() - started) / 1000 });
  }
}
