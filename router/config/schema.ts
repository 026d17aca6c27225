// The router's own settings (`passage.toml`). Each key is declared once here with its type and
// default; adding a key is adding a line. Names follow the configuration contract in DESIGN.md.

export type FieldType = 'string' | 'boolean' | 'integer' | 'duration' | 'address' | 'string[]' | 'cidr[]';

export interface Field {
  readonly type: FieldType;
  readonly default: unknown;
  /** Allowed values, for string fields that are a choice. */
  readonly oneOf?: readonly string[];
  readonly min?: number;
}

export interface Section {
  readonly [key: string]: Field | Section;
}

export function isField(x: Field | Section): x is Field {
  return typeof (x as Field).type === 'string' && 'default' in x;
}

export const CONFIG_SCHEMA: Section = {
  address: { type: 'address', default: '0.0.0.0:25565' },
  timeout: { type: 'duration', default: '120s' },
  drain_timeout: { type: 'duration', default: '30s' },
  proxy_protocol: {
    enabled: { type: 'boolean', default: false },
    trusted_proxies: { type: 'cidr[]', default: [] },
    header_timeout: { type: 'duration', default: '5s' },
  },
  rate_limiter: {
    enabled: { type: 'boolean', default: true },
    duration: { type: 'duration', default: '60s' },
    size: { type: 'integer', default: 60, min: 1 },
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
  },
  table: {
    source: { type: 'string', default: 'file', oneOf: ['file', 'http', 'dynamodb'] },
    path: { type: 'string', default: 'routes.toml' },
    url: { type: 'string', default: '' },
    dynamodb: {
      table: { type: 'string', default: 'passage' },
      id: { type: 'string', default: 'prod' },
      region: { type: 'string', default: 'eu-west-1' },
      endpoint: { type: 'string', default: '' },
    },
    public_keys: { type: 'string[]', default: [] },
    allow_unsigned: { type: 'boolean', default: true },
    poll_interval: { type: 'duration', default: '10s' },
    cache_file: { type: 'string', default: '.passage/table-cache.json' },
    max_bytes: { type: 'integer', default: 4 * 1024 * 1024, min: 1024 },
  },
  limits: {
    login_timeout: { type: 'duration', default: '10s' },
    configuration_timeout: { type: 'duration', default: '30s' },
    keep_alive_interval: { type: 'duration', default: '10s' },
  },
  log: {
    level: { type: 'string', default: 'info', oneOf: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
  },
};

export interface PassageConfig {
  /** Directory of the config file; relative paths in it resolve from here. */
  readonly baseDir: string;
  readonly file: string;
  readonly address: { host: string; port: number };
  readonly timeoutMs: number;
  readonly drainTimeoutMs: number;
  readonly proxyProtocol: { enabled: boolean; trustedProxies: readonly string[]; headerTimeoutMs: number };
  readonly rateLimiter: { enabled: boolean; durationMs: number; size: number };
  readonly admin: { address: { host: string; port: number } };
  readonly auth: {
    mode: 'online' | 'offline';
    sessionServer: string;
    sessionTimeoutMs: number;
    preventProxyConnections: boolean;
    cookieSecretFile: string;
    cookieTtlMs: number;
  };
  readonly table: {
    source: 'file' | 'http' | 'dynamodb';
    path: string;
    url: string;
    dynamodb: { table: string; id: string; region: string; endpoint: string };
    publicKeys: readonly string[];
    allowUnsigned: boolean;
    pollIntervalMs: number;
    cacheFile: string;
    maxBytes: number;
  };
  readonly limits: { loginTimeoutMs: number; configurationTimeoutMs: number; keepAliveIntervalMs: number };
  readonly log: { level: string };
}
