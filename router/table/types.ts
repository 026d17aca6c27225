// The routing-table model the router runs on. The document form (TOML file or signed JSON) uses the
// snake_case names of the configuration contract; `parseRoutingTable` turns it into these types.

import type { AuthMode, LoginHookConfig, RouteAccess, TargetFilter } from './policy-types.ts';

export type RouteMode = 'transfer' | 'passthrough';

export const STRATEGIES = ['priority', 'random', 'round_robin', 'least_players', 'player_fill', 'sticky'] as const;
export type StrategyName = (typeof STRATEGIES)[number];

export interface Target {
  readonly id: string;
  /** `host:port` as written; hostnames allowed, IPv6 in brackets (`[::1]:25565`). */
  readonly address: string;
  readonly host: string;
  readonly port: number;
  readonly priority: number;
  /** Free-form string metadata; `players` and `max_players` feed the player-count strategies. */
  readonly meta: Readonly<Record<string, string>>;
  /** How to start this target when it sleeps (scaled to zero); only a login wakes it (router/wake/). */
  readonly wake?: WakeConfig;
}

/**
 * A sleeping target's scaler. Only names of the resource to scale: the API server must be one
 * passage.toml allows (`[adapters.kubernetes]`) and AWS credentials come from the router's environment.
 * `timeout` bounds each API call (ms).
 */
export type WakeConfig =
  | { readonly kind: 'kubernetes'; readonly resource: 'statefulsets' | 'deployments'; readonly name: string; readonly namespace: string; readonly apiUrl?: string; readonly timeout: number }
  | { readonly kind: 'ecs'; readonly cluster: string; readonly service: string; readonly region?: string; readonly timeout: number };

export interface RouteStatus {
  /** A plain string or a JSON text component (already parsed when the document held JSON text). */
  readonly motd: unknown;
  readonly maxPlayers: number;
  /** `data:image/png;base64,…` once loaded; file sources resolve a PNG path into this. */
  readonly favicon?: string;
  /** Shown as the version name in the server list (defaults to "Passage"). */
  readonly versionName?: string;
  /** Shown instead of `motd` while every target of the route sleeps (wake on join); default: localized `sleeping_motd`. */
  readonly sleepingMotd?: unknown;
}

/** A resource pack pushed in the configuration phase (Add Resource Pack). */
export interface ResourcePack {
  /** A UUID: the client remembers packs by it. */
  readonly id: string;
  /** http(s) URL the client downloads. */
  readonly url: string;
  /** SHA-1 of the file, 40 lower-case hex digits. */
  readonly hash: string;
  /** A forced pack that is not loaded ends the login with `resource_pack_required`. */
  readonly forced: boolean;
  /** Text shown in the client's prompt: plain text or a text component. */
  readonly prompt?: unknown;
}

export const FORWARDING_MODES = ['none', 'bungeecord'] as const;
export type Forwarding = (typeof FORWARDING_MODES)[number];

export interface Route {
  readonly id: string;
  /** Lower-case; `*` alone is the default route, `*.example.com` a wildcard. */
  readonly hosts: readonly string[];
  readonly mode: RouteMode;
  readonly strategy: StrategyName;
  readonly status: RouteStatus;
  readonly targets: readonly Target[];
  readonly resourcePacks?: readonly ResourcePack[];
  // Relay options: read by passthrough routes, and by transfer routes for the clients their fallback relays.
  /** Write a PROXY protocol v2 header with the client's address before anything else. */
  readonly sendProxyProtocol?: boolean;
  readonly domainRewrite?: DomainRewrite;
  /**
   * Player data in the backend handshake: `none` (default) sends only the host (and a Forge marker);
   * `bungeecord` writes BungeeCord IP forwarding from the router's own view (never the client's).
   */
  readonly forwarding?: Forwarding;
  /** Players relayed at once on this route by one router instance; 0 or absent: no cap. */
  readonly maxPlayers?: number;
  /** Shown when no target can be reached: plain text or a text component (default: localized no_target). */
  readonly disconnectMessage?: unknown;
  readonly timeouts?: RelayTimeouts;
  /** Transfer routes only: relay clients older than 1.20.5 to the targets instead of turning them away. */
  readonly fallback?: 'passthrough';
  /** Maintenance: logins (and relays) on this route get the `maintenance` message; status is unchanged. */
  readonly maintenance?: boolean;
  /** Targets from an adapter instead of (or, until its first answer, seeded by) the fixed `targets`. */
  readonly discovery?: DiscoveryConfig;
  /** The server-list status from an adapter (cached with a TTL) instead of `status`. */
  readonly statusAdapter?: StatusAdapterConfig;
  /** The target choice from an adapter (gRPC Apply) instead of `strategy`, which stays the fallback. */
  readonly strategyAdapter?: StrategyAdapterConfig;
  // Edge policy (router/table/policy-types.ts).
  /** How this route authenticates; absent: `[auth] mode` of passage.toml. */
  readonly auth?: AuthMode;
  /** Names or UUIDs that may log in while `maintenance` is on. */
  readonly maintenanceBypass?: readonly string[];
  /** Conditions on target meta; targets that fail one are not chosen. */
  readonly targetFilter?: readonly TargetFilter[];
  readonly access?: RouteAccess;
  readonly loginHook?: LoginHookConfig;
  /** How long a player may wait for a sleeping target to start (ms); targets with `wake` only. */
  readonly wakeTimeout?: number;
}

export const DISCOVERY_TYPES = ['http', 'grpc', 'dns', 'kubernetes', 'agones_allocation'] as const;
export type DiscoveryType = (typeof DISCOVERY_TYPES)[number];
export const AGONES_SCHEDULING = ['Packed', 'Distributed'] as const;

/**
 * Where a route's targets come from. One flat shape for all types: `type` says which options apply
 * (the schema refuses options of another type). Durations in milliseconds.
 */
export interface DiscoveryConfig {
  readonly type: DiscoveryType;
  readonly refreshInterval: number;
  readonly timeout: number;
  /** http: the URL answering `{ "targets": [...] }`. */
  readonly url?: string;
  /** grpc: `host:port` of the adapter service. */
  readonly address?: string;
  /** dns: the name to resolve (`_minecraft._tcp.example.com` for SRV). */
  readonly name?: string;
  /** dns: `srv` (port from the record) or `a` / `aaaa` (with `port`). */
  readonly recordType?: 'srv' | 'a' | 'aaaa';
  /** dns a/aaaa: the target port; kubernetes: the port players connect to. */
  readonly port?: number;
  /** dns: resolvers as `ip` or `ip:port` (default: the system's). */
  readonly servers?: readonly string[];
  /** kubernetes: `pods` or Agones `gameservers`. */
  readonly resource?: 'pods' | 'gameservers';
  readonly namespace?: string;
  readonly labelSelector?: string;
  /**
   * kubernetes: the API server (default: the in-cluster service from the environment); the router uses
   * it only when passage.toml allows it. The bearer token never comes from a table.
   */
  readonly apiUrl?: string;
  /** agones_allocation: label sets (`matchLabels`) a GameServer must match, in order of preference. */
  readonly selectors?: readonly Readonly<Record<string, string>>[];
  /** agones_allocation: `Packed` (fill busy nodes first) or `Distributed` (spread). */
  readonly scheduling?: (typeof AGONES_SCHEDULING)[number];
  /** agones_allocation: further attempts after a transient failure (network, 5xx, 429, Contention). */
  readonly retries?: number;
}

export interface StatusAdapterConfig {
  readonly type: 'http' | 'grpc';
  readonly url?: string;
  readonly address?: string;
  /** How long a fetched status is served before it is fetched again (ms). */
  readonly cacheTtl: number;
  readonly timeout: number;
}

export interface StrategyAdapterConfig {
  readonly type: 'grpc';
  readonly address: string;
  /** The player waits at most this long for Apply; then the route's own strategy chooses (ms). */
  readonly timeout: number;
}

/** How a relay rewrites the handshake host: keep it, a fixed name, or the host of the target used. */
export type DomainRewrite = 'none' | 'from_backend' | { readonly explicit: string };

/** Relay deadlines in milliseconds; absent ones take the defaults in router/relay/limits.ts. */
export interface RelayTimeouts {
  /** Per target address tried. */
  readonly connect?: number;
  /** No bytes from the backend for this long ends the session. */
  readonly read?: number;
  /** A peer that does not take what we write for this long ends the session. */
  readonly write?: number;
}

export interface RoutingTable {
  readonly tableId: string;
  readonly version: number;
  /** Milliseconds since the epoch; absent for unsigned local files. */
  readonly issuedAt?: number;
  readonly expiresAt?: number;
  readonly routes: readonly Route[];
  /** Player-facing text overrides: locale (`de_de` or `de`) → message key → text. */
  readonly messages?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Locale for messages sent before the client tells its own (default `en_us`). */
  readonly defaultLocale?: string;
}
