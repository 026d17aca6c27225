// Who may log in on a route: pure decisions over the route's policy and what is known about the
// player at each phase. The client IP is checked at the handshake (before RSA or a session-server
// call); names and UUIDs once the login is authenticated. Matchers are built once per Route object.
import type { BlockList } from 'node:net';
import { cidrBlockList } from '../table/cidr.ts';
import type { Route } from '../table/types.ts';

/** Why a login was refused: the metric label and the debug log's `reason`. */
export type AccessReason = 'deny_ip' | 'deny_player' | 'not_allowed' | 'maintenance';

/** A set of names (lower case) and UUIDs (32 hex digits, lower case). */
export interface PlayerSet {
  readonly names: ReadonlySet<string>;
  readonly ids: ReadonlySet<string>;
}

export interface Player {
  readonly name: string;
  /** With or without dashes. */
  readonly id: string;
}

/** 32 lower-case hex digits, or undefined when `text` is not a UUID. */
export function normalizeUuid(text: string): string | undefined {
  const lower = text.toLowerCase();
  if (/^[0-9a-f]{32}$/.test(lower)) return lower;
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(lower) ? lower.replaceAll('-', '') : undefined;
}

export function playerSet(entries: readonly string[]): PlayerSet {
  const names = new Set<string>();
  const ids = new Set<string>();
  for (const entry of entries) {
    const id = entry.length >= 32 ? normalizeUuid(entry) : undefined;
    if (id !== undefined) ids.add(id);
    else names.add(entry.toLowerCase());
  }
  return { names, ids };
}

export function inPlayerSet(set: PlayerSet, player: Player): boolean {
  if (set.names.has(player.name.toLowerCase())) return true;
  const id = normalizeUuid(player.id);
  return id !== undefined && set.ids.has(id);
}

interface RouteMatchers {
  readonly allow: PlayerSet | undefined;
  readonly deny: PlayerSet | undefined;
  readonly bypass: PlayerSet | undefined;
  readonly denyIps: BlockList | undefined;
}

const MATCHERS = new WeakMap<Route, RouteMatchers>();

function matchersOf(route: Route): RouteMatchers {
  let m = MATCHERS.get(route);
  if (m === undefined) {
    const { access, maintenanceBypass } = route;
    const nonEmpty = (list: readonly string[] | undefined): PlayerSet | undefined => (list === undefined || list.length === 0 ? undefined : playerSet(list));
    m = {
      allow: nonEmpty(access?.allowPlayers),
      deny: nonEmpty(access?.denyPlayers),
      bypass: nonEmpty(maintenanceBypass),
      denyIps: access?.denyIps === undefined || access.denyIps.length === 0 ? undefined : cidrBlockList(access.denyIps),
    };
    MATCHERS.set(route, m);
  }
  return m;
}

/** The handshake check: the client IP against `deny_ips` (IPv4-mapped IPv6 addresses match their IPv4 CIDRs). */
export function ipAccess(route: Route, ip: string): AccessReason | undefined {
  const list = matchersOf(route).denyIps;
  if (list === undefined) return undefined;
  const v4 = ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
  const family = v4.includes(':') ? 'ipv6' : 'ipv4';
  return list.check(v4, family) ? 'deny_ip' : undefined;
}

/** Maintenance with a bypass list lets the route's logins through to authentication; without one the handshake refuses them. */
export function maintenanceNeedsPlayer(route: Route): boolean {
  return route.maintenance === true && matchersOf(route).bypass !== undefined;
}

/**
 * The authenticated player against the route: a deny entry wins over everything, then the whitelist,
 * then maintenance (only bypass entries pass). Undefined: the player may go on.
 */
export function playerAccess(route: Route, player: Player): AccessReason | undefined {
  const m = matchersOf(route);
  if (m.deny !== undefined && inPlayerSet(m.deny, player)) return 'deny_player';
  if (m.allow !== undefined && !inPlayerSet(m.allow, player)) return 'not_allowed';
  if (route.maintenance === true && (m.bypass === undefined || !inPlayerSet(m.bypass, player))) return 'maintenance';
  return undefined;
}
