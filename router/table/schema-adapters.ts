// Adapter options of a route (`discovery`, `status_adapter`, `strategy_adapter`): one flat table per
// adapter; `type` decides which of the optional keys apply (ADAPTER_KEYS_BY_TYPE), so `url` on a dns
// discovery is reported, not ignored.

import { isIP } from 'node:net';
import { parseDuration } from '../config/duration.ts';
import { child, Context, describe, isPlainObject, oneOf, readArray, readEndpoint, readObject, readText, type Fields } from './schema-kit.ts';
import { isHostname, parseEndpoint } from './syntax.ts';
import { DISCOVERY_TYPES, type DiscoveryConfig, type StatusAdapterConfig, type StrategyAdapterConfig } from './types.ts';

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
  tokenFile: { key: 'token_file', read: readText },
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
  kubernetes: { required: [], optional: ['resource', 'namespace', 'label_selector', 'port', 'api_url', 'token_file'] },
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
  const d = readObject(raw, at, ctx, DISCOVERY_FIELDS);
  if (d === undefined || !checkAdapterKeys(raw, at, ctx, d.type)) return undefined;
  if (d.type === 'dns') {
    const recordType = d.recordType ?? 'srv';
    if (recordType !== 'srv' && d.port === undefined) return ctx.fail(child(at, 'port'), `is required for record_type "${recordType}"`);
    return { ...d, recordType };
  }
  if (d.type === 'kubernetes') return { ...d, resource: d.resource ?? 'pods', namespace: d.namespace ?? 'default' };
  return d;
}

export function readStatusAdapter(raw: unknown, at: string, ctx: Context): StatusAdapterConfig | undefined {
  const s = readObject(raw, at, ctx, STATUS_ADAPTER_FIELDS);
  return s !== undefined && checkAdapterKeys(raw, at, ctx, s.type) ? s : undefined;
}

export function readStrategyAdapter(raw: unknown, at: string, ctx: Context): StrategyAdapterConfig | undefined {
  return readObject(raw, at, ctx, STRATEGY_ADAPTER_FIELDS);
}

/** Adapter timeouts and intervals: 100 ms to 24 h (a smaller value is almost certainly a unit mistake). */
function readAdapterDuration(raw: unknown, at: string, ctx: Context): number | undefined {
  const ms = parseDuration(raw);
  if (ms === undefined || ms < 100 || ms > 24 * 3_600_000) {
    return ctx.fail(at, `must be a duration from 100ms to 24h (integer seconds or a string like "5s", "500ms"), got ${describe(raw)}`);
  }
  return ms;
}

function readHttpUrl(raw: unknown, at: string, ctx: Context): string | undefined {
  if (typeof raw !== 'string') return ctx.fail(at, `must be an http or https URL, got ${describe(raw)}`);
  try {
    const url = new URL(raw);
    if (url.protocol === 'http:' || url.protocol === 'https:') return raw;
  } catch {
    // reported below
  }
  return ctx.fail(at, `must be an http or https URL, got ${JSON.stringify(raw)}`);
}

function readAdapterAddress(raw: unknown, at: string, ctx: Context): string | undefined {
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
