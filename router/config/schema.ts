// The router's own settings (`passage.toml`), declared on the schema kit the routing table uses
// (router/table/schema-kit.ts): each key once, with its reader, its bounds and its default written as
// the TOML value; adding a key is adding a line. A section's checks across its keys run once its keys
// read cleanly. Names follow the configuration contract in DESIGN.md.

import { availableParallelism } from 'node:os';
import { isIP } from 'node:net';
import { endpointKey, plainHttpHost } from '../adapters/policy.ts';
import { DEFAULT_MAX_TABLE_BYTES, MAX_TABLE_BYTES_LIMIT } from '../table/envelope.ts';
import { describeReader, DURATION_SCHEMA, fieldsSchema, isPlainObject, Problems, readObject, readerSchema, type Field, type Fields, type JsonSchema, type Reader } from '../table/schema-kit.ts';
import { parseHostPort } from './address.ts';
import { parseDuration } from './duration.ts';

/** `workers` at most: a bound on processes forked from one config key (a 256-core host is already rare). */
export const MAX_WORKERS = 256;

/**
 * One passage.toml key: how it is read (into V), and, as a type only, the TOML value a tool may write
 * for it (Doc), from which PassageConfigDocument is derived. The key's name is its property name.
 */
export interface ConfigField<Doc, V> extends Omit<Field<V, Problems>, 'key'> {
  readonly doc?: Doc;
}

type Spec = { readonly [key: string]: ConfigField<unknown, unknown> };
type DocumentOf<S extends Spec> = { -readonly [K in keyof S]?: S[K] extends ConfigField<infer D, unknown> ? D : never };
type ValuesOf<S extends Spec> = { readonly [K in keyof S]: S[K] extends ConfigField<unknown, infer V> ? V : never };

interface Bounds {
  readonly min?: number;
  readonly max?: number;
}

/** How passage.toml's messages name a value: `string "soon"`, `an array`, `a table`. */
function describe(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Date || (v !== null && typeof v === 'object' && 'isDate' in (v as object))) return 'a date';
  if (v !== null && typeof v === 'object') return 'a table';
  return `${typeof v} ${JSON.stringify(typeof v === 'bigint' ? Number(v) : v)}`;
}

function key<Doc, V>(raw: unknown, schema: JsonSchema, read: Reader<V, Problems>): ConfigField<Doc, V> {
  return { read: describeReader(read, { ...schema, default: raw }), rawDefault: raw };
}

function boundsSchema(b: Bounds): JsonSchema {
  return { ...(b.min === undefined ? {} : { minimum: b.min }), ...(b.max === undefined ? {} : { maximum: b.max }) };
}

/** A number in bounds: TOML integers may arrive as bigint. */
function inBounds(raw: unknown, at: string, ctx: Problems, b: Bounds, isNumber: (n: number) => boolean, expected: string): number | undefined {
  const n = typeof raw === 'bigint' ? Number(raw) : raw;
  if (typeof n !== 'number' || !isNumber(n)) return ctx.fail(at, `expected ${expected}, got ${describe(raw)}`);
  if (b.min !== undefined && n < b.min) return ctx.fail(at, `must be at least ${b.min}, got ${n}`);
  if (b.max !== undefined && n > b.max) return ctx.fail(at, `must be at most ${b.max}, got ${n}`);
  return n;
}

const text = (raw: string): ConfigField<string, string> =>
  key(raw, { type: 'string' }, (v, at, ctx) => (typeof v === 'string' ? v : ctx.fail(at, `expected a string, got ${describe(v)}`)));

function choice<const O extends string>(raw: NoInfer<O>, options: readonly O[]): ConfigField<O, O> {
  return key(raw, { type: 'string', enum: [...options] }, (v, at, ctx) => {
    if (typeof v !== 'string') return ctx.fail(at, `expected a string, got ${describe(v)}`);
    if (!(options as readonly string[]).includes(v)) return ctx.fail(at, `expected one of ${options.map((o) => `"${o}"`).join(', ')}, got "${v}"`);
    return v as O;
  });
}

const flag = (raw: boolean): ConfigField<boolean, boolean> =>
  key(raw, { type: 'boolean' }, (v, at, ctx) => (typeof v === 'boolean' ? v : ctx.fail(at, `expected true or false, got ${describe(v)}`)));

const integer = (raw: number, b: Bounds = {}): ConfigField<number, number> =>
  key(raw, { type: 'integer', ...boundsSchema(b) }, (v, at, ctx) => inBounds(v, at, ctx, b, Number.isSafeInteger, 'an integer'));

const number = (raw: number, b: Bounds = {}): ConfigField<number, number> =>
  key(raw, { type: 'number', ...boundsSchema(b) }, (v, at, ctx) => inBounds(v, at, ctx, b, Number.isFinite, 'a number'));

/** Read into milliseconds. */
const duration = (raw: number | string): ConfigField<number | string, number> =>
  key(raw, DURATION_SCHEMA, (v, at, ctx) => parseDuration(v) ?? ctx.fail(at, `expected a duration (seconds, or a string like "5s", "2m", "6h"), got ${describe(v)}`));

const address = (raw: string): ConfigField<string, { host: string; port: number }> =>
  key(raw, { type: 'string', pattern: ':[0-9]{1,5}$' }, (v, at, ctx) => {
    if (typeof v !== 'string') return ctx.fail(at, `expected "host:port", got ${describe(v)}`);
    return parseHostPort(v) ?? ctx.fail(at, `expected "host:port" with a port from 0 to 65535, got "${v}"`);
  });

/** An integer, or "auto": one per core this process may use (cgroup CPU limits included), within the bounds. */
const countOrAuto = (raw: number | 'auto', b: Required<Bounds>): ConfigField<number | 'auto', number> =>
  key(raw, { oneOf: [{ type: 'integer', ...boundsSchema(b) }, { type: 'string', enum: ['auto'] }] }, (v, at, ctx) => {
    if (v === 'auto') return Math.min(Math.max(availableParallelism(), b.min), b.max);
    const n = typeof v === 'bigint' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isSafeInteger(n)) return ctx.fail(at, `expected an integer or "auto", got ${describe(v)}`);
    if (n < b.min) return ctx.fail(at, `must be at least ${b.min} (or "auto"), got ${n}`);
    if (n > b.max) return ctx.fail(at, `must be at most ${b.max} (or "auto"), got ${n}`);
    return n;
  });

function stringList(v: unknown, at: string, ctx: Problems): readonly string[] | undefined {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) return ctx.fail(at, `expected an array of strings, got ${describe(v)}`);
  return v as string[];
}

const strings = (raw: readonly string[]): ConfigField<readonly string[], readonly string[]> => key(raw, { type: 'array', items: { type: 'string' } }, stringList);

export function isValidCidr(cidr: string): boolean {
  const [ip, bits, extra] = cidr.split('/');
  if (extra !== undefined) return false;
  const family = isIP(ip);
  if (family === 0) return false;
  if (bits === undefined) return true;
  if (!/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

const cidrs = (raw: readonly string[]): ConfigField<readonly string[], readonly string[]> =>
  key(raw, { type: 'array', items: { type: 'string' } }, (v, at, ctx) => {
    const list = stringList(v, at, ctx);
    if (list === undefined) return undefined;
    const wrong = list.filter((c) => !isValidCidr(c));
    return wrong.length === 0 ? list : ctx.fail(at, `not a CIDR: ${wrong.map((w) => `"${w}"`).join(', ')}`);
  });

/**
 * A `[section]`: its keys, read with their defaults when absent, and a check across them that runs
 * once each key read cleanly (what one key allows depends on another).
 */
function section<S extends Spec>(spec: S, check?: (value: ValuesOf<S>, at: string, ctx: Problems) => void): ConfigField<DocumentOf<S>, ValuesOf<S>> {
  const fields = Object.fromEntries(Object.entries(spec).map(([name, f]) => [name, { ...f, key: name }])) as unknown as Fields<ValuesOf<S>, Problems>;
  const read: Reader<ValuesOf<S>, Problems> = (v, at, ctx) => {
    if (!isPlainObject(v)) return ctx.fail(at, `expected a table ([${at}]), got ${describe(v)}`);
    const value = readObject(v, at, ctx, fields);
    if (value !== undefined && check !== undefined) {
      const before = ctx.problems.length;
      check(value, at, ctx);
      if (ctx.problems.length > before) return undefined;
    }
    return value;
  };
  return { read: describeReader(read, () => fieldsSchema(fields)), rawDefault: {} };
}

function httpUrl(raw: string): boolean {
  try {
    const u = new URL(raw);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

const SCHEMA = section({
  address: address('0.0.0.0:25565'),
  timeout: duration('120s'),
  drain_timeout: duration('30s'),
  // Router processes sharing the listening port (router/workers/): an integer, or "auto" for one per core.
  workers: countOrAuto(1, { min: 1, max: MAX_WORKERS }),
  proxy_protocol: section({
    enabled: flag(false),
    trusted_proxies: cidrs([]),
    header_timeout: duration('5s'),
  }, (p, at, ctx) => {
    // Enabled with nobody trusted would refuse every header and accept only direct clients: say so.
    if (p.enabled && p.trusted_proxies.length === 0) ctx.fail(`${at}.trusted_proxies`, 'required when proxy_protocol.enabled = true (the CIDRs of your load balancers)');
  }),
  rate_limiter: section({
    enabled: flag(true),
    duration: duration('60s'),
    size: integer(60, { min: 1 }),
    // Server-list pings have their own budget: a list refreshing must not use up a player's logins.
    status_size: integer(60, { min: 1 }),
    ipv4_prefix: integer(32, { min: 8, max: 32 }),
    ipv6_prefix: integer(64, { min: 32, max: 128 }),
    max_tracked: integer(100_000, { min: 100 }),
  }, (r, at, ctx) => {
    if (r.enabled && r.duration === 0) ctx.fail(`${at}.duration`, 'must be longer than 0 when the rate limiter is enabled');
  }),
  admin: section({
    address: address('127.0.0.1:9565'),
  }),
  auth: section({
    mode: choice('online', ['online', 'offline']),
    session_server: text('https://sessionserver.mojang.com'),
    session_timeout: duration('5s'),
    prevent_proxy_connections: flag(false),
    cookie_secret_file: text(''),
    cookie_ttl: duration('6h'),
    // How long one session-server check may carry cookie logins; past it Mojang is asked again.
    cookie_max_age: duration('24h'),
  }, (a, at, ctx) => {
    if (a.mode === 'online' && !httpUrl(a.session_server)) ctx.fail(`${at}.session_server`, `expected an http(s) URL, got "${a.session_server}"`);
    if (a.cookie_max_age === 0) ctx.fail(`${at}.cookie_max_age`, 'must be longer than 0 (how long one session-server check may carry cookie logins, e.g. "24h")');
  }),
  table: section({
    source: choice('file', ['file', 'http', 'dynamodb']),
    // The table_id this router serves (a signed table for another id is refused); empty: dynamodb.id.
    id: text(''),
    path: text('routes.toml'),
    url: text(''),
    // A file holding the token the http source sends as `?passage_token=` (the CDK table endpoint
    // refuses requests without it); or env PASSAGE_TABLE_TOKEN. Never put the token in `url` itself.
    url_token_file: text(''),
    dynamodb: section({
      table: text('passage'),
      id: text('prod'),
      region: text('eu-west-1'),
      endpoint: text(''),
    }),
    public_keys: strings([]),
    allow_unsigned: flag(false),
    poll_interval: duration('10s'),
    cache_file: text('.passage/table-cache.json'),
    max_bytes: integer(DEFAULT_MAX_TABLE_BYTES, { min: 1024, max: MAX_TABLE_BYTES_LIMIT }),
    // The version floor: no table below it is applied, from the source, the cache or a file. Rendered at
    // deploy time (the version live then), so a replaced router cannot be handed an older signed table.
    min_version: integer(0, { min: 0 }),
  }, (t, at, ctx) => {
    if (t.source === 'http' && t.url === '') ctx.fail(`${at}.url`, 'required when table.source = "http"');
    if (t.source === 'http' && t.url !== '' && !/^https?:\/\//.test(t.url)) ctx.fail(`${at}.url`, `expected an http(s) URL, got "${t.url}"`);
    // A remote table is only ever accepted signed, so a router without a trusted key could never become ready.
    if ((t.source === 'http' || t.source === 'dynamodb') && t.public_keys.length === 0) {
      ctx.fail(`${at}.public_keys`, `required when table.source = "${t.source}" (remote tables must be signed)`);
    }
  }),
  limits: section({
    // Absolute, from accept (PROXY header included) to Login Start, or to the end of a status exchange.
    handshake_timeout: duration('5s'),
    login_timeout: duration('10s'),
    max_pending: integer(10_000, { min: 1 }),
    max_pending_per_ip: integer(16, { min: 1 }),
    configuration_timeout: duration('30s'),
    keep_alive_interval: duration('10s'),
    resource_pack_timeout: duration('120s'),
  }),
  adapters: section({
    // Hosts (names or IP addresses, no port) adapters may reach without TLS: http:// URLs and plaintext
    // gRPC. Everything else is https, or gRPC over TLS. A table cannot add to this list.
    allow_plain_http: strings([]),
    kubernetes: section({
      // API servers a table's api_url may name, besides the in-cluster one (KUBERNETES_SERVICE_HOST).
      api_urls: strings([]),
      // The bearer token sent to them; empty: the pod's service-account token (sent only if present).
      token_file: text(''),
    }, (k, at, ctx) => {
      const wrong = k.api_urls.filter((u) => !/^https?:\/\//.test(u) || endpointKey(u) === undefined);
      if (wrong.length > 0) {
        ctx.fail(`${at}.api_urls`, `expected http(s) URLs without user info or query (like "https://k8s.example.com:6443"), got ${wrong.map((w) => JSON.stringify(w)).join(', ')}`);
      }
    }),
  }, (a, at, ctx) => {
    const wrong = a.allow_plain_http.filter((h) => plainHttpHost(h) === undefined);
    if (wrong.length > 0) {
      ctx.fail(`${at}.allow_plain_http`, `expected host names or IP addresses without scheme or port (like "127.0.0.1" or "adapter.internal"), got ${wrong.map((w) => JSON.stringify(w)).join(', ')}`);
    }
  }),
  messages: section({
    default_locale: text('en_us'),
    file: text(''),
  }),
  fleet: section({
    // Heartbeats into the table store (dynamodb source only) for `passagectl status`.
    heartbeat_interval: duration('5s'),
    // Empty: AWS_REGION from the environment, else "local".
    region: text(''),
    // Empty: "<hostname>-<pid>".
    instance: text(''),
    // One CloudWatch embedded-metric-format line a minute on stdout (table expiry and version, failed
    // heartbeats) for the alarms the CDK stacks ship; on ECS, the awslogs driver delivers it.
    cloudwatch_metrics: flag(false),
  }, (f, at, ctx) => {
    if (f.heartbeat_interval === 0) ctx.fail(`${at}.heartbeat_interval`, 'must be longer than 0');
  }),
  telemetry: section({
    // OpenTelemetry traces of connections over OTLP/HTTP, e.g. "http://otel-collector:4318/v1/traces"; empty: off.
    otlp_endpoint: text(''),
    service_name: text('passage'),
    sample_ratio: number(1.0, { min: 0, max: 1 }),
  }, (t, at, ctx) => {
    if (t.otlp_endpoint !== '' && !/^https?:\/\/[^/]/.test(t.otlp_endpoint)) {
      ctx.fail(`${at}.otlp_endpoint`, `expected an http(s) URL such as "http://otel-collector:4318/v1/traces", got "${t.otlp_endpoint}"`);
    }
  }),
  protocol: section({
    // Protocols newer than the newest release Passage knows (day-one versions): served with the newest
    // known layout ("accept"), or refused with a message naming the known range ("refuse").
    newer: choice('accept', ['accept', 'refuse']),
    // With newer = "accept": the highest newer protocol served (0: no limit). Known protocols are always served.
    max_protocol: integer(0, { min: 0, max: 0x7fffffff }),
  }, (p, at, ctx) => {
    if (p.max_protocol !== 0 && p.max_protocol < 766) ctx.fail(`${at}.max_protocol`, `expected 0 (no limit) or a protocol number of at least 766 (1.20.5), got ${p.max_protocol}`);
  }),
  log: section({
    level: choice('info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    // Access decisions (debug) name the player; the client IP only when this is true.
    player_ips: flag(false),
  }),
});

/** Reads a parsed passage.toml document; undefined exactly when it reported problems into `ctx`. */
export function readConfigDocument(raw: Record<string, unknown>, ctx: Problems): ReadConfig | undefined {
  return SCHEMA.read(raw, '', ctx);
}

/** passage.toml as read: snake_case keys, defaults filled in, durations in milliseconds. */
export type ReadConfig = NonNullable<ReturnType<typeof SCHEMA.read>>;

/** The JSON Schema of passage.toml for editors (`passagectl schema`): the readers above describe it. */
export function configJsonSchema(): JsonSchema {
  return readerSchema(SCHEMA.read);
}

/** Whether `[section] key` exists (benchmarks set keys an older router under test may not know). */
export function isConfigKey(sectionName: string, keyName: string): boolean {
  const fields = (readerSchema(SCHEMA.read).properties as Record<string, JsonSchema>)[sectionName]?.properties as Record<string, unknown> | undefined;
  return fields !== undefined && Object.hasOwn(fields, keyName);
}

/**
 * A `passage.toml` document as tools write it (snake_case, every key optional), typed from the schema:
 * a key that does not exist or a value of the wrong type is a compile error in the renderer's callers.
 */
export type PassageConfigDocument = NonNullable<(typeof SCHEMA)['doc']>;

export interface PassageConfig {
  /** Directory of the config file; relative paths in it resolve from here. */
  readonly baseDir: string;
  readonly file: string;
  readonly address: { host: string; port: number };
  readonly timeoutMs: number;
  readonly drainTimeoutMs: number;
  /** Router processes sharing the port: `workers`, with "auto" resolved to os.availableParallelism(). */
  readonly workers: number;
  readonly proxyProtocol: { enabled: boolean; trustedProxies: readonly string[]; headerTimeoutMs: number };
  readonly rateLimiter: {
    enabled: boolean;
    durationMs: number;
    /** Logins (intent 2 or 3) per client key per window. */
    size: number;
    /** Status pings (and legacy pings) per client key per window. */
    statusSize: number;
    ipv4Prefix: number;
    ipv6Prefix: number;
    maxTracked: number;
  };
  readonly admin: { address: { host: string; port: number } };
  readonly auth: {
    mode: 'online' | 'offline';
    sessionServer: string;
    sessionTimeoutMs: number;
    preventProxyConnections: boolean;
    cookieSecretFile: string;
    cookieTtlMs: number;
    /** A cookie resting on a session-server check older than this is refused (`stale`). */
    cookieMaxAgeMs: number;
  };
  readonly table: {
    source: 'file' | 'http' | 'dynamodb';
    /** The table_id signed tables must carry: `[table] id`, else `dynamodb.id`. Unsigned local files are not checked. */
    id: string;
    path: string;
    url: string;
    /** `[table] url_token_file`: the http source's `passage_token` (else env PASSAGE_TABLE_TOKEN); '' for none. */
    urlTokenFile: string;
    dynamodb: { table: string; id: string; region: string; endpoint: string };
    publicKeys: readonly string[];
    allowUnsigned: boolean;
    pollIntervalMs: number;
    cacheFile: string;
    maxBytes: number;
    /** `[table] min_version`: tables below this version are refused (`ERR_TABLE_BELOW_MIN_VERSION`). */
    minVersion: number;
  };
  readonly limits: {
    handshakeTimeoutMs: number;
    /** Connections not yet transferred, relayed or closed: in total, and per client key. */
    maxPending: number;
    maxPendingPerIp: number;
    loginTimeoutMs: number; configurationTimeoutMs: number; keepAliveIntervalMs: number; resourcePackTimeoutMs: number };
  /** Where adapters may send the router's credentials and plain-text requests (`[adapters]`). */
  readonly adapters: {
    /** Lower-case host names and IP addresses (IPv6 without brackets). */
    allowPlainHttp: readonly string[];
    kubernetes: { apiUrls: readonly string[]; tokenFile: string };
  };
  readonly messages: { defaultLocale: string; file: string };
  /** Who this router is in `passagectl status`, and how often it says so (heartbeats). */
  readonly fleet: { heartbeatIntervalMs: number; region: string; instance: string; cloudwatchMetrics: boolean };
  /** Day-one versions: whether protocols newer than the newest known one are served, and up to which. */
  readonly protocol: { newer: 'accept' | 'refuse'; maxProtocol: number };
  readonly log: { level: string; playerIps: boolean };
  /** OpenTelemetry tracing; off (no OTel code loaded) while otlpEndpoint is empty. */
  readonly telemetry: { otlpEndpoint: string; serviceName: string; sampleRatio: number };
}
