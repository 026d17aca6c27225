// Where the connection phases apply a route's edge policy: refusals are counted by route and reason,
// logged at debug (the client IP only with `[log] player_ips = true`), and shown to the player as the
// route's `access.message`, the hook's message, or the localized default.
import { performance } from 'node:perf_hooks';
import { askLoginHook } from '../adapters/login-hook.ts';
import type { LoginHookRequest } from '../adapters/login-hook.ts';
import { events, publish } from '../events.ts';
import type { Route } from '../table/types.ts';
import type { Connection } from './connection.ts';

export type RefusalReason = 'deny_ip' | 'deny_player' | 'not_allowed' | 'maintenance' | 'hook_deny' | 'hook_error';

/** Refuses the login on `route`; `message` (from the hook) beats the route's own, which beats the catalog's. */
export function refuseLogin(conn: Connection, route: Route, reason: RefusalReason, player?: { name: string; id: string }, message?: string): void {
  publish(events.accessDenied, conn.ctx.source, { route: route.id, reason, connectionId: conn.id });
  logDecision(conn, route, `refused: ${reason}`, player);
  if (reason === 'maintenance') {
    conn.disconnect('maintenance', {}, `access:${reason}`);
    return;
  }
  const text = message ?? route.access?.message;
  if (text === undefined) conn.disconnect('access_denied', {}, `access:${reason}`);
  else conn.disconnectText(text, 'access_denied', `access:${reason}`);
}

export function logDecision(conn: Connection, route: Route, decision: string, player?: { name: string; id: string }): void {
  const log = conn.ctx.log;
  if (!log.isLevelEnabled('debug')) return;
  log.debug({
    route: route.id,
    ...(player === undefined ? {} : { player: player.name, uuid: player.id }),
    ...(conn.ctx.config.log.playerIps ? { client: conn.clientIp } : {}),
  }, `access ${decision}`);
}

/** What the configuration phase does after asking the hook: go on (perhaps to a given target), or stop (refused). */
export type HookDecision = { readonly kind: 'continue'; readonly target?: string } | { readonly kind: 'refused' };

/** Asks the route's login hook and applies its answer or `on_error`; never rejects. */
export async function runLoginHook(conn: Connection, route: Route, request: LoginHookRequest): Promise<HookDecision> {
  const hook = route.loginHook;
  if (hook === undefined) return { kind: 'continue' };
  const started = performance.now();
  const outcome = await askLoginHook(hook, request, conn.ctx.config.adapters);
  const player = { name: request.name, id: request.uuid };
  publish(events.loginHook, conn.ctx.source, {
    route: route.id, result: outcome.kind, durationSeconds: (performance.now() - started) / 1000, connectionId: conn.id,
    ...(outcome.kind === 'error' ? { code: outcome.code } : {}),
  });
  if (conn.state === 'closed') return { kind: 'refused' };
  switch (outcome.kind) {
    case 'allow':
      logDecision(conn, route, 'allowed by the login hook', player);
      return { kind: 'continue' };
    case 'target':
      logDecision(conn, route, `sent to ${outcome.target} by the login hook`, player);
      return { kind: 'continue', target: outcome.target };
    case 'deny':
      refuseLogin(conn, route, 'hook_deny', player, outcome.message);
      return { kind: 'refused' };
    case 'error':
      // Adapter messages hold no secrets (URLs are redacted) but can be long: debug only.
      if (conn.ctx.log.isLevelEnabled('debug')) conn.ctx.log.debug({ route: route.id, code: outcome.code, onError: hook.onError }, `login hook failed: ${outcome.message}`);
      if (hook.onError === 'allow') return { kind: 'continue' };
      refuseLogin(conn, route, 'hook_error', player);
      return { kind: 'refused' };
  }
}
