// Adapter options of a route (`discovery`, `status_adapter`, `strategy_adapter`): one flat table per
// adapter; `type` decides which of the optional keys apply (ADAPTER_KEYS_BY_TYPE), so `url` on a dns
// discovery is reported, not ignored.

import { isIP } from 'node:net';
import { parseDuration } from '../config/duration.ts';
import { child, Context, describe, describeReader, DURATION_SCHEMA, fieldsSchema, isPlainObject, oneOf, readArray, readEndpoint, readObject, readText, type Fields, type JsonSchema } from './schema-kit.ts';
import { isHostname, parseEndpoint } from './syntax.ts';
import { AGONES_SCHEDULING, DISCOVERY_TYPES, type DiscoveryConfig, type StatusAdapterConfig, type StrategyAdapterConfig } from './types.ts';

// Adapter options: one flat table per adapter; `type` decides which of the optional keys apply
// (ADAPTER_KEYS_BY_TYPE below), so `url` on a dns discovery is reported, not ignored.
const DISCOVERY_FIELDS: Fields<DiscoveryConfig> = {
  type: { key: 'type', required: true, read: oneOf(DISCOVERY_TYPES) },
  refreshInterval: { key: 'refresh_interval', default: 10_000, read: readAdapterDuration },
  timeout: { key: 'timeout', default: 5_000, read: readAdapterDuration },
  url: { key: 'url', read: readHttpUrl },
  address: { key: 'address', read: readAdapterAddress },
  name: { key: 'name', read: readDnsName },
  recordType: { key: 'record_type', read: oneOf(['srv', 'a', 'aaaa'] as const) },
  port: { key: 'port', read: readPort },
  servers: { key: 'servers', read: readResolvers },
  resource: { key: 'resource', read: oneOf(['pods', 'gameservers'] as const) },
  namespace: { key: 'namespace', read: readText },
  labelSelector: { key: 'label_selector', read: readText },
  apiUrl: { key: 'api_url', read: readHttpUrl },
  selectors: { key: 'selectors', read: readSelectors },
  scheduling: { key: 'scheduling', read: oneOf(AGONES_SCHEDULING) },
  retries: { key: 'retries', read: readRetries },
};

/**
 * Keys a table may not hold at all, with what to do instead: credentials and local paths belong to the
 * router's own config, or any table (a signed one included) could make the router read a file and send it.
 */
const CONFIG_ONLY_KEYS: Record<string, string> = {
  token_file: 'is not allowed in a routing table: the Kubernetes token comes from passage.toml ([adapters.kubernetes] token_file) or the pod\'s service account',
};

const STATUS_ADAPTER_FIELDS: Fields<StatusAdapterConfig> = {
  type: { key: 'type', required: true, read: oneOf(['http', 'grpc'] as const) },
  url: { key: 'url', read: readHttpUrl },
  address: { key: 'address', read: readAdapterAddress },
  cacheTtl: { key: 'cache_ttl', default: 5_000, read: readAdapterDuration },
  timeout: { key: 'timeout', default: 2_000, read: readAdapterDuration },
};

const STRATEGY_ADAPTER_FIELDS: Fields<StrategyAdapterConfig> = {
  type: { key: 'type', required: true, read: oneOf(['grpc'] as const) },
  address: { key: 'address', required: true, read: readAdapterAddress },
  timeout: { key: 'timeout', default: 1_000, read: readAdapterDuration },
};

/** Keys each adapter type takes, besides `type`, `timeout` and `refresh_interval` / `cache_ttl`; the first ones listed are required. */
const ADAPTER_KEYS_BY_TYPE: Record<string, { readonly required: readonly string[]; readonly optional: readonly string[] }> = {
  http: { required: ['url'], optional: [] },
  grpc: { required: ['address'], optional: [] },
  dns: { required: ['name'], optional: ['record_type', 'port', 'servers'] },
  kubernetes: { required: [], optional: ['resource', 'namespace', 'label_selector', 'port', 'api_url'] },
  agones_allocation: { required: ['selectors'], optional: ['namespace', 'scheduling', 'port', 'api_url', 'retries'] },
};

const ADAPTER_COMMON_KEYS = ['type', 'timeout', 'refresh_interval', 'cache_ttl'];

function checkAdapterKeys(raw: unknown, at: string, ctx: Context, type: string): boolean {
  const spec = ADAPTER_KEYS_BY_TYPE[type];
  if (spec === undefined || !isPlainObject(raw)) return true;
  const before = ctx.problems.length;
  for (const key of spec.required) if (!Object.hasOwn(raw, key)) ctx.fail(child(at, key), `is required for type "${type}"`);
  for (const key of Object.keys(raw)) {
    if (!ADAPTER_COMMON_KEYS.includes(key) && !spec.required.includes(key) && !spec.optional.includes(key)) {
      ctx.fail(child(at, key), `does not apply to type "${type}"`);
    }
  }
  return ctx.problems.length === before;
}

export function readDiscovery(raw: unknown, at: string, ctx: Context): DiscoveryConfig | undefined {
  const before = ctx.problems.length;
  const rest = withoutConfigOnlyKeys(raw, at, ctx);
  const d = readObject(rest, at, ctx, DISCOVERY_FIELDS);
  if (d === undefined || !checkAdapterKeys(rest, at, ctx, d.type) || ctx.problems.length > before) return undefined;
  if (d.type === 'dns') {
    const recordType = d.recordType ?? 'srv';
    if (recordType !== 'srv' && d.port === undefined) return ctx.fail(child(at, 'port'), `is required for record_type "${recordType}"`);
    return { ...d, recordType };
  }
  if (d.type === 'kubernetes') return { ...d, resource: d.resource ?? 'pods', namespace: d.namespace ?? 'default' };
  if (d.type === 'agones_allocation') {
    return { ...d, namespace: d.namespace ?? 'default', scheduling: d.scheduling ?? 'Packed', retries: d.retries ?? DEFAULT_ALLOCATION_RETRIES };
  }
  return d;
}

export function readStatusAdapter(raw: unknown, at: string, ctx: Context): StatusAdapterConfig | undefined {
  const s = readObject(raw, at, ctx, STATUS_ADAPTER_FIELDS);
  return s !== undefined && checkAdapterKeys(raw, at, ctx, s.type) ? s : undefined;
}

export function readStrategyAdapter(raw: unknown, at: string, ctx: Context): StrategyAdapterConfig | undefined {
  return readObject(raw, at, ctx, STRATEGY_ADAPTER_FIELDS);
}

/** Reports each config-only key with its own message (not as "unknown key") and returns the other keys. */
function withoutConfigOnlyKeys(raw: unknown, at: string, ctx: Context): unknown {
  if (!isPlainObject(raw)) return raw;
  const found = Object.keys(raw).filter((key) => Object.hasOwn(CONFIG_ONLY_KEYS, key));
  if (found.length === 0) return raw;
  for (const key of found) ctx.fail(child(at, key), CONFIG_ONLY_KEYS[key]!);
  return Object.fromEntries(Object.entries(raw).filter(([key]) => !found.includes(key)));
}

export const DEFAULT_ALLOCATION_RETRIES = 2;
export const MAX_ALLOCATION_RETRIES = 5;
/** Bounds of an allocation's `selectors`: the request body the router writes stays small. */
export const MAX_SELECTORS = 8;
export const MAX_SELECTOR_LABELS = 16;
/** Kubernetes label syntax: an optional DNS-subdomain prefix (at most 253) and a name of at most 63. */
const LABEL_KEY = /^(?:[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;
export const MAX_LABEL_KEY_LENGTH = 253 + 1 + 63;
export const MAX_LABEL_VALUE_LENGTH = 63;

/** `selectors = [{ app = "minigame" }, …]`: each entry is one `matchLabels` set, tried in order by Agones. */
function readSelectors(raw: unknown, at: string, ctx: Context): Record<string, string>[] | undefined {
  if (Array.isArray(raw) && raw.length > MAX_SELECTORS) return ctx.fail(at, `has ${raw.length} selectors, the limit is ${MAX_SELECTORS}`);
  return readArray(raw, at, ctx, readLabelSet, { nonEmpty: true });
}

function readLabelSet(raw: unknown, at: string, ctx: Context): Record<string, string> | undefined {
  if (!isPlainObject(raw)) return ctx.fail(at, `must be a table of labels like { app = "minigame" }, got ${describe(raw)}`);
  const entries = Object.entries(raw);
  if (entries.length === 0) return ctx.fail(at, 'must name at least one label (an empty selector matches every GameServer)');
  if (entries.length > MAX_SELECTOR_LABELS) return ctx.fail(at, `has ${entries.length} labels, the limit is ${MAX_SELECTOR_LABELS}`);
  const before = ctx.problems.length;
  for (const [key, value] of entries) {
    if (key.length > MAX_LABEL_KEY_LENGTH || !LABEL_KEY.test(key)) ctx.fail(child(at, key), `is not a Kubernetes label key (at most ${MAX_LABEL_KEY_LENGTH} characters, "prefix/name")`);
    else if (typeof value !== 'string' || value.length > MAX_LABEL_VALUE_LENGTH || !LABEL_VALUE.test(value)) {
      ctx.fail(child(at, key), `must be a Kubernetes label value (at most ${MAX_LABEL_VALUE_LENGTH} letters, digits, "-", "_", "."), got ${describe(value)}`);
    }
  }
  return ctx.problems.length === before ? Object.fromEntries(entries as [string, string][]) : undefined;
}

function readRetries(raw: unknown, at: string, ctx: Context): number | undefined {
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 0 || raw > MAX_ALLOCATION_RETRIES) {
    return ctx.fail(at, `must be an integer from 0 to ${MAX_ALLOCATION_RETRIES}, got ${describe(raw)}`);
  }
  return raw;
}

/** Adapter timeouts and intervals: 100 ms to 24 h (a smaller value is almost certainly a unit mistake). */
function readAdapterDuration(raw: unknown, at: string, ctx: Context): number | undefined {
  const ms = parseDuration(raw);
  if (ms === undefined || ms < 100 || ms > 24 * 3_600_000) {
    return ctx.fail(at, `must be a duration from 100ms to 24h (integer seconds or a string like "5s", "500ms"), got ${describe(raw)}`);
  }
  return ms;
}

/** The value is not echoed: an adapter URL may carry a token, and problems reach /status and the log. */
/** An adapter's or hook's URL is at most this long: far above any real endpoint, a bound on what a table may carry. */
export const MAX_ADAPTER_URL_LENGTH = 2048;

/** The value is not echoed: a URL may carry a token, and problems reach /status and the log. */
export function readHttpUrl(raw: unknown, at: string, ctx: Context): string | undefined {
  if (typeof raw !== 'string') return ctx.fail(at, `must be an http or https URL, got ${describe(raw)}`);
  if (raw.length > MAX_ADAPTER_URL_LENGTH) return ctx.fail(at, `is ${raw.length} characters, the limit is ${MAX_ADAPTER_URL_LENGTH}`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return ctx.fail(at, 'must be an http or https URL, got a string that is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return ctx.fail(at, `must be an http or https URL, got scheme "${url.protocol.slice(0, 24)}"`);
  return raw;
}

/** A "host:port" an adapter or hook connects to, as written. */
export function readAdapterAddress(raw: unknown, at: string, ctx: Context): string | undefined {
  return readEndpoint(raw, at, ctx)?.address;
}

function readDnsName(raw: unknown, at: string, ctx: Context): string | undefined {
  if (typeof raw !== 'string') return ctx.fail(at, `must be a DNS name, got ${describe(raw)}`);
  const name = raw.toLowerCase().replace(/\.$/, '');
  return isHostname(name) ? name : ctx.fail(at, `must be a DNS name like "_minecraft._tcp.example.com", got ${JSON.stringify(raw)}`);
}

function readPort(raw: unknown, at: string, ctx: Context): number | undefined {
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 1 || raw > 65535) return ctx.fail(at, `must be a port from 1 to 65535, got ${describe(raw)}`);
  return raw;
}

/** DNS resolvers as `ip` or `ip:port` (`[v6]:port`), the forms node:dns `setServers` takes. */
function readResolvers(raw: unknown, at: string, ctx: Context): string[] | undefined {
  return readArray(raw, at, ctx, (item, itemAt) => {
    if (typeof item === 'string' && isIP(item) !== 0) return item;
    const endpoint = typeof item === 'string' ? parseEndpoint(item) : undefined;
    if (typeof endpoint === 'object' && isIP(endpoint.host) !== 0) return item as string;
    return ctx.fail(itemAt, `must be an IP address, optionally with a port ("127.0.0.1:5353", "[::1]:53"), got ${describe(item)}`);
  }, { nonEmpty: true });
}

// --- JSON Schema for editors (passagectl schema) ----------------------------------------------------

/** Per `type`: its required keys, and no keys of another type (ADAPTER_KEYS_BY_TYPE, as checkAdapterKeys). */
function byType(types: readonly string[]): JsonSchema[] {
  return types.flatMap((type) => {
    const spec = ADAPTER_KEYS_BY_TYPE[type];
    if (spec === undefined) return [];
    return [{
      if: { properties: { type: { const: type } }, required: ['type'] },
      then: { ...(spec.required.length === 0 ? {} : { required: [...spec.required] }), propertyNames: { enum: [...ADAPTER_COMMON_KEYS, ...spec.required, ...spec.optional] } },
    }];
  });
}

describeReader(readDiscovery, () => fieldsSchema(DISCOVERY_FIELDS, { allOf: byType(DISCOVERY_TYPES) }));
describeReader(readStatusAdapter, () => fieldsSchema(STATUS_ADAPTER_FIELDS, { allOf: byType(['http', 'grpc']) }));
describeReader(readStrategyAdapter, () => fieldsSchema(STRATEGY_ADAPTER_FIELDS));
describeReader(readAdapterDuration, DURATION_SCHEMA);
describeReader(readHttpUrl, { type: 'string', maxLength: MAX_ADAPTER_URL_LENGTH, pattern: '^https?://' });
describeReader(readAdapterAddress, { type: 'string', pattern: ':[0-9]{1,5}$' });
describeReader(readDnsName, { type: 'string', minLength: 1, maxLength: 253 });
describeReader(readPort, { type: 'integer', minimum: 1, maximum: 65535 });
describeReader(readResolvers, { type: 'array', minItems: 1, items: { type: 'string' } });
describeReader(readSelectors, {
  type: 'array', minItems: 1, maxItems: MAX_SELECTORS,
  items: { type: 'object', minProperties: 1, maxProperties: MAX_SELECTOR_LABELS, propertyNames: { maxLength: MAX_LABEL_KEY_LENGTH, pattern: LABEL_KEY.source }, additionalProperties: { type: 'string', maxLength: MAX_LABEL_VALUE_LENGTH, pattern: LABEL_VALUE.source } },
});
describeReader(readRetries, { type: 'integer', minimum: 0, maximum: MAX_ALLOCATION_RETRIES });
