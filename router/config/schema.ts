// The router's own settings (`passage.toml`). Each key is declared once here with its type and
// default; adding a key is adding a line. Names follow the configuration contract in DESIGN.md.

export type FieldType = 'string' | 'boolean' | 'integer' | 'number' | 'duration' | 'address' | 'string[]' | 'cidr[]' | 'count_or_auto';

/** `workers` at most: a bound on processes forked from one config key (a 256-core host is already rare). */
export const MAX_WORKERS = 256;

export interface Field {
  readonly type: FieldType;
  readonly default: unknown;
  /** Allowed values, for string fields that are a choice. */
  readonly oneOf?: readonly string[];
  readonly min?: number;
  readonly max?: number;
}

export interface Section {
  readonly [key: string]: Field | Section;
}

export function isField(x: Field | Section): x is Field {
  return typeof (x as Field).type === 'string' && 'default' in x;
}

const SCHEMA = {
  address: { type: 'address', default: '0.0.0.0:25565' },
  timeout: { type: 'duration', default: '120s' },
  drain_timeout: { type: 'duration', default: '30s' },
  // Router processes sharing the listening port (router/workers/): an integer, or "auto" for one per core.
  workers: { type: 'count_or_auto', default: 1, min: 1, max: MAX_WORKERS },
  proxy_protocol: {
    enabled: { type: 'boolean', default: false },
    trusted_proxies: { type: 'cidr[]', default: [] },
    header_timeout: { type: 'duration', default: '5s' },
  },
  rate_limiter: {
    enabled: { type: 'boolean', default: true },
    duration: { type: 'duration', default: '60s' },
    size: { type: 'integer', default: 60, min: 1 },
    // Server-list pings have their own budget: a list refreshing must not use up a player's logins.
    status_size: { type: 'integer', default: 60, min: 1 },
    ipv4_prefix: { type: 'integer', default: 32, min: 8, max: 32 },
    ipv6_prefix: { type: 'integer', default: 64, min: 32, max: 128 },
    max_tracked: { type: 'integer', default: 100_000, min: 100 },
  },
  admin: {
    address: { type: 'address', default: '127.0.0.1:9565' },
  },
  auth: {
    mode: { type: 'string', default: 'online', oneOf: ['online', 'offline'] },
    session_server: { type: 'string', default: 'https://sessionserver.mojang.com' },
    session_timeout: { type: 'duration', default: '5s' },
    prevent_proxy_connections: { type: 'boolean', default: false },
    cookie_secret_file: { type: 'string', default: '' },
    cookie_ttl: { type: 'duration', default: '6h' },
    // How long one session-server check may carry cookie logins; past it Mojang is asked again.
    cookie_max_age: { type: 'duration', default: '24h' },
  },
  table: {
    source: { type: 'string', default: 'file', oneOf: ['file', 'http', 'dynamodb'] },
    // The table_id this router serves (a signed table for another id is refused); empty: dynamodb.id.
    id: { type: 'string', default: '' },
    path: { type: 'string', default: 'routes.toml' },
    url: { type: 'string', default: '' },
    // A file holding the token the http source sends as `?passage_token=` (the CDK table endpoint
    // refuses requests without it); or env PASSAGE_TABLE_TOKEN. Never put the token in `url` itself.
    url_token_file: { type: 'string', default: '' },
    dynamodb: {
      table: { type: 'string', default: 'passage' },
      id: { type: 'string', default: 'prod' },
      region: { type: 'string', default: 'eu-west-1' },
      endpoint: { type: 'string', default: '' },
    },
    public_keys: { type: 'string[]', default: [] },
    allow_unsigned: { type: 'boolean', default: false },
    poll_interval: { type: 'duration', default: '10s' },
    cache_file: { type: 'string', default: '.passage/table-cache.json' },
    max_bytes: { type: 'integer', default: 4 * 1024 * 1024, min: 1024 },
    // The version floor: no table below it is applied, from the source, the cache or a file. Rendered at
    // deploy time (the version live then), so a replaced router cannot be handed an older signed table.
    min_version: { type: 'integer', default: 0, min: 0 },
  },
  limits: {
    // Absolute, from accept (PROXY header included) to Login Start, or to the end of a status exchange.
    handshake_timeout: { type: 'duration', default: '5s' },
    login_timeout: { type: 'duration', default: '10s' },
    max_pending: { type: 'integer', default: 10_000, min: 1 },
    max_pending_per_ip: { type: 'integer', default: 16, min: 1 },
    configuration_timeout: { type: 'duration', default: '30s' },
    keep_alive_interval: { type: 'duration', default: '10s' },
    resource_pack_timeout: { type: 'duration', default: '120s' },
  },
  adapters: {
    // Hosts (names or IP addresses, no port) adapters may reach without TLS: http:// URLs and plaintext
    // gRPC. Everything else is https, or gRPC over TLS. A table cannot add to this list.
    allow_plain_http: { type: 'string[]', default: [] },
    kubernetes: {
      // API servers a table's api_url may name, besides the in-cluster one (KUBERNETES_SERVICE_HOST).
      api_urls: { type: 'string[]', default: [] },
      // The bearer token sent to them; empty: the pod's service-account token (sent only if present).
      token_file: { type: 'string', default: '' },
    },
  },
  messages: {
    default_locale: { type: 'string', default: 'en_us' },
    file: { type: 'string', default: '' },
  },
  fleet: {
    // Heartbeats into the table store (dynamodb source only) for `passagectl status`.
    heartbeat_interval: { type: 'duration', default: '5s' },
    // Empty: AWS_REGION from the environment, else "local".
    region: { type: 'string', default: '' },
    // Empty: "<hostname>-<pid>".
    instance: { type: 'string', default: '' },
    // One CloudWatch embedded-metric-format line a minute on stdout (table expiry and version, failed
    // heartbeats) for the alarms the CDK stacks ship; on ECS, the awslogs driver delivers it.
    cloudwatch_metrics: { type: 'boolean', default: false },
  },
  telemetry: {
    // OpenTelemetry traces of connections over OTLP/HTTP, e.g. "http://otel-collector:4318/v1/traces"; empty: off.
    otlp_endpoint: { type: 'string', default: '' },
    service_name: { type: 'string', default: 'passage' },
    sample_ratio: { type: 'number', default: 1.0, min: 0, max: 1 },
  },
  protocol: {
    // Protocols newer than the newest release Passage knows (day-one versions): served with the newest
    // known layout ("accept"), or refused with a message naming the known range ("refuse").
    newer: { type: 'string', default: 'accept', oneOf: ['accept', 'refuse'] },
    // With newer = "accept": the highest newer protocol served (0: no limit). Known protocols are always served.
    max_protocol: { type: 'integer', default: 0, min: 0, max: 0x7fffffff },
  },
  log: {
    level: { type: 'string', default: 'info', oneOf: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
    // Access decisions (debug) name the player; the client IP only when this is true.
    player_ips: { type: 'boolean', default: false },
  },
} as const satisfies Section;

export const CONFIG_SCHEMA: Section = SCHEMA;

/** The TOML value a field takes (durations: seconds or a string like "5s"). */
type FieldValue<F> = F extends { readonly type: 'string'; readonly oneOf: readonly (infer O)[] }
  ? O
  : F extends { readonly type: 'string' | 'address' }
    ? string
    : F extends { readonly type: 'boolean' }
      ? boolean
      : F extends { readonly type: 'integer' | 'number' }
        ? number
        : F extends { readonly type: 'count_or_auto' }
          ? number | 'auto'
        : F extends { readonly type: 'duration' }
          ? number | string
          : F extends { readonly type: 'string[]' | 'cidr[]' }
            ? readonly string[]
            : never;

type DocumentOf<S> = { -readonly [K in keyof S]?: S[K] extends { readonly type: FieldType } ? FieldValue<S[K]> : DocumentOf<S[K]> };

/**
 * A `passage.toml` document as tools write it (snake_case, every key optional), typed from the schema:
 * a key that does not exist or a value of the wrong type is a compile error in the renderer's callers.
 */
export type PassageConfigDocument = DocumentOf<typeof SCHEMA>;

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
