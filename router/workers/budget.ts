// The config one worker runs. Rate limits and pending caps are documented per instance (one IP gets
// `rate_limiter.size` logins per window from this router), and the kernel spreads one client's
// connections over the workers by their 4-tuple. So each worker holds a divided budget: ceil(limit / N).
// The instance then admits at most N·ceil(limit / N) from one client per window (the documented limit,
// plus at most N-1 for rounding), with no shared state and no IPC on the connection path; a client whose
// connections happen to land mostly on one worker is refused a little before the full limit.

import type { PassageConfig } from '../config/schema.ts';

export function dividedBudget(limit: number, workers: number): number {
  return Math.max(1, Math.ceil(limit / workers));
}

/** The worker's config: divided budgets, no cache file (the supervisor owns it), its own fleet instance. */
export function workerConfig(config: PassageConfig, index: number): PassageConfig {
  const n = config.workers;
  const divide = (limit: number): number => dividedBudget(limit, n);
  return {
    ...config,
    // A worker never forks workers of its own.
    workers: 1,
    rateLimiter: {
      ...config.rateLimiter,
      size: divide(config.rateLimiter.size),
      statusSize: divide(config.rateLimiter.statusSize),
      maxTracked: divide(config.rateLimiter.maxTracked),
    },
    limits: { ...config.limits, maxPending: divide(config.limits.maxPending), maxPendingPerIp: divide(config.limits.maxPendingPerIp) },
    // The supervisor polls and caches the table for the instance; workers are handed what it verified.
    table: { ...config.table, cacheFile: '' },
    // Each worker reports its own connections: one heartbeat row per worker (docs/CONFIGURATION.md).
    fleet: { ...config.fleet, instance: `${config.fleet.instance}-w${index}` },
  };
}
