// gRPC adapters: discovery (GetTargets), status (GetStatus) and strategy (Apply) against the service in
// proto/passage/adapter/v1/adapter.proto. grpc-js and the proto are loaded on first use, so routers
// whose tables name no gRPC adapter never load them.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import type * as GrpcJs from '@grpc/grpc-js';
import type * as ProtoLoader from '@grpc/proto-loader';
import { events, publish } from '../events.ts';
import type { AdapterChoice, AdaptedStatus, PlayerInfo } from '../routing/adapter-hook.ts';
import type { Target } from '../table/types.ts';
import type { Fetcher, StrategyAdapter } from './adapter.ts';
import { parseAdaptedStatus, parseTargets } from './documents.ts';
import { AdapterError, adapterErrorCode } from './errors.ts';
import { allowsPlainText, STRICT_ADAPTER_POLICY, type AdapterPolicy } from './policy.ts';
import type { AdapterEnv } from './refresher.ts';
import { parseEndpoint } from '../table/syntax.ts';

export const ADAPTER_PROTO_PATH = fileURLToPath(new URL('../../proto/passage/adapter/v1/adapter.proto', import.meta.url));
export const ADAPTER_SERVICE = 'passage.adapter.v1.RouteAdapter';
/** Answers larger than this are refused by grpc-js before they are buffered. */
export const MAX_GRPC_MESSAGE_BYTES = 4 * 1024 * 1024;

const require = createRequire(import.meta.url);
let loaded: { grpc: typeof GrpcJs; service: GrpcJs.ServiceClientConstructor } | undefined;

/** grpc-js and the service definition, loaded once. Also used by tests to serve the same contract. */
export function loadAdapterService(): { grpc: typeof GrpcJs; service: GrpcJs.ServiceClientConstructor } {
  if (loaded === undefined) {
    const grpc = require('@grpc/grpc-js') as typeof GrpcJs;
    const protoLoader = require('@grpc/proto-loader') as typeof ProtoLoader;
    const definition = protoLoader.loadSync(ADAPTER_PROTO_PATH, { keepCase: true, longs: Number, enums: String, defaults: false, oneofs: true });
    const pkg = grpc.loadPackageDefinition(definition) as unknown as { passage: { adapter: { v1: { RouteAdapter: GrpcJs.ServiceClientConstructor } } } };
    loaded = { grpc, service: pkg.passage.adapter.v1.RouteAdapter };
  }
  return loaded;
}

type Call<Req, Res> = (req: Req, meta: GrpcJs.Metadata, options: GrpcJs.CallOptions, cb: (err: GrpcJs.ServiceError | null, res?: Res) => void) => GrpcJs.ClientUnaryCall;

interface WireTarget {
  id?: string;
  address?: string;
  priority?: number;
  meta?: Record<string, string>;
}

/**
 * One connection to an adapter service; every call has a deadline and honours an abort signal. TLS
 * (verified against the system's CAs) unless passage.toml lists the host in `[adapters] allow_plain_http`.
 */
export class AdapterClient {
  readonly address: string;
  readonly tls: boolean;
  private readonly client: GrpcJs.Client;
  private readonly grpc: typeof GrpcJs;

  constructor(address: string, policy: AdapterPolicy = STRICT_ADAPTER_POLICY) {
    const { grpc, service } = loadAdapterService();
    this.grpc = grpc;
    this.address = address;
    const endpoint = parseEndpoint(address);
    this.tls = typeof endpoint === 'string' || !allowsPlainText(policy, endpoint.host);
    this.client = new service(address, this.tls ? grpc.credentials.createSsl() : grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': MAX_GRPC_MESSAGE_BYTES,
      // Reconnect quickly after an adapter restart: the next poll should find it.
      'grpc.initial_reconnect_backoff_ms': 200,
      'grpc.max_reconnect_backoff_ms': 5_000,
    });
  }

  call<Req, Res>(method: 'GetTargets' | 'GetStatus' | 'Apply' | 'Login', req: Req, timeoutMs: number, signal?: AbortSignal): Promise<Res> {
    const fn = (this.client as unknown as Record<string, Call<Req, Res>>)[method].bind(this.client);
    return new Promise((resolve, reject) => {
      const call = fn(req, new this.grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) => {
        signal?.removeEventListener('abort', onAbort);
        if (err === null && res !== undefined) return resolve(res);
        const status = err === null ? 'no response' : (this.grpc.status[err.code] ?? String(err.code));
        if (err?.code === this.grpc.status.DEADLINE_EXCEEDED) {
          return reject(new AdapterError('ERR_ADAPTER_TIMEOUT', `${method} at ${this.address}: no answer within ${timeoutMs}ms`, { cause: err }));
        }
        const code = err?.code === this.grpc.status.UNAVAILABLE ? 'ERR_ADAPTER_UNAVAILABLE' : 'ERR_ADAPTER_GRPC';
        reject(new AdapterError(code, `${method} at ${this.address}: ${status}${err?.details ? ` (${err.details})` : ''}`, { cause: err }));
      });
      const onAbort = (): void => call.cancel();
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  close(): void {
    this.client.close();
  }
}

export function grpcTargets(client: AdapterClient, route: string, timeoutMs: number): Fetcher<Target[]> {
  return async (signal) => {
    const res = await client.call<{ route: string }, { targets?: WireTarget[] }>('GetTargets', { route }, timeoutMs, signal);
    return parseTargets(res.targets ?? [], `GetTargets at ${client.address}`);
  };
}

export function grpcStatus(client: AdapterClient, route: string, timeoutMs: number): Fetcher<AdaptedStatus> {
  return async (signal) => {
    const res = await client.call<{ route: string; protocol: number }, Record<string, unknown>>('GetStatus', { route, protocol: 0 }, timeoutMs, signal);
    // proto3 has no "absent" for strings: empty means not set.
    const doc: Record<string, unknown> = { motd: res.motd ?? '', max_players: res.max_players ?? 0 };
    if (typeof res.favicon === 'string' && res.favicon !== '') doc.favicon = res.favicon;
    if (typeof res.version_name === 'string' && res.version_name !== '') doc.version_name = res.version_name;
    if (res.online_players !== undefined && res.online_players !== null) doc.online_players = res.online_players;
    return parseAdaptedStatus(doc, `GetStatus at ${client.address}`);
  };
}

function toWire(t: Target): WireTarget {
  return { id: t.id, address: t.address, priority: t.priority, meta: { ...t.meta } };
}

/** Apply once per login; any failure or an unknown id falls back to the route's own strategy. */
export class GrpcStrategy implements StrategyAdapter {
  private readonly client: AdapterClient;
  private readonly route: string;
  private readonly timeoutMs: number;
  private readonly env: AdapterEnv;

  constructor(client: AdapterClient, route: string, timeoutMs: number, env: AdapterEnv) {
    this.client = client;
    this.route = route;
    this.timeoutMs = timeoutMs;
    this.env = env;
  }

  async choose(targets: readonly Target[], player: PlayerInfo): Promise<AdapterChoice> {
    if (targets.length === 0) return { kind: 'none' };
    const started = performance.now();
    const report = (result: 'ok' | 'error', code?: string): void =>
      publish(events.adapterCall, this.env.source, {
        adapter: 'grpc', kind: 'strategy', route: this.route, result, durationSeconds: (performance.now() - started) / 1000, ...(code === undefined ? {} : { code }),
      });
    try {
      const res = await this.client.call<object, { target_ids?: string[] }>('Apply', {
        route: this.route,
        player: { id: player.id, name: player.name, ip: player.ip, protocol: player.protocol, host: player.host, locale: player.locale ?? '' },
        targets: targets.map(toWire),
      }, this.timeoutMs);
      const ids = res.target_ids ?? [];
      const byId = new Map(targets.map((t) => [t.id, t]));
      const target = ids.map((id) => byId.get(id)).find((t) => t !== undefined);
      if (ids.length > 0 && target === undefined) {
        throw new AdapterError('ERR_ADAPTER_BAD_RESPONSE', `Apply at ${this.client.address}: none of ${ids.slice(0, 5).join(', ')} is a target of the route`);
      }
      report('ok');
      return target === undefined ? { kind: 'none' } : { kind: 'chosen', target };
    } catch (err) {
      const code = adapterErrorCode(err);
      report('error', code);
      if (this.env.log.isLevelEnabled('debug')) this.env.log.debug({ route: this.route, code }, `strategy adapter failed, using the route's strategy: ${(err as Error).message}`);
      return { kind: 'fallback' };
    }
  }

  stop(): void {
    this.client.close();
  }
}
