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
import { describeReader, fieldsSchema, readObject, type Fields, type Problems, type Reader } from '../table/schema-kit.ts';

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

/** `[waf] routers_per_address`: absent, the largest fleet's max_count. */
export const readRoutersPerAddress = describeReader<Reader<number, Problems>>((raw, at, ctx) => {
  const n = typeof raw === 'bigint' ? Number(raw) : raw;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_ROUTERS_PER_ADDRESS) {
    return ctx.fail(at, `must be an integer in 1…${MAX_ROUTERS_PER_ADDRESS}, got ${String(raw)}`);
  }
  return n;
}, { type: 'integer', minimum: 1, maximum: MAX_ROUTERS_PER_ADDRESS });

/** `[waf] router_poll_interval`, in seconds: the routers' `[table] poll_interval` (absent: 10 s). */
export const readRouterPollInterval = describeReader<Reader<number, Problems>>((raw, at, ctx) => {
  const ms = parseDuration(raw);
  if (ms === undefined || ms < 1000 || ms > 3_600_000) {
    return ctx.fail(at, `must be a duration from "1s" to "1h" (the routers' [table] poll_interval), got ${JSON.stringify(raw)}`);
  }
  return ms / 1000;
}, { anyOf: [{ type: 'integer', minimum: 1 }, { type: 'string', pattern: '^[0-9]+(ms|s|m|h)$' }] });

/** Why a rate rule would block the routers' own polls (the arithmetic is in the message); undefined if it does not. */
export function rateRuleBlocksPollers(rule: { readonly limit: number; readonly windowSeconds: number }, pollers: TablePollers): string | undefined {
  const needed = minimumRateLimit(pollers, rule.windowSeconds);
  if (rule.limit >= needed) return undefined;
  const polls = Math.ceil(rule.windowSeconds / pollers.pollIntervalSeconds);
  return `${rule.limit} per ${rule.windowSeconds} s would block routers behind one NAT: ${pollers.routersPerAddress} routers (waf.routers_per_address) polling every ${pollers.pollIntervalSeconds} s send ${polls * pollers.routersPerAddress} requests per window; set limit to at least ${needed} (${RATE_LIMIT_HEADROOM}× headroom for restarts and rolling deploys)`;
}

/** A lower-case DNS name with at least two labels and a letters-only top-level one, at most 253 characters. */
export function isDnsName(name: string): boolean {
  return name.length <= 253 && /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(name);
}

const readEndpointDomain = describeReader<Reader<string, Problems>>((raw, at, ctx) => {
  const domain = typeof raw === 'string' ? raw.toLowerCase().replace(/\.$/, '') : undefined;
  if (domain === undefined || !isDnsName(domain)) {
    return ctx.fail(at, `must be a DNS name like "tables.example.com", got ${JSON.stringify(raw)}`);
  }
  return domain;
}, { type: 'string', minLength: 1, maxLength: 253 });

const readCertificateArn = describeReader<Reader<string, Problems>>((raw, at, ctx) => {
  if (typeof raw !== 'string' || !/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{1,64}$/.test(raw)) {
    return ctx.fail(at, `must be an ACM certificate ARN (arn:aws:acm:us-east-1:ACCOUNT:certificate/ID), got ${JSON.stringify(raw)}`);
  }
  if (raw.split(':')[3] !== 'us-east-1') {
    return ctx.fail(at, `CloudFront uses ACM certificates from us-east-1 only; ${raw.split(':')[3]} will not do (request or import it in us-east-1)`);
  }
  return raw;
}, { type: 'string', pattern: '^arn:aws[a-z-]*:acm:us-east-1:[0-9]{12}:certificate/[0-9a-f-]{1,64}$' });

const TABLE_ENDPOINT_FIELDS: Fields<TableEndpointSpec, Problems> = {
  domain: { key: 'domain', read: readEndpointDomain, required: true },
  certificateArn: { key: 'certificate_arn', read: readCertificateArn, required: true },
};

/** `[table_endpoint]`: both a domain and a us-east-1 ACM certificate. */
export const readTableEndpoint = describeReader<Reader<TableEndpointSpec, Problems>>((raw, at, ctx) => {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return ctx.fail(at, 'must be a table');
  return readObject(raw, at, ctx, TABLE_ENDPOINT_FIELDS);
}, () => fieldsSchema(TABLE_ENDPOINT_FIELDS));
