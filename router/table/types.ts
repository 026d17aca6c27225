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

export interface Route {
  readonly id: string;
  /** Lower-case; `*` alone is the default route, `*.example.com` a wildcard. */
  readonly hosts: readonly string[];
  readonly mode: RouteMode;
  readonly strategy: StrategyName;
  readonly status: RouteStatus;
  readonly targets: readonly Target[];
}

export interface RoutingTable {
  readonly tableId: string;
  readonly version: number;
  /** Milliseconds since the epoch; absent for unsigned local files. */
  readonly issuedAt?: number;
  readonly expiresAt?: number;
  readonly routes: readonly Route[];
}
