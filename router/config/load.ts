import { readFileSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { BlockList, isIP } from 'node:net';
import { parse as parseToml, TomlError } from 'smol-toml';
import { parseHostPort } from './address.ts';
import { endpointKey, plainHttpHost } from '../adapters/policy.ts';
import { parseDuration } from './duration.ts';
import { CONFIG_SCHEMA, isField } from './schema.ts';
import type { Field, PassageConfig, Section } from './schema.ts';
import { PassageError } from '../errors.ts';

/** A mistake in the operator's config: names the file, the key and the problem. Exit code 2. */
export class ConfigError extends PassageError {
  readonly code = 'ERR_CONFIG';
  readonly file: string;
  readonly problems: readonly { key: string; message: string }[];

  constructor(file: string, problems: readonly { key: string; message: string }[]) {
    super(problems.map((p) => `${file}: ${p.key === '' ? '' : `${p.key}: `}${p.message}`).join('\n'));
    this.name = 'ConfigError';
    this.file = file;
    this.problems = problems;
  }
}

type Raw = Record<string, unknown>;

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Date || (v !== null && typeof v === 'object' && 'isDate' in (v as object))) return 'a date';
  if (v !== null && typeof v === 'object') return 'a table';
  return `${typeof v} ${JSON.stringify(typeof v === 'bigint' ? Number(v) : v)}`;
}

export function isValidCidr(cidr: string): boolean {
  const [ip, bits, extra] = cidr.split('/');
  if (extra !== undefined) return false;
  const family = isIP(ip);
  if (family === 0) return false;
  if (bits === undefined) return true;
  if (!/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

/** A BlockList matching the given CIDRs (validated beforehand). */
export function cidrList(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [ip, bits] = cidr.split('/');
    const type = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(ip, type);
    else list.addSubnet(ip, Number(bits), type);
  }
  return list;
}

function checkField(key: string, f: Field, v: unknown, problems: { key: string; message: string }[]): unknown {
  const bad = (message: string): undefined => {
    problems.push({ key, message });
    return undefined;
  };
  switch (f.type) {
    case 'string':
      if (typeof v !== 'string') return bad(`expected a string, got ${describe(v)}`);
      if (f.oneOf !== undefined && !f.oneOf.includes(v)) return bad(`expected one of ${f.oneOf.map((o) => `"${o}"`).join(', ')}, got "${v}"`);
      return v;
    case 'boolean':
      if (typeof v !== 'boolean') return bad(`expected true or false, got ${describe(v)}`);
      return v;
    case 'integer': {
      const n = typeof v === 'bigint' ? Number(v) : v;
      if (typeof n !== 'number' || !Number.isSafeInteger(n)) return bad(`expected an integer, got ${describe(v)}`);
      if (f.min !== undefined && n < f.min) return bad(`must be at least ${f.min}, got ${n}`);
      if (f.max !== undefined && n > f.max) return bad(`must be at most ${f.max}, got ${n}`);
      return n;
    }
    case 'number': {
      const n = typeof v === 'bigint' ? Number(v) : v;
      if (typeof n !== 'number' || !Number.isFinite(n)) return bad(`expected a number, got ${describe(v)}`);
      if (f.min !== undefined && n < f.min) return bad(`must be at least ${f.min}, got ${n}`);
      if (f.max !== undefined && n > f.max) return bad(`must be at most ${f.max}, got ${n}`);
      return n;
    }
    case 'duration': {
      const ms = parseDuration(v);
      if (ms === undefined) return bad(`expected a duration (seconds, or a string like "5s", "2m", "6h"), got ${describe(v)}`);
      return ms;
    }
    case 'address': {
      if (typeof v !== 'string') return bad(`expected "host:port", got ${describe(v)}`);
      const hp = parseHostPort(v);
      if (hp === undefined) return bad(`expected "host:port" with a port from 0 to 65535, got "${v}"`);
      return hp;
    }
    case 'count_or_auto': {
      const max = f.max ?? Number.MAX_SAFE_INTEGER;
      // "auto": one per core this process may use (cgroup CPU limits included), within the bound.
      if (v === 'auto') return Math.min(Math.max(availableParallelism(), f.min ?? 1), max);
      const n = typeof v === 'bigint' ? Number(v) : v;
      if (typeof n !== 'number' || !Number.isSafeInteger(n)) return bad(`expected an integer or "auto", got ${describe(v)}`);
      if (f.min !== undefined && n < f.min) return bad(`must be at least ${f.min} (or "auto"), got ${n}`);
      if (n > max) return bad(`must be at most ${max} (or "auto"), got ${n}`);
      return n;
    }
    case 'string[]':
    case 'cidr[]': {
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) return bad(`expected an array of strings, got ${describe(v)}`);
      if (f.type === 'cidr[]') {
        const wrong = (v as string[]).filter((c) => !isValidCidr(c));
        if (wrong.length > 0) return bad(`not a CIDR: ${wrong.map((w) => `"${w}"`).join(', ')}`);
      }
      return v;
    }
  }
}

/** Applies defaults and checks types; unknown keys are errors so a typo never passes silently. */
function walk(schema: Section, raw: Raw, prefix: string, problems: { key: string; message: string }[]): Raw {
  const out: Raw = {};
  for (const key of Object.keys(raw)) {
    if (!(key in schema)) {
      const known = Object.keys(schema).join(', ');
      problems.push({ key: prefix + key, message: `unknown key (known keys here: ${known})` });
    }
  }
  for (const [key, spec] of Object.entries(schema)) {
    const v = raw[key];
    if (isField(spec)) {
      const value = v === undefined ? spec.default : v;
      out[key] = checkField(prefix + key, spec, value, problems);
    } else if (v === undefined) {
      out[key] = walk(spec, {}, `${prefix}${key}.`, problems);
    } else if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      problems.push({ key: prefix + key, message: `expected a table ([${prefix}${key}]), got ${describe(v)}` });
      out[key] = walk(spec, {}, `${prefix}${key}.`, problems);
    } else {
      out[key] = walk(spec, v as Raw, `${prefix}${key}.`, problems);
    }
  }
  return out;
}

/** Validates an already-parsed TOML document. `file` names it in messages and anchors relative paths. */
export function buildConfig(raw: Raw, file: string, env: Readonly<Record<string, string | undefined>> = process.env): PassageConfig {
  const problems: { key: string; message: string }[] = [];
  const c = walk(CONFIG_SCHEMA, raw, '', problems) as Record<string, any>;
  if (c.auth?.mode === 'online' && typeof c.auth.session_server === 'string') {
    try {
      const u = new URL(c.auth.session_server);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
    } catch {
      problems.push({ key: 'auth.session_server', message: `expected an http(s) URL, got "${c.auth.session_server}"` });
    }
  }
  if (c.table?.source === 'http' && c.table.url === '') {
    problems.push({ key: 'table.url', message: 'required when table.source = "http"' });
  }
  if (c.table?.source === 'http' && typeof c.table.url === 'string' && c.table.url !== '' && !/^https?:\/\//.test(c.table.url)) {
    problems.push({ key: 'table.url', message: `expected an http(s) URL, got "${c.table.url}"` });
  }
  // A remote table is only ever accepted signed, so a router without a trusted key could never become ready.
  if ((c.table?.source === 'http' || c.table?.source === 'dynamodb') && Array.isArray(c.table.public_keys) && c.table.public_keys.length === 0) {
    problems.push({ key: 'table.public_keys', message: `required when table.source = "${c.table.source}" (remote tables must be signed)` });
  }
  if (c.rate_limiter?.enabled === true && c.rate_limiter.duration === 0) {
    problems.push({ key: 'rate_limiter.duration', message: 'must be longer than 0 when the rate limiter is enabled' });
  }
  // Enabled with nobody trusted would refuse every header and accept only direct clients: say so.
  if (c.proxy_protocol?.enabled === true && Array.isArray(c.proxy_protocol.trusted_proxies) && c.proxy_protocol.trusted_proxies.length === 0) {
    problems.push({ key: 'proxy_protocol.trusted_proxies', message: 'required when proxy_protocol.enabled = true (the CIDRs of your load balancers)' });
  }
  if (c.auth?.cookie_max_age === 0) {
    problems.push({ key: 'auth.cookie_max_age', message: 'must be longer than 0 (how long one session-server check may carry cookie logins, e.g. "24h")' });
  }
  if (typeof c.protocol?.max_protocol === 'number' && c.protocol.max_protocol !== 0 && c.protocol.max_protocol < 766) {
    problems.push({ key: 'protocol.max_protocol', message: `expected 0 (no limit) or a protocol number of at least 766 (1.20.5), got ${c.protocol.max_protocol}` });
  }
  problems.push(...adapterProblems(c.adapters));
  if (c.fleet?.heartbeat_interval === 0) {
    problems.push({ key: 'fleet.heartbeat_interval', message: 'must be longer than 0' });
  }
  if (typeof c.telemetry?.otlp_endpoint === 'string' && c.telemetry.otlp_endpoint !== '' && !/^https?:\/\/[^/]/.test(c.telemetry.otlp_endpoint)) {
    problems.push({ key: 'telemetry.otlp_endpoint', message: `expected an http(s) URL such as "http://otel-collector:4318/v1/traces", got "${c.telemetry.otlp_endpoint}"` });
  }
  if (problems.length > 0) throw new ConfigError(file, problems);
  const baseDir = dirname(resolve(file));
  const rel = (p: string): string => (p === '' ? '' : resolve(baseDir, p));
  return {
    baseDir,
    file,
    address: c.address,
    timeoutMs: c.timeout,
    drainTimeoutMs: c.drain_timeout,
    workers: c.workers,
    proxyProtocol: { enabled: c.proxy_protocol.enabled, trustedProxies: c.proxy_protocol.trusted_proxies, headerTimeoutMs: c.proxy_protocol.header_timeout },
    rateLimiter: {
      enabled: c.rate_limiter.enabled,
      durationMs: c.rate_limiter.duration,
      size: c.rate_limiter.size,
      statusSize: c.rate_limiter.status_size,
      ipv4Prefix: c.rate_limiter.ipv4_prefix,
      ipv6Prefix: c.rate_limiter.ipv6_prefix,
      maxTracked: c.rate_limiter.max_tracked,
    },
    admin: { address: c.admin.address },
    auth: {
      mode: c.auth.mode,
      sessionServer: c.auth.session_server,
      sessionTimeoutMs: c.auth.session_timeout,
      preventProxyConnections: c.auth.prevent_proxy_connections,
      cookieSecretFile: rel(c.auth.cookie_secret_file),
      cookieTtlMs: c.auth.cookie_ttl,
      cookieMaxAgeMs: c.auth.cookie_max_age,
    },
    table: {
      source: c.table.source,
      id: c.table.id === '' ? c.table.dynamodb.id : c.table.id,
      path: rel(c.table.path),
      url: c.table.url,
      urlTokenFile: rel(c.table.url_token_file),
      dynamodb: c.table.dynamodb,
      publicKeys: (c.table.public_keys as string[]).map(rel),
      allowUnsigned: c.table.allow_unsigned,
      pollIntervalMs: c.table.poll_interval,
      cacheFile: rel(c.table.cache_file),
      maxBytes: c.table.max_bytes,
      minVersion: c.table.min_version,
    },
    limits: {
      handshakeTimeoutMs: c.limits.handshake_timeout,
      maxPending: c.limits.max_pending,
      maxPendingPerIp: c.limits.max_pending_per_ip,
      loginTimeoutMs: c.limits.login_timeout,
      configurationTimeoutMs: c.limits.configuration_timeout,
      keepAliveIntervalMs: c.limits.keep_alive_interval,
      resourcePackTimeoutMs: c.limits.resource_pack_timeout,
    },
    adapters: {
      allowPlainHttp: (c.adapters.allow_plain_http as string[]).map((h) => plainHttpHost(h)!),
      kubernetes: { apiUrls: c.adapters.kubernetes.api_urls, tokenFile: rel(c.adapters.kubernetes.token_file) },
    },
    messages: { defaultLocale: c.messages.default_locale.toLowerCase(), file: rel(c.messages.file) },
    fleet: {
      heartbeatIntervalMs: c.fleet.heartbeat_interval,
      region: c.fleet.region !== '' ? c.fleet.region : env.AWS_REGION || 'local',
      instance: c.fleet.instance !== '' ? c.fleet.instance : `${hostname()}-${process.pid}`,
      cloudwatchMetrics: c.fleet.cloudwatch_metrics,
    },
    protocol: { newer: c.protocol.newer, maxProtocol: c.protocol.max_protocol },
    log: { level: c.log.level, playerIps: c.log.player_ips },
    telemetry: { otlpEndpoint: c.telemetry.otlp_endpoint, serviceName: c.telemetry.service_name, sampleRatio: c.telemetry.sample_ratio },
  };
}

/** `[adapters]`: bare hosts in allow_plain_http, plain http(s) URLs (no credentials, no query) in api_urls. */
function adapterProblems(adapters: { allow_plain_http?: unknown; kubernetes?: { api_urls?: unknown } } | undefined): { key: string; message: string }[] {
  const problems: { key: string; message: string }[] = [];
  const hosts = adapters?.allow_plain_http;
  if (Array.isArray(hosts)) {
    const wrong = hosts.filter((h) => typeof h === 'string' && plainHttpHost(h) === undefined);
    if (wrong.length > 0) {
      problems.push({ key: 'adapters.allow_plain_http', message: `expected host names or IP addresses without scheme or port (like "127.0.0.1" or "adapter.internal"), got ${wrong.map((w) => JSON.stringify(w)).join(', ')}` });
    }
  }
  const urls = adapters?.kubernetes?.api_urls;
  if (Array.isArray(urls)) {
    const wrong = urls.filter((u) => typeof u === 'string' && (!/^https?:\/\//.test(u) || endpointKey(u) === undefined));
    if (wrong.length > 0) {
      problems.push({ key: 'adapters.kubernetes.api_urls', message: `expected http(s) URLs without user info or query (like "https://k8s.example.com:6443"), got ${wrong.map((w) => JSON.stringify(w)).join(', ')}` });
    }
  }
  return problems;
}

export function loadConfigFile(file: string): PassageConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(file, [{ key: '', message: code === 'ENOENT' ? 'file not found' : `cannot read: ${(err as Error).message}` }]);
  }
  return parseConfigText(text, file);
}

/**
 * Validates config text without touching the disk: what `passage --config` would accept, for tools that
 * render a router's config (the CDK app, passagectl) and must never deploy one the router refuses.
 * `file` names it in messages and anchors relative paths.
 */
export function parseConfigText(text: string, file: string, env: Readonly<Record<string, string | undefined>> = process.env): PassageConfig {
  let raw: Raw;
  try {
    raw = parseToml(text) as Raw;
  } catch (err) {
    const where = err instanceof TomlError ? ` (line ${err.line}, column ${err.column})` : '';
    const first = (err as Error).message.split('\n')[0];
    throw new ConfigError(file, [{ key: '', message: `invalid TOML${where}: ${first}` }]);
  }
  return buildConfig(raw, file, env);
}
