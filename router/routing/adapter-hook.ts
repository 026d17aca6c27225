// What route adapters (router/adapters/) give the connection handlers. The core depends on this shape
// only: a table without adapter routes has no hook, and every lookup below is then skipped.
import type { Route, RouteStatus, Target } from '../table/types.ts';

/** The player a strategy adapter chooses for. */
export interface PlayerInfo {
  readonly id: string;
  readonly name: string;
  readonly ip: string;
  readonly protocol: number;
  /** The host from the handshake. */
  readonly host: string;
  readonly locale?: string;
}

/** A status adapter's answer: the route's status, and the online count when the adapter reports one. */
export interface AdaptedStatus {
  readonly status: RouteStatus;
  readonly online?: number;
}

/**
 * `chosen`: transfer there. `none`: the adapter filtered every target out (the player is told there is
 * no server). `fallback`: the adapter failed or timed out; the route's own strategy chooses.
 */
export type AdapterChoice = { readonly kind: 'chosen'; readonly target: Target } | { readonly kind: 'none' } | { readonly kind: 'fallback' };

export interface RouteAdapterHook {
  /** The discovered targets (last good result); undefined when the route has no discovery or it has not answered yet. */
  targets(route: Route): readonly Target[] | undefined;
  /** The adapter's cached status; undefined: use the route's own. */
  status(route: Route): AdaptedStatus | undefined;
  /** True when the route's status may change without a table swap (it must not be cached per table). */
  dynamic(route: Route): boolean;
  /** Asks the route's strategy adapter; undefined when the route has none. Never rejects. */
  choose(route: Route, targets: readonly Target[], player: PlayerInfo): Promise<AdapterChoice> | undefined;
}
