// The HTTP table endpoint's settings in the regions file: how many routers may poll it from one public
// address (a fleet behind one NAT), which decides the smallest WAF rate limit that never blocks them,
// and an optional custom domain with an ACM certificate, the only way CloudFront enforces TLS 1.2.
//
//   [waf]
//   routers_per_address = 10        # routers polling from one address (default: the largest max_count)
//   router_poll_interval = "10s"    # their [table] poll_interval (default 10 s)
//
//   [table_endpoint]
//   domain = "tables.example.com"
//   certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/…"   # CloudFront: us-east-1 only

import { parseDuration } from '../config/duration.ts';
import { RegionsFileError } from './errors.ts';

/** The routers' default `[table] poll_interval` (router/config/schema.ts; the rendered ECS config too). */
export const DEFAULT_ROUTER_POLL_SECONDS = 10;
/**
 * Headroom over the steady poll rate: a router that restarts, retries after an error or reloads on a
 * new publish polls again at once, and a rolling deploy runs old and new tasks side by side (200 %).
 */
export const RATE_LIMIT_HEADROOM = 2;
export const MAX_ROUTERS_PER_ADDRESS = 100_000;

/** Routers that share one public source address when they poll the table endpoint. */
export interface TablePollers {
  readonly routersPerAddress: number;
  readonly pollIntervalSeconds: number;
}

export interface TableEndpointSpec {
  /** The distribution's alternate domain name. */
  readonly domain: string;
  /** An ACM certificate in us-east-1 that covers `domain`. */
  readonly certificateArn: string;
}

/**
 * The smallest per-address limit that lets `pollers` poll through one window without a block: polls per
 * window (window ÷ interval, rounded up) × routers × headroom.
 */
export function minimumRateLimit(pollers: TablePollers, windowSeconds: number): number {
  return Math.ceil(windowSeconds / pollers.pollIntervalSeconds) * pollers.routersPerAddress * RATE_LIMIT_HEADROOM;
}

/** `[waf] routers_per_address` and `router_poll_interval`; `largestFleet` is the default router count. */
export function parseTablePollers(waf: Record<string, unknown>, largestFleet: number): TablePollers {
  const routers = waf.routers_per_address;
  let routersPerAddress = largestFleet;
  if (routers !== undefined) {
    const n = typeof routers === 'bigint' ? Number(routers) : routers;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_ROUTERS_PER_ADDRESS) {
      throw new RegionsFileError('waf.routers_per_address', `must be an integer in 1…${MAX_ROUTERS_PER_ADDRESS}, got ${String(routers)}`);
    }
    routersPerAddress = n;
  }
  let pollIntervalSeconds = DEFAULT_ROUTER_POLL_SECONDS;
  if (waf.router_poll_interval !== undefined) {
    const ms = parseDuration(waf.router_poll_interval);
    if (ms === undefined || ms < 1000 || ms > 3_600_000) {
      throw new RegionsFileError('waf.router_poll_interval', `must be a duration from "1s" to "1h" (the routers' [table] poll_interval), got ${JSON.stringify(waf.router_poll_interval)}`);
    }
    pollIntervalSeconds = ms / 1000;
  }
  return { routersPerAddress, pollIntervalSeconds };
}

/** Refuses a rate rule that would block the routers' own polls (the arithmetic is in the message). */
export function checkRateRuleFitsPollers(rule: { readonly limit: number; readonly windowSeconds: number }, pollers: TablePollers, at: string): void {
  const needed = minimumRateLimit(pollers, rule.windowSeconds);
  if (rule.limit >= needed) return;
  const polls = Math.ceil(rule.windowSeconds / pollers.pollIntervalSeconds);
  throw new RegionsFileError(
    `${at}.limit`,
    `${rule.limit} per ${rule.windowSeconds} s would block routers behind one NAT: ${pollers.routersPerAddress} routers (waf.routers_per_address) polling every ${pollers.pollIntervalSeconds} s send ${polls * pollers.routersPerAddress} requests per window; set limit to at least ${needed} (${RATE_LIMIT_HEADROOM}× headroom for restarts and rolling deploys)`,
  );
}

/** `[table_endpoint]`: absent, or both a domain and a us-east-1 ACM certificate. */
export function parseTableEndpoint(value: unknown): TableEndpointSpec | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new RegionsFileError('table_endpoint', 'must be a table');
  const table = value as Record<string, unknown>;
  for (const key of Object.keys(table)) {
    if (key !== 'domain' && key !== 'certificate_arn') throw new RegionsFileError(`table_endpoint.${key}`, 'unknown key (expected one of domain, certificate_arn)');
  }
  const domain = typeof table.domain === 'string' ? table.domain.toLowerCase().replace(/\.$/, '') : undefined;
  if (domain === undefined || domain.length > 253 || !/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(domain)) {
    throw new RegionsFileError('table_endpoint.domain', `must be a DNS name like "tables.example.com", got ${JSON.stringify(table.domain)}`);
  }
  const arn = table.certificate_arn;
  if (typeof arn !== 'string' || !/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{1,64}$/.test(arn)) {
    throw new RegionsFileError('table_endpoint.certificate_arn', `must be an ACM certificate ARN (arn:aws:acm:us-east-1:ACCOUNT:certificate/ID), got ${JSON.stringify(arn)}`);
  }
  if (arn.split(':')[3] !== 'us-east-1') {
    throw new RegionsFileError('table_endpoint.certificate_arn', `CloudFront uses ACM certificates from us-east-1 only; ${arn.split(':')[3]} will not do (request or import it in us-east-1)`);
  }
  return { domain, certificateArn: arn };
}
