// What a router tells the fleet view about its traffic: counter totals, per-second rates between two
// samples, and the p99 login latency of the logins in between (from the auth histogram's buckets).
// Reading the metrics is async (prom-client); everything after that is pure and tested with tables.

import type { FleetCounters, FleetRates } from '../contracts/heartbeat.ts';
import type { RouterMetrics } from '../metrics/registry.ts';

/** The shapes a heartbeat carries (router/contracts/heartbeat.ts). */
export type { FleetCounters, FleetRates };

export const COUNTER_NAMES: readonly (keyof FleetCounters)[] = ['connections', 'logins', 'transfers', 'errors', 'rateLimited'];

/** Cumulative bucket counts by upper bound (`+Inf` as Infinity), summed over labels. */
export type Buckets = ReadonlyMap<number, number>;

export interface MetricsSample {
  /** Milliseconds since the epoch. */
  readonly at: number;
  readonly counters: FleetCounters;
  readonly authBuckets: Buckets;
}

type MetricValue = { value: number; labels: Record<string, string | number | undefined>; metricName?: string };
type Readable = { get(): Promise<{ values: MetricValue[] }> };

async function total(metric: Readable): Promise<number> {
  return (await metric.get()).values.reduce((sum, v) => sum + v.value, 0);
}

export async function readSample(metrics: RouterMetrics, at: number): Promise<MetricsSample> {
  const auth = await (metrics.authDuration as unknown as Readable).get();
  const authBuckets = new Map<number, number>();
  let logins = 0;
  for (const v of auth.values) {
    if (v.metricName?.endsWith('_count') === true) logins += v.value;
    if (v.metricName?.endsWith('_bucket') !== true) continue;
    const le = v.labels.le === '+Inf' ? Infinity : Number(v.labels.le);
    authBuckets.set(le, (authBuckets.get(le) ?? 0) + v.value);
  }
  return {
    at,
    counters: {
      connections: await total(metrics.connectionsTotal as unknown as Readable),
      logins,
      transfers: await total(metrics.transfersTotal as unknown as Readable),
      errors: await total(metrics.errorsTotal as unknown as Readable),
      rateLimited: await total(metrics.rateLimitExceeded as unknown as Readable),
    },
    authBuckets,
  };
}

/** Per-second rates from `prev` to `next`; a counter that went down (a restart) counts from zero. */
export function ratesBetween(prev: MetricsSample, next: MetricsSample): FleetRates {
  const seconds = (next.at - prev.at) / 1000;
  const rate = (k: keyof FleetCounters): number => {
    if (seconds <= 0) return 0;
    const delta = next.counters[k] >= prev.counters[k] ? next.counters[k] - prev.counters[k] : next.counters[k];
    return round(delta / seconds);
  };
  return { connections: rate('connections'), logins: rate('logins'), transfers: rate('transfers'), errors: rate('errors'), rateLimited: rate('rateLimited') };
}

/** Bucket counts observed between two samples. */
export function bucketDelta(prev: Buckets, next: Buckets): Buckets {
  const out = new Map<number, number>();
  for (const [le, n] of next) out.set(le, Math.max(0, n - (prev.get(le) ?? 0)));
  return out;
}

/**
 * The q-quantile of a cumulative histogram, as Prometheus' histogram_quantile computes it: linear
 * interpolation inside the bucket holding the rank; a rank in the +Inf bucket answers the highest
 * finite bound. Undefined when nothing was observed.
 */
export function histogramQuantile(q: number, buckets: Buckets): number | undefined {
  const bounds = [...buckets.keys()].sort((a, b) => a - b);
  const count = bounds.length === 0 ? 0 : buckets.get(bounds[bounds.length - 1]) ?? 0;
  if (count <= 0) return undefined;
  const rank = q * count;
  let lower = 0;
  let below = 0;
  for (const le of bounds) {
    const cumulative = buckets.get(le) ?? 0;
    if (cumulative >= rank) {
      if (le === Infinity) return lower;
      const inBucket = cumulative - below;
      return inBucket <= 0 ? le : lower + (le - lower) * ((rank - below) / inBucket);
    }
    lower = le;
    below = cumulative;
  }
  return lower;
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
