import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { BlockList, isIP } from 'node:net';
import { parse as parseToml, TomlError } from 'smol-toml';
import { plainHttpHost } from '../adapters/policy.ts';
import { Problems } from '../table/schema-kit.ts';
import { isValidCidr, readConfigDocument, type PassageConfig } from './schema.ts';
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

export { isValidCidr };

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

/** Validates an already-parsed TOML document. `file` names it in messages and anchors relative paths. */
export function buildConfig(raw: Raw, file: string, env: Readonly<Record<string, string | undefined>> = process.env): PassageConfig {
  const ctx = new Problems();
  const c = readConfigDocument(raw, ctx);
  if (c === undefined || ctx.problems.length > 0) throw new ConfigError(file, ctx.problems.map((p) => ({ key: p.path, message: p.message })));
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
      dynamodb: { ...c.table.dynamodb },
      publicKeys: c.table.public_keys.map(rel),
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
      allowPlainHttp: c.adapters.allow_plain_http.map((h) => plainHttpHost(h)!),
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
