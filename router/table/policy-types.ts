// Edge policy of a route: who may log in (access lists, maintenance bypass, a login hook), how the
// route authenticates, and which targets it may send players to (target_filter). Resolution is pure
// (router/routing/access.ts, router/routing/target-filter.ts); the hook call is router/adapters/login-hook.ts.

export const AUTH_MODES = ['online', 'offline'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

export const TARGET_FILTER_OPS = ['equals', 'not_equals', 'exists', 'not_exists', 'in', 'not_in'] as const;
export type TargetFilterOp = (typeof TARGET_FILTER_OPS)[number];

/** One condition on a target's `meta`; a target must meet every condition of the route's filter. */
export interface TargetFilter {
  readonly key: string;
  readonly op: TargetFilterOp;
  /** A string for equals / not_equals; a list for in / not_in (a string is a list of one); absent for exists / not_exists. */
  readonly value?: string | readonly string[];
}

/** `[routes.access]`: names match case-insensitively, UUIDs with or without dashes. */
export interface RouteAccess {
  /** Non-empty: only these players may log in (a whitelist). */
  readonly allowPlayers?: readonly string[];
  /** Refused after authentication. */
  readonly denyPlayers?: readonly string[];
  /** CIDRs (or bare addresses) refused at the handshake, before anything costly. */
  readonly denyIps?: readonly string[];
  /** Shown to refused players instead of the localized `access_denied`. */
  readonly message?: string;
}

export const LOGIN_HOOK_ON_ERROR = ['allow', 'deny'] as const;

/** `[routes.login_hook]`: asked once per login, after authentication and before the transfer. */
export interface LoginHookConfig {
  /** http(s): POST JSON here. */
  readonly url?: string;
  /** gRPC: `host:port` of a RouteAdapter service (its `Login` call). */
  readonly address?: string;
  /** ms */
  readonly timeout: number;
  /** What a failed, slow or garbled answer means. */
  readonly onError: (typeof LOGIN_HOOK_ON_ERROR)[number];
}
