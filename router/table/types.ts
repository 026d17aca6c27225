// The routing-table model the router runs on. The document form (TOML file or signed JSON) uses the
// snake_case names of the configuration contract; `parseRoutingTable` turns it into these types.

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
}

export interface RouteStatus {
  /** A plain string or a JSON text component (already parsed when the document held JSON text). */
  readonly motd: unknown;
  readonly maxPlayers: number;
  /** `data:image/png;base64,…` once loaded; file sources resolve a PNG path into this. */
  readonly favicon?: string;
  /** Shown as the version name in the server list (defaults to "Passage"). */
  readonly versionName?: string;
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
  /** Players relayed at once on this route by one router instance; 0 or absent: no cap. */
  readonly maxPlayers?: number;
  /** Shown when no target can be reached: plain text or a text component (default: localized no_target). */
  readonly disconnectMessage?: unknown;
  readonly timeouts?: RelayTimeouts;
  /** Transfer routes only: relay clients older than 1.20.5 to the targets instead of turning them away. */
  readonly fallback?: 'passthrough';
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
