// Where adapters may send what. A table names adapter endpoints, but only the router's own config
// (`[adapters]` in passage.toml) decides which hosts may be reached without TLS and which Kubernetes API
// servers get the router's bearer token: a table (signed or not) can point an adapter anywhere, so the
// table alone must never be enough to send a credential or a plain-text request off the machine.
import { isIP } from 'node:net';
import { isHostname } from '../table/syntax.ts';

export interface AdapterPolicy {
  /** Lower-case host names and IP addresses (IPv6 without brackets) reachable over http:// or plaintext gRPC. */
  readonly allowPlainHttp: readonly string[];
  readonly kubernetes: {
    /** API servers a table's `api_url` may name, besides the in-cluster one. */
    readonly apiUrls: readonly string[];
    /** The bearer token file; empty: the pod's service-account token, sent only when it exists. */
    readonly tokenFile: string;
  };
}

/** No plain text anywhere, the in-cluster API server only, the service-account token: what a router without `[adapters]` gets. */
export const STRICT_ADAPTER_POLICY: AdapterPolicy = Object.freeze({ allowPlainHttp: [], kubernetes: Object.freeze({ apiUrls: [], tokenFile: '' }) });

/** The form an `allow_plain_http` entry is compared in, or undefined when the entry is not a bare host. */
export function plainHttpHost(entry: string): string | undefined {
  const host = entry.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return isIP(host) !== 0 || isHostname(host) ? host : undefined;
}

/** Whether `host` (as URL.hostname or a gRPC address host gives it; IPv6 with or without brackets) may be reached in plain text. */
export function allowsPlainText(policy: AdapterPolicy, host: string): boolean {
  const wanted = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return policy.allowPlainHttp.some((entry) => plainHttpHost(entry) === wanted);
}

/** Why an adapter may not fetch `url`, or undefined when it may: https, or http to a host passage.toml allows. */
export function httpUrlProblem(policy: AdapterPolicy, url: string | URL): string | undefined {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : url;
  } catch {
    return 'not a URL';
  }
  if (parsed.protocol === 'https:') return undefined;
  if (parsed.protocol !== 'http:') return `scheme ${parsed.protocol} is not http or https`;
  if (allowsPlainText(policy, parsed.hostname)) return undefined;
  return `plain http to ${parsed.hostname} is not allowed: use https, or list "${parsed.hostname.replace(/^\[(.*)\]$/, '$1')}" in [adapters] allow_plain_http of passage.toml`;
}

/** `scheme://host[:port]/path` without a trailing slash: two spellings of one API server compare equal. */
export function endpointKey(url: string | URL): string | undefined {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : url;
  } catch {
    return undefined;
  }
  // Credentials or a query in the URL would travel with the router's own token: never the same endpoint.
  if (parsed.username !== '' || parsed.password !== '' || parsed.search !== '' || parsed.hash !== '') return undefined;
  return `${parsed.protocol}//${parsed.host}${parsed.pathname.replace(/\/+$/, '')}`;
}
