// The edge-policy keys of a route (`auth`, `maintenance_bypass`, `target_filter`, `[routes.access]`,
// `[routes.login_hook]`). Everything here is bounded: list lengths, string lengths, and only names,
// UUIDs and CIDRs (no regular expressions, so no table can make matching slow).
import { parseDuration } from '../config/duration.ts';
import { textProblem } from './bounds.ts';
import { parseCidr } from './cidr.ts';
import { readAdapterAddress, readHttpUrl } from './schema-adapters.ts';
import { child, Context, describe, oneOf, readArray, readObject, type Fields } from './schema-kit.ts';
import { LOGIN_HOOK_ON_ERROR, TARGET_FILTER_OPS, type LoginHookConfig, type RouteAccess, type TargetFilter } from './policy-types.ts';
import type { Route } from './types.ts';

/** Whitelists of a large network fit; a table is capped in bytes as well ([table] max_bytes). */
export const MAX_PLAYER_LIST_ENTRIES = 10_000;
export const MAX_DENY_IPS = 1_000;
export const MAX_TARGET_FILTERS = 32;
export const MAX_FILTER_VALUES = 64;
export const MAX_META_KEY_CHARS = 64;
export const MAX_META_VALUE_CHARS = 256;
/** The message is one line of a disconnect screen. */
export const MAX_ACCESS_MESSAGE_CHARS = 1024;
export const MIN_HOOK_TIMEOUT_MS = 100;
export const MAX_HOOK_TIMEOUT_MS = 30_000;
export const DEFAULT_HOOK_TIMEOUT_MS = 1_000;

/** A Minecraft name (the client allows 16 characters of letters, digits and "_"). */
const PLAYER_NAME = /^[A-Za-z0-9_]{1,16}$/;
const UUID_DASHED = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const UUID_PLAIN = /^[0-9a-fA-F]{32}$/;

export function isPlayerName(s: string): boolean {
  return PLAYER_NAME.test(s);
}

export function isPlayerUuid(s: string): boolean {
  return UUID_DASHED.test(s) || UUID_PLAIN.test(s);
}

const ACCESS_FIELDS: Fields<RouteAccess> = {
  allowPlayers: { key: 'allow_players', read: readPlayerList },
  denyPlayers: { key: 'deny_players', read: readPlayerList },
  denyIps: { key: 'deny_ips', read: readDenyIps },
  message: { key: 'message', read: readAccessMessage },
};

const LOGIN_HOOK_FIELDS: Fields<LoginHookConfig> = {
  url: { key: 'url', read: readHttpUrl },
  address: { key: 'address', read: readAdapterAddress },
  timeout: { key: 'timeout', default: DEFAULT_HOOK_TIMEOUT_MS, read: readHookTimeout },
  onError: { key: 'on_error', default: 'allow', read: oneOf(LOGIN_HOOK_ON_ERROR) },
};

const TARGET_FILTER_FIELDS: Fields<TargetFilter> = {
  key: { key: 'key', required: true, read: readMetaKey },
  op: { key: 'op', required: true, read: oneOf(TARGET_FILTER_OPS) },
  value: { key: 'value', read: readFilterValue },
};

/** Names or UUIDs (with or without dashes), as written; matching normalizes them. */
export function readPlayerList(raw: unknown, at: string, ctx: Context): string[] | undefined {
  if (Array.isArray(raw) && raw.length > MAX_PLAYER_LIST_ENTRIES) return ctx.fail(at, `has ${raw.length} entries, the limit is ${MAX_PLAYER_LIST_ENTRIES}`);
  return readArray(raw, at, ctx, (item, itemAt, c) => {
    if (typeof item === 'string' && (isPlayerName(item) || isPlayerUuid(item))) return item;
    return c.fail(itemAt, `must be a player name (1 to 16 letters, digits or "_") or a UUID, got ${describe(item)}`);
  });
}

function readDenyIps(raw: unknown, at: string, ctx: Context): string[] | undefined {
  if (Array.isArray(raw) && raw.length > MAX_DENY_IPS) return ctx.fail(at, `has ${raw.length} entries, the limit is ${MAX_DENY_IPS}`);
  return readArray(raw, at, ctx, (item, itemAt, c) => {
    if (typeof item === 'string' && item.length <= 64 && parseCidr(item) !== undefined) return item;
    return c.fail(itemAt, `must be a CIDR like "203.0.113.0/24" or "2001:db8::/32", or an IP address, got ${describe(item)}`);
  });
}

function readAccessMessage(raw: unknown, at: string, ctx: Context): string | undefined {
  if (typeof raw !== 'string' || raw.length === 0) return ctx.fail(at, `must be a non-empty string, got ${describe(raw)}`);
  if (raw.length > MAX_ACCESS_MESSAGE_CHARS) return ctx.fail(at, `is ${raw.length} characters, the limit is ${MAX_ACCESS_MESSAGE_CHARS}`);
  const problem = textProblem(raw);
  return problem === undefined ? raw : ctx.fail(at, problem);
}

export function readAccess(raw: unknown, at: string, ctx: Context): RouteAccess | undefined {
  return readObject(raw, at, ctx, ACCESS_FIELDS);
}


function readHookTimeout(raw: unknown, at: string, ctx: Context): number | undefined {
  const ms = parseDuration(raw);
  if (ms === undefined || ms < MIN_HOOK_TIMEOUT_MS || ms > MAX_HOOK_TIMEOUT_MS) {
    return ctx.fail(at, `must be a duration from ${MIN_HOOK_TIMEOUT_MS}ms to ${MAX_HOOK_TIMEOUT_MS / 1000}s (a string like "1s", "500ms"), got ${describe(raw)}`);
  }
  return ms;
}

export function readLoginHook(raw: unknown, at: string, ctx: Context): LoginHookConfig | undefined {
  const hook = readObject(raw, at, ctx, LOGIN_HOOK_FIELDS);
  if (hook === undefined) return undefined;
  if ((hook.url === undefined) === (hook.address === undefined)) return ctx.fail(at, 'needs exactly one of url (HTTP POST) and address (the gRPC Login call)');
  return hook;
}

function readMetaKey(raw: unknown, at: string, ctx: Context): string | undefined {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_META_KEY_CHARS) return ctx.fail(at, `must be a string of 1 to ${MAX_META_KEY_CHARS} characters, got ${describe(raw)}`);
  return raw;
}

function readFilterString(raw: unknown, at: string, ctx: Context): string | undefined {
  // TOML makes `value = 3` natural to write; meta values are strings either way.
  const value = typeof raw === 'number' && Number.isFinite(raw) ? String(raw) : raw;
  if (typeof value !== 'string' || value.length > MAX_META_VALUE_CHARS) return ctx.fail(at, `must be a string of at most ${MAX_META_VALUE_CHARS} characters, got ${describe(raw)}`);
  return value;
}

function readFilterValue(raw: unknown, at: string, ctx: Context): string | string[] | undefined {
  if (!Array.isArray(raw)) return readFilterString(raw, at, ctx);
  if (raw.length > MAX_FILTER_VALUES) return ctx.fail(at, `has ${raw.length} values, the limit is ${MAX_FILTER_VALUES}`);
  return readArray(raw, at, ctx, readFilterString);
}

function readTargetFilterItem(raw: unknown, at: string, ctx: Context): TargetFilter | undefined {
  const f = readObject(raw, at, ctx, TARGET_FILTER_FIELDS);
  if (f === undefined) return undefined;
  const valueAt = child(at, 'value');
  if (f.op === 'exists' || f.op === 'not_exists') {
    return f.value === undefined ? f : ctx.fail(valueAt, `does not apply to op "${f.op}"`);
  }
  if (f.value === undefined) return ctx.fail(valueAt, `is required for op "${f.op}"`);
  if ((f.op === 'equals' || f.op === 'not_equals') && typeof f.value !== 'string') return ctx.fail(valueAt, `must be one string for op "${f.op}" (use "in" for a list)`);
  if (f.op === 'in' || f.op === 'not_in') return { ...f, value: typeof f.value === 'string' ? [f.value] : f.value };
  return f;
}

export function readTargetFilter(raw: unknown, at: string, ctx: Context): TargetFilter[] | undefined {
  if (Array.isArray(raw) && raw.length > MAX_TARGET_FILTERS) return ctx.fail(at, `has ${raw.length} conditions, the limit is ${MAX_TARGET_FILTERS}`);
  return readArray(raw, at, ctx, readTargetFilterItem);
}

/**
 * Rules a relayed client could not honour: a relay reads an unauthenticated Login Start, so names,
 * UUIDs and the hook cannot be checked for it. A passthrough route takes deny_ips only; a transfer
 * route with a whitelist or a hook must not relay its old clients past them.
 */
export function checkPolicyOptions(route: Route | undefined, at: string, ctx: Context): Route | undefined {
  if (route === undefined) return undefined;
  const before = ctx.problems.length;
  const playerRules: [string, boolean][] = [
    ['auth', route.auth !== undefined],
    ['maintenance_bypass', (route.maintenanceBypass?.length ?? 0) > 0],
    ['access.allow_players', (route.access?.allowPlayers?.length ?? 0) > 0],
    ['access.deny_players', (route.access?.denyPlayers?.length ?? 0) > 0],
    ['login_hook', route.loginHook !== undefined],
  ];
  if (route.mode === 'passthrough') {
    for (const [key, set] of playerRules) {
      if (set) ctx.fail(`${at}.${key}`, 'does not apply to passthrough routes (a relay never authenticates the player; deny_ips does apply)');
    }
  } else if (route.fallback === 'passthrough') {
    for (const [key, set] of playerRules.filter(([k]) => k === 'access.allow_players' || k === 'login_hook')) {
      if (set) ctx.fail(`${at}.${key}`, 'cannot be combined with fallback = "passthrough": relayed old clients would skip it');
    }
  }
  return ctx.problems.length === before ? route : undefined;
}
