// Turns a routing-table document (snake_case, from TOML or from a verified signed payload) into the
// model in types.ts. Every problem is collected with its path, then reported at once, so an operator
// fixes a table in one round. Unknown keys are errors: a typo such as `stauts` must not silently fall
// back to a default.

import { isIP } from 'node:net';
import { parseDuration } from '../config/duration.ts';
import { MESSAGE_KEYS } from '../messages/catalog.ts';
import { MAX_FAVICON_URI_CHARS, MAX_VERSION_NAME_CHARS, statusJsonProblem, textProblem } from './bounds.ts';
import { TableValidationError } from './errors.ts';
import { readDiscovery, readStatusAdapter, readStrategyAdapter } from './schema-adapters.ts';
import { checkPolicyOptions, readAccess, readLoginHook, readPlayerList, readTargetFilter } from './schema-policy.ts';
import { AUTH_MODES } from './policy-types.ts';
import { checkWake, readWake, readWakeTimeout } from './schema-wake.ts';
import {
  child,
  claimHost,
  Context,
  describe,
  describeReader,
  DURATION_SCHEMA,
  fieldsSchema,
  isPlainObject,
  oneOf,
  readArray,
  readBoolean,
  readEndpoint,
  readFileReference,
  readObject,
  readText,
  type Fields,
  type JsonSchema,
  type TableOrigin,
} from './schema-kit.ts';
import { KeyTable } from './key-table.ts';
import { isHostname, MAX_HOST_LENGTH, parseRfc3339, type Endpoint } from './syntax.ts';
import {
  FORWARDING_MODES,
  STRATEGIES,
  type DomainRewrite,
  type RelayTimeouts,
  type ResourcePack,
  type Route,
  type RouteMode,
  type RouteStatus,
  type RoutingTable,
  type StrategyName,
  type Target,
} from './types.ts';

export const ROUTE_MODES = ['transfer', 'passthrough'] as const satisfies readonly RouteMode[];
export const DEFAULT_MODE: RouteMode = 'transfer';
export const DEFAULT_STRATEGY: StrategyName = 'priority';
export const DEFAULT_MOTD = 'A Minecraft network';
/** Table ids end up in DynamoDB keys and route/target ids in metric labels: keep them short. */
export const MAX_ID_LENGTH = 64;
/** The client reads max_players into a Java int. */
export const MAX_PLAYERS_LIMIT = 2 ** 31 - 1;
export const PNG_DATA_URI_PREFIX = 'data:image/png;base64,';

const DEFAULT_STATUS: RouteStatus = Object.freeze({ motd: DEFAULT_MOTD, maxPlayers: 0 });

// ---------------------------------------------------------------------------------------------------
// The known keys of every level. To add a key: add an optional field to the model in types.ts, then one
// line here (the compiler insists on both). `key` is the document name, `read` validates and converts.

const TABLE_FIELDS: Fields<RoutingTable> = {
  tableId: { key: 'table_id', required: true, read: readTableId },
  version: { key: 'version', required: true, read: readVersion },
  issuedAt: { key: 'issued_at', required: whenSigned, read: readTimestamp },
  expiresAt: { key: 'expires_at', required: whenSigned, read: readTimestamp },
  routes: { key: 'routes', required: true, read: readRoutes },
  messages: { key: 'messages', read: readMessages },
  defaultLocale: { key: 'default_locale', read: readLocale },
};

const ROUTE_FIELDS: Fields<Route> = {
  id: { key: 'id', required: true, read: readId },
  hosts: { key: 'hosts', required: true, read: readHosts },
  mode: { key: 'mode', default: DEFAULT_MODE, read: oneOf(ROUTE_MODES) },
  strategy: { key: 'strategy', default: DEFAULT_STRATEGY, read: oneOf(STRATEGIES) },
  status: { key: 'status', default: DEFAULT_STATUS, read: readStatus },
  targets: { key: 'targets', default: Object.freeze([]), read: readTargets },
  resourcePacks: { key: 'resource_packs', read: readResourcePacks },
  sendProxyProtocol: { key: 'send_proxy_protocol', read: readBoolean },
  domainRewrite: { key: 'domain_rewrite', read: readDomainRewrite },
  forwarding: { key: 'forwarding', read: oneOf(FORWARDING_MODES) },
  maxPlayers: { key: 'max_players', read: readMaxPlayers },
  disconnectMessage: { key: 'disconnect_message', read: readMotd },
  timeouts: { key: 'timeouts', read: readRelayTimeouts },
  fallback: { key: 'fallback', read: oneOf(['passthrough'] as const) },
  maintenance: { key: 'maintenance', default: false, read: readBoolean },
  discovery: { key: 'discovery', read: readDiscovery },
  statusAdapter: { key: 'status_adapter', read: readStatusAdapter },
  strategyAdapter: { key: 'strategy_adapter', read: readStrategyAdapter },
  auth: { key: 'auth', read: oneOf(AUTH_MODES) },
  maintenanceBypass: { key: 'maintenance_bypass', read: readPlayerList },
  targetFilter: { key: 'target_filter', read: readTargetFilter },
  access: { key: 'access', read: readAccess },
  loginHook: { key: 'login_hook', read: readLoginHook },
  wakeTimeout: { key: 'wake_timeout', read: readWakeTimeout },
};

const RELAY_TIMEOUT_FIELDS: Fields<RelayTimeouts> = {
  connect: { key: 'connect', read: readRelayDuration },
  read: { key: 'read', read: readRelayDuration },
  write: { key: 'write', read: readRelayDuration },
};

const RESOURCE_PACK_FIELDS: Fields<ResourcePack> = {
  id: { key: 'id', required: true, read: readUuid },
  url: { key: 'url', required: true, read: readPackUrl },
  hash: { key: 'hash', required: true, read: readSha1 },
  forced: { key: 'forced', default: false, read: readBoolean },
  prompt: { key: 'prompt', read: readMotd },
};

const STATUS_FIELDS: Fields<RouteStatus> = {
  motd: { key: 'motd', default: DEFAULT_MOTD, read: readMotd },
  maxPlayers: { key: 'max_players', default: 0, read: readMaxPlayers },
  favicon: { key: 'favicon', read: readFavicon },
  versionName: { key: 'version_name', read: readVersionName },
  sleepingMotd: { key: 'sleeping_motd', read: readMotd },
};

/** A target as the document spells it: `address` is split into host and port afterwards. */
type TargetFields = Omit<Target, 'address' | 'host' | 'port'> & { readonly endpoint: Endpoint };

const TARGET_FIELDS: Fields<TargetFields> = {
  id: { key: 'id', required: true, read: readId },
  endpoint: { key: 'address', required: true, read: readEndpoint },
  priority: { key: 'priority', default: 0, read: readPriority },
  meta: { key: 'meta', default: Object.freeze({}), read: readMeta },
  wake: { key: 'wake', read: readWake },
};

// ---------------------------------------------------------------------------------------------------

export interface ParseOptions {
  /** Signed tables must carry issued_at and expires_at; local unsigned files need not. */
  readonly requireExpiry?: boolean;
  /** Whether the document may name files beside it (see TableOrigin); default: `remote` when requireExpiry, else `local`. */
  readonly origin?: TableOrigin;
}

export function parseRoutingTable(doc: unknown, opts: ParseOptions = {}): RoutingTable {
  const ctx = new Context(opts.requireExpiry === true, opts.origin);
  const table = readObject(doc, '', ctx, TABLE_FIELDS);
  if (table?.issuedAt !== undefined && table.expiresAt !== undefined && table.expiresAt <= table.issuedAt) {
    ctx.fail('expires_at', 'must be later than issued_at');
  }
  if (table === undefined || ctx.problems.length > 0) throw new TableValidationError(ctx.problems);
  return table;
}

function whenSigned(ctx: Context): boolean {
  return ctx.requireExpiry;
}

// --- table -----------------------------------------------------------------------------------------

const TABLE_ID_PATTERN = /^[a-z0-9_-]+$/;
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

function readTableId(raw: unknown, at: string, ctx: Context): string | undefined {
  if (typeof raw !== 'string') return ctx.fail(at, `must be a string, got ${describe(raw)}`);
  if (raw.length === 0 || raw.length > MAX_ID_LENGTH || !TABLE_ID_PATTERN.test(raw)) {
    return ctx.fail(at, `must be 1 to ${MAX_ID_LENGTH} characters of a-z, 0-9, "_" and "-", got ${JSON.stringify(raw)}`);
  }
  return raw;
}

function readId(raw: unknown, at: string, ctx: Context): string | undefined {
  if (typeof raw !== 'string') return ctx.fail(at, `must be a string, got ${describe(raw)}`);
  if (raw.length > MAX_ID_LENGTH || !ID_PATTERN.test(raw)) {
    return ctx.fail(
      at,
      `must be 1 to ${MAX_ID_LENGTH} characters of letters, digits, "_", "-" and ".", starting with a letter or digit, got ${JSON.stringify(raw)}`,
    );
  }
  return raw;
}

function readVersion(raw: unknown, at: string, ctx: Context): number | undefined {
  if (typeof raw !== 'number' || !Number.isSafeInteger(raw) || raw < 0) {
    return ctx.fail(at, `must be a non-negative integer, got ${describe(raw)}`);
  }
  return raw;
}

function readTimestamp(raw: unknown, at: string, ctx: Context): number | undefined {
  if (raw instanceof Date) return ctx.fail(at, 'must be an RFC 3339 string (quote the date in TOML)');
  if (typeof raw !== 'string') return ctx.fail(at, `must be an RFC 3339 date-time string, got ${describe(raw)}`);
  const ms = parseRfc3339(raw);
  if (ms === undefined) return ctx.fail(at, `must be an RFC 3339 date-time like "2025-01-31T12:00:00Z", got ${JSON.stringify(raw)}`);
  return ms;
}

function readRoutes(raw: unknown, at: string, ctx: Context): Route[] | undefined {
  // Route ids are claimed in a key table (a table may have 100,000 routes), as TableAssembler does.
  return readArray(raw, at, ctx, (item, itemAt, _, i) => parseRouteDocument(item, itemAt, i!, ctx), { uniqueIds: new KeyTable() });
}

/**
 * One route document as parseRoutingTable reads `routes[i]`, with problems collected in `ctx`: its
 * fields, then the rules between them (relay options, player rules a relay cannot honour, wake). Its
 * hosts are checked against the hosts `ctx` has seen; route ids are the caller's to keep unique
 * (TableAssembler). The one reader of a route, whether the table came whole or in chunks.
 */
export function parseRouteDocument(raw: unknown, at: string, index: number, ctx: Context): Route | undefined {
  ctx.route = index;
  return checkWake(checkPolicyOptions(checkRelayOptions(readObject(raw, at, ctx, ROUTE_FIELDS), at, ctx), at, ctx), at, ctx);
}

// --- route -----------------------------------------------------------------------------------------

function readHosts(raw: unknown, at: string, ctx: Context): string[] | undefined {
  return exactLength(readArray(raw, at, ctx, readHost, { nonEmpty: true }));
}

/**
 * A copy that holds just its items. readArray grows its result by push, which reserves 17 slots at the
 * first item: on the hosts and targets of every route of a 100,000-route table, 240 bytes a route.
 */
function exactLength<V>(items: V[] | undefined): V[] | undefined {
  return items?.slice();
}

function readHost(raw: unknown, at: string, ctx: Context, index = 0): string | undefined {
  if (typeof raw !== 'string') return ctx.fail(at, `must be a string, got ${describe(raw)}`);
  // The router lower-cases the handshake host before the lookup, so the table must hold lower case.
  const host = raw.toLowerCase();
  const problem = hostProblem(host);
  if (problem !== undefined) return ctx.fail(at, problem);
  return claimHost(host, at, index, ctx) ? host : undefined;
}

function hostProblem(host: string): string | undefined {
  if (host.length > MAX_HOST_LENGTH) return `is ${host.length} characters, the limit is ${MAX_HOST_LENGTH}`;
  if (host === '*' || isIP(host) !== 0) return undefined;
  if (host.endsWith('.')) return `must not end with "." (the router strips it from the handshake host), got ${JSON.stringify(host)}`;
  const name = host.startsWith('*.') ? host.slice(2) : host;
  if (isHostname(name)) return undefined;
  return `must be a hostname, an IP address, "*" or "*.domain", got ${JSON.stringify(host)}`;
}

function readTargets(raw: unknown, at: string, ctx: Context): Target[] | undefined {
  return exactLength(readArray(raw, at, ctx, readTarget, { uniqueIds: true }));
}

function readTarget(raw: unknown, at: string, ctx: Context): Target | undefined {
  const fields = readObject(raw, at, ctx, TARGET_FIELDS);
  if (fields === undefined) return undefined;
  const { id, endpoint, priority, meta, wake } = fields;
  // One literal: its properties live inside the object (adding them one by one would spill some into a
  // second allocation). A backend host often serves many routes (on different ports): one string for all.
  const host = ctx.values.string(endpoint.host);
  return wake === undefined
    ? { id, priority, meta, address: endpoint.address, host, port: endpoint.port }
    : { id, priority, meta, wake, address: endpoint.address, host, port: endpoint.port };
}

// --- status ----------------------------------------------------------------------------------------

function readStatus(raw: unknown, at: string, ctx: Context): RouteStatus | undefined {
  const status = readObject(raw, at, ctx, STATUS_FIELDS);
  // A favicon path is measured once the file source has loaded it.
  if (status === undefined || (status.favicon !== undefined && !status.favicon.startsWith('data:'))) return status;
  const problem = statusJsonProblem(status);
  return problem === undefined ? status : ctx.fail(at, problem);
}

function readVersionName(raw: unknown, at: string, ctx: Context): string | undefined {
  const name = readText(raw, at, ctx);
  if (name === undefined || name.length <= MAX_VERSION_NAME_CHARS) return name;
  return ctx.fail(at, `is ${name.length} characters, the limit is ${MAX_VERSION_NAME_CHARS}`);
}

/** MOTD, disconnect text, pack prompt: a text that fits every packet that may carry it. */
function readMotd(raw: unknown, at: string, ctx: Context): unknown {
  const text = readTextValue(raw, at, ctx);
  if (text === undefined) return undefined;
  const problem = textProblem(text);
  return problem === undefined ? text : ctx.fail(at, problem);
}

function readTextValue(raw: unknown, at: string, ctx: Context): unknown {
  if (typeof raw === 'string') {
    // Only a string that parses as a JSON object or array is a text component: "[EU] Survival" is plain text.
    const first = raw.trimStart()[0];
    if (first === '{' || first === '[') {
      try {
        return JSON.parse(raw) as unknown;
      } catch {
        return raw;
      }
    }
    return raw;
  }
  if (typeof raw === 'object' && raw !== null && (Array.isArray(raw) || isPlainObject(raw))) return raw;
  return ctx.fail(at, `must be a string or a JSON text component, got ${describe(raw)}`);
}

function readMaxPlayers(raw: unknown, at: string, ctx: Context): number | undefined {
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 0 || raw > MAX_PLAYERS_LIMIT) {
    return ctx.fail(at, `must be an integer from 0 to ${MAX_PLAYERS_LIMIT}, got ${describe(raw)}`);
  }
  return raw;
}

const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function readFavicon(raw: unknown, at: string, ctx: Context): string | undefined {
  if (typeof raw !== 'string' || raw.length === 0) return ctx.fail(at, `must be a PNG file path or a ${PNG_DATA_URI_PREFIX} URI, got ${describe(raw)}`);
  if (raw.length > MAX_FAVICON_URI_CHARS) return ctx.fail(at, `is ${raw.length} characters, the limit is ${MAX_FAVICON_URI_CHARS} (a 64 KiB PNG as a data URI)`);
  if (raw.startsWith(PNG_DATA_URI_PREFIX)) {
    const body = raw.slice(PNG_DATA_URI_PREFIX.length);
    if (body.length === 0 || !BASE64_PATTERN.test(body)) return ctx.fail(at, 'has a data URI whose body is not base64');
    // Routes of one provider tend to share one icon, tens of KiB each: keep one copy.
    return ctx.values.string(raw);
  }
  // Any other data URI would otherwise be taken for a file name.
  if (raw.startsWith('data:')) return ctx.fail(at, `must be a PNG: a data URI must start with "${PNG_DATA_URI_PREFIX}"`);
  return readFileReference(raw, at, ctx, `a ${PNG_DATA_URI_PREFIX} URI (passagectl inlines favicon files when it signs)`);
}

// --- target ----------------------------------------------------------------------------------------

function readPriority(raw: unknown, at: string, ctx: Context): number | undefined {
  if (typeof raw !== 'number' || !Number.isSafeInteger(raw)) return ctx.fail(at, `must be an integer, got ${describe(raw)}`);
  return raw;
}

function readMeta(raw: unknown, at: string, ctx: Context): Record<string, string> | undefined {
  if (!isPlainObject(raw)) return ctx.fail(at, `must be a table of strings, got ${describe(raw)}`);
  const before = ctx.problems.length;
  const entries: [string, string][] = [];
  for (const [key, value] of Object.entries(raw)) {
    // TOML makes `players = 12` natural to write; strategies read the string either way.
    if (typeof value === 'string') entries.push([key, value]);
    else if (typeof value === 'number' && Number.isFinite(value)) entries.push([key, String(value)]);
    else ctx.fail(child(at, key), `must be a string or a number, got ${describe(value)}`);
  }
  if (ctx.problems.length !== before) return undefined;
  // Equal meta (same keys, order and values) is one object for every target that carries it.
  // fromEntries defines own properties, so a key named "__proto__" stays data.
  return ctx.values.object(() => `meta ${JSON.stringify(entries)}`, () => Object.fromEntries(entries));
}

// --- relay (passthrough routes and the old-client fallback) ---------------------------------------

/** Relay deadlines are at least this long: a smaller value is almost certainly a unit mistake. */
export const MIN_RELAY_TIMEOUT_MS = 100;
export const MAX_RELAY_TIMEOUT_MS = 24 * 3_600_000;

function checkRelayOptions(route: Route | undefined, at: string, ctx: Context): Route | undefined {
  if (route === undefined) return undefined;
  if (route.fallback !== undefined && route.mode !== 'transfer') {
    return ctx.fail(child(at, 'fallback'), 'only transfer routes have a fallback (a passthrough route relays every client)');
  }
  return route;
}

function readDomainRewrite(raw: unknown, at: string, ctx: Context): DomainRewrite | undefined {
  if (raw === 'none' || raw === 'from_backend') return raw;
  if (isPlainObject(raw) && Object.keys(raw).length === 1 && Object.hasOwn(raw, 'explicit')) {
    const host = readText(raw.explicit, child(at, 'explicit'), ctx);
    if (host === undefined) return undefined;
    if (host.length > MAX_HOST_LENGTH) return ctx.fail(child(at, 'explicit'), `is ${host.length} characters, the limit is ${MAX_HOST_LENGTH}`);
    return { explicit: host };
  }
  return ctx.fail(at, `must be "none", "from_backend" or { explicit = "host" }, got ${describe(raw)}`);
}

function readRelayTimeouts(raw: unknown, at: string, ctx: Context): RelayTimeouts | undefined {
  return readObject(raw, at, ctx, RELAY_TIMEOUT_FIELDS);
}

function readRelayDuration(raw: unknown, at: string, ctx: Context): number | undefined {
  const ms = parseDuration(raw);
  if (ms === undefined) return ctx.fail(at, `must be a duration (integer seconds or a string like "5s", "500ms"), got ${describe(raw)}`);
  if (ms < MIN_RELAY_TIMEOUT_MS || ms > MAX_RELAY_TIMEOUT_MS) {
    return ctx.fail(at, `must be from ${MIN_RELAY_TIMEOUT_MS}ms to 24h, got ${describe(raw)}`);
  }
  return ms;
}

// --- helpers ---------------------------------------------------------------------------------------

// --- resource packs and messages -------------------------------------------------------------------

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const LOCALE_PATTERN = /^[a-z]{2,3}(_[a-z0-9]{2,8})?$/;
/** The client sends its pack URL as a String(32767). */
const MAX_PACK_URL_LENGTH = 32767;

function readResourcePacks(raw: unknown, at: string, ctx: Context): ResourcePack[] | undefined {
  return readArray(raw, at, ctx, (item, itemAt, c) => readObject(item, itemAt, c, RESOURCE_PACK_FIELDS), { uniqueIds: true });
}

function readUuid(raw: unknown, at: string, ctx: Context): string | undefined {
  if (typeof raw !== 'string' || !UUID_PATTERN.test(raw.toLowerCase())) {
    return ctx.fail(at, `must be a UUID like "2f1c0e3a-5b7d-4c1e-9a2b-3c4d5e6f7a8b", got ${describe(raw)}`);
  }
  return raw.toLowerCase();
}

function readPackUrl(raw: unknown, at: string, ctx: Context): string | undefined {
  if (typeof raw !== 'string') return ctx.fail(at, `must be a string, got ${describe(raw)}`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return ctx.fail(at, `must be an http or https URL, got ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return ctx.fail(at, `must be an http or https URL, got scheme "${url.protocol}"`);
  if (raw.length > MAX_PACK_URL_LENGTH) return ctx.fail(at, `must be at most ${MAX_PACK_URL_LENGTH} characters, got ${raw.length}`);
  return raw;
}

function readSha1(raw: unknown, at: string, ctx: Context): string | undefined {
  if (typeof raw !== 'string' || !/^[0-9a-fA-F]{40}$/.test(raw)) return ctx.fail(at, `must be a SHA-1 of 40 hex digits, got ${describe(raw)}`);
  return raw.toLowerCase();
}

function readLocale(raw: unknown, at: string, ctx: Context): string | undefined {
  if (typeof raw !== 'string' || !LOCALE_PATTERN.test(raw.toLowerCase())) return ctx.fail(at, `must be a locale like "en_us" or "de", got ${describe(raw)}`);
  return raw.toLowerCase();
}

/** `messages.<locale>.<key> = "text"`: overrides or adds a locale; keys must exist in the catalog. */
function readMessages(raw: unknown, at: string, ctx: Context): Record<string, Record<string, string>> | undefined {
  if (!isPlainObject(raw)) return ctx.fail(at, `must be a table of locales, got ${describe(raw)}`);
  const before = ctx.problems.length;
  const out: Record<string, Record<string, string>> = {};
  for (const [locale, texts] of Object.entries(raw)) {
    const localeAt = child(at, locale);
    if (readLocale(locale, localeAt, ctx) === undefined) continue;
    if (!isPlainObject(texts)) {
      ctx.fail(localeAt, `must be a table of message keys, got ${describe(texts)}`);
      continue;
    }
    const entry: Record<string, string> = {};
    for (const [key, text] of Object.entries(texts)) {
      if (!(MESSAGE_KEYS as readonly string[]).includes(key)) ctx.fail(child(localeAt, key), `unknown message key (known: ${MESSAGE_KEYS.join(', ')})`);
      else if (typeof text !== 'string') ctx.fail(child(localeAt, key), `must be a string, got ${describe(text)}`);
      else {
        const problem = textProblem(text);
        if (problem === undefined) entry[key] = text;
        else ctx.fail(child(localeAt, key), problem);
      }
    }
    out[locale.toLowerCase()] = entry;
  }
  return ctx.problems.length === before ? out : undefined;
}

// --- adapters --------------------------------------------------------------------------------------


// --- JSON Schema for editors (passagectl schema) ----------------------------------------------------
// What each reader above accepts, for the generated schemas/routes.schema.json. Objects come from the
// Fields specs themselves, so a key added to a spec appears in the editor schema without listing it here.

const TEXT_SCHEMA = { anyOf: [{ type: 'string' }, { type: 'object' }, { type: 'array' }] };
const STRING_ID = { type: 'string', minLength: 1, maxLength: MAX_ID_LENGTH, pattern: ID_PATTERN.source };
describeReader(readTableId, { type: 'string', minLength: 1, maxLength: MAX_ID_LENGTH, pattern: TABLE_ID_PATTERN.source });
describeReader(readId, STRING_ID);
describeReader(readVersion, { type: 'integer', minimum: 0 });
describeReader(readTimestamp, { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}' });
describeReader(readRoutes, () => ({ type: 'array', items: fieldsSchema(ROUTE_FIELDS) }));
describeReader(readHosts, { type: 'array', minItems: 1, items: { type: 'string', minLength: 1, maxLength: MAX_HOST_LENGTH } });
describeReader(readTargets, () => ({ type: 'array', items: fieldsSchema(TARGET_FIELDS) }));
describeReader(readStatus, () => fieldsSchema(STATUS_FIELDS));
describeReader(readVersionName, { type: 'string', minLength: 1, maxLength: MAX_VERSION_NAME_CHARS });
describeReader(readMotd, TEXT_SCHEMA);
describeReader(readMaxPlayers, { type: 'integer', minimum: 0, maximum: MAX_PLAYERS_LIMIT });
describeReader(readFavicon, { type: 'string', minLength: 1, maxLength: MAX_FAVICON_URI_CHARS });
describeReader(readPriority, { type: 'integer' });
describeReader(readMeta, { type: 'object', additionalProperties: { type: ['string', 'number'] } });
describeReader(readDomainRewrite, {
  anyOf: [{ enum: ['none', 'from_backend'] }, { type: 'object', properties: { explicit: { type: 'string', minLength: 1, maxLength: MAX_HOST_LENGTH } }, required: ['explicit'], additionalProperties: false }],
});
describeReader(readRelayTimeouts, () => fieldsSchema(RELAY_TIMEOUT_FIELDS));
describeReader(readRelayDuration, DURATION_SCHEMA);
describeReader(readResourcePacks, () => ({ type: 'array', items: fieldsSchema(RESOURCE_PACK_FIELDS) }));
describeReader(readUuid, { type: 'string', pattern: UUID_PATTERN.source.replaceAll('[0-9a-f]', '[0-9a-fA-F]') });
describeReader(readPackUrl, { type: 'string', maxLength: MAX_PACK_URL_LENGTH, pattern: '^https?://' });
describeReader(readSha1, { type: 'string', pattern: '^[0-9a-fA-F]{40}$' });
describeReader(readLocale, { type: 'string', pattern: LOCALE_PATTERN.source.replaceAll('[a-z', '[a-zA-Z') });
describeReader(readMessages, {
  type: 'object',
  additionalProperties: { type: 'object', properties: Object.fromEntries(MESSAGE_KEYS.map((k) => [k, { type: 'string' }])), additionalProperties: false },
});

/** The JSON Schema of a routing-table document (routes.toml, or a signed table's payload). */
export function routingTableJsonSchema(): JsonSchema {
  return fieldsSchema(TABLE_FIELDS);
}
