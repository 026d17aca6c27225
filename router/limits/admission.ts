import type { PassageConfig } from '../config/schema.ts';
import type { Connection } from '../connection/connection.ts';
import { events, publish } from '../events.ts';
import type { Intent } from '../events.ts';
import { clientKey } from './client-key.ts';
import type { ClientKeyPrefixes } from './client-key.ts';
import { ConcurrencyCaps } from './concurrency.ts';
import { SlidingWindowLimiter } from './rate-limiter.ts';

/** Status pings and logins have separate budgets: a server list refreshing must not lock a player out. */
export type Budget = 'status' | 'login';

export function budgetOf(intent: Intent): Budget {
  return intent === 'status' || intent === 'legacy' ? 'status' : 'login';
}

/** What one router admits: rate budgets per client key, and caps on pending connections. */
export class Admission {
  readonly prefixes: ClientKeyPrefixes;
  readonly caps: ConcurrencyCaps;
  private readonly limiters: Record<Budget, SlidingWindowLimiter> | undefined;

  constructor(config: PassageConfig, source: object) {
    const rl = config.rateLimiter;
    this.prefixes = { ipv4: rl.ipv4Prefix, ipv6: rl.ipv6Prefix };
    this.caps = new ConcurrencyCaps({ maxTotal: config.limits.maxPending, maxPerKey: config.limits.maxPendingPerIp });
    if (!rl.enabled) return;
    const limiter = (budget: Budget, limit: number): SlidingWindowLimiter =>
      new SlidingWindowLimiter({
        windowMs: rl.durationMs,
        limit,
        maxKeys: rl.maxTracked,
        onSizeChange: (size) => publish(events.rateLimiterSize, source, { budget, size }),
      });
    this.limiters = { status: limiter('status', rl.statusSize), login: limiter('login', rl.size) };
  }

  keyOf(ip: string): string {
    return clientKey(ip, this.prefixes);
  }

  /** Counts one handshake of `budget` for `ip`; false when that client is over its budget. */
  tryHandshake(ip: string, budget: Budget, now = Date.now()): boolean {
    return this.limiters === undefined || this.limiters[budget].tryAcquire(this.keyOf(ip), now);
  }

  /** Tracked keys per budget (0 when rate limiting is off). */
  trackedKeys(budget: Budget): number {
    return this.limiters?.[budget].size ?? 0;
  }
}

/**
 * Counts a handshake against its client's budget (called once the intent is known, before anything
 * costly). Over budget, a login is told why in its own language; a status ping is just closed.
 */
export function admitHandshake(conn: Connection): boolean {
  const admission = conn.ctx.admission;
  if (admission === undefined) return true;
  const budget = budgetOf(conn.intent);
  if (admission.tryHandshake(conn.clientIp, budget)) return true;
  publish(events.rateLimited, conn.ctx.source, { budget });
  if (budget === 'login') conn.disconnect('rate_limited', {}, 'rate_limited');
  else conn.abort('rate_limited');
  return false;
}
