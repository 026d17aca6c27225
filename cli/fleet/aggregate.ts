// The fleet view's arithmetic, pure: which instances are stale, what each region adds up to, the
// connections/s history behind the sparklines. Inputs are reports from heartbeats or /status; the
// clock is a parameter, so every rule here is tested with a table of cases.

import { isStaleBeat } from '../../router/contracts/heartbeat.ts';

export interface Rates {
  readonly connections: number;
  readonly logins: number;
  readonly transfers: number;
  readonly errors: number;
  readonly rateLimited: number;
}

export const ZERO_RATES: Rates = { connections: 0, logins: 0, transfers: 0, errors: 0, rateLimited: 0 };

/** One router, as it last described itself (heartbeat item or /status). Times in ms since the epoch. */
export interface InstanceReport {
  /** `dynamodb` or the admin URL it was read from. */
  readonly source: string;
  readonly region: string;
  readonly instance: string;
  readonly routerVersion: string | null;
  readonly startedAt: number | null;
  /** When the report was made (the heartbeat's time; for /status, when it answered). */
  readonly at: number;
  readonly intervalMs: number;
  readonly ready: boolean;
  readonly draining: boolean;
  readonly activeConnections: number;
  readonly table: { readonly id: string; readonly version: number; readonly expiresAt: number | null } | null;
  readonly lastRejection: { readonly code: string; readonly message: string; readonly at: string } | null;
  readonly rates: Rates | null;
  readonly p99LoginSeconds: number | null;
  /** The heartbeat item's TTL (unix seconds): past it, DynamoDB may delete it any time, so it is not shown. */
  readonly expiresAtSeconds: number | null;
  /** Set when the router could not be read (an admin URL that did not answer). */
  readonly error: string | null;
}

export type InstanceState = 'ready' | 'starting' | 'draining' | 'stale';

export interface InstanceView extends InstanceReport {
  readonly state: InstanceState;
  readonly ageMs: number;
  /** The instance serves an older version than the latest published one. */
  readonly behind: boolean;
}

/** The latest published table (`TABLE#<id>` / `LATEST`). */
export interface PublishedTable {
  readonly id: string;
  readonly version: number;
  readonly expiresAt: number | null;
}

export type RegionHealth = 'ok' | 'degraded' | 'stale';

export interface RegionRow {
  readonly region: string;
  readonly instances: number;
  readonly ready: number;
  readonly starting: number;
  readonly draining: number;
  readonly stale: number;
  /** Distinct versions served by the region's live (not stale) instances, ascending. */
  readonly tableVersions: readonly number[];
  /** Live instances on a version older than the latest published. */
  readonly behind: number;
  /** Earliest expiry among the tables the live instances serve; null when none expires or none is known. */
  readonly tableExpiresAt: number | null;
  /** Sums over live instances. */
  readonly rates: Rates;
  /** The worst p99 among live instances (quantiles do not add up; the worst one is what to act on). */
  readonly p99LoginSeconds: number | null;
  readonly health: RegionHealth;
}

export interface FleetSnapshot {
  readonly at: number;
  readonly latest: PublishedTable | null;
  readonly regions: readonly RegionRow[];
  readonly instances: readonly InstanceView[];
  /** Sources that could not be read, as one line each. */
  readonly problems: readonly string[];
}

export function instanceState(r: InstanceReport, now: number): InstanceState {
  if (r.error !== null) return 'stale';
  if (isStaleBeat(r.at, r.intervalMs, now)) return 'stale';
  if (r.draining) return 'draining';
  return r.ready ? 'ready' : 'starting';
}

export function viewInstances(reports: readonly InstanceReport[], latest: PublishedTable | null, now: number): InstanceView[] {
  return reports
    .filter((r) => r.expiresAtSeconds === null || r.expiresAtSeconds * 1000 > now)
    .map((r) => ({
      ...r,
      state: instanceState(r, now),
      ageMs: Math.max(0, now - r.at),
      behind: latest !== null && r.table !== null && r.table.version < latest.version,
    }))
    .sort((a, b) => a.region.localeCompare(b.region) || a.instance.localeCompare(b.instance));
}

export function aggregateRegions(instances: readonly InstanceView[]): RegionRow[] {
  const byRegion = new Map<string, InstanceView[]>();
  for (const i of instances) byRegion.set(i.region, [...(byRegion.get(i.region) ?? []), i]);
  const rows: RegionRow[] = [];
  for (const [region, list] of byRegion) {
    const live = list.filter((i) => i.state !== 'stale');
    const count = (s: InstanceState): number => list.filter((i) => i.state === s).length;
    const versions = [...new Set(live.flatMap((i) => (i.table === null ? [] : [i.table.version])))].sort((a, b) => a - b);
    const expiries = live.flatMap((i) => (i.table?.expiresAt == null ? [] : [i.table.expiresAt]));
    const p99s = live.flatMap((i) => (i.p99LoginSeconds === null ? [] : [i.p99LoginSeconds]));
    const rates = live.reduce((sum, i) => addRates(sum, i.rates ?? ZERO_RATES), ZERO_RATES);
    const behind = live.filter((i) => i.behind).length;
    const ready = count('ready');
    const stale = count('stale');
    rows.push({
      region,
      instances: list.length,
      ready,
      starting: count('starting'),
      draining: count('draining'),
      stale,
      tableVersions: versions,
      behind,
      tableExpiresAt: expiries.length === 0 ? null : Math.min(...expiries),
      rates,
      p99LoginSeconds: p99s.length === 0 ? null : Math.max(...p99s),
      // A region that stopped reporting is shown as stale, never dropped.
      health: live.length === 0 ? 'stale' : ready === list.length && behind === 0 ? 'ok' : 'degraded',
    });
  }
  return rows.sort((a, b) => a.region.localeCompare(b.region));
}

export function addRates(a: Rates, b: Rates): Rates {
  const r = (x: number, y: number): number => Math.round((x + y) * 1000) / 1000;
  return {
    connections: r(a.connections, b.connections),
    logins: r(a.logins, b.logins),
    transfers: r(a.transfers, b.transfers),
    errors: r(a.errors, b.errors),
    rateLimited: r(a.rateLimited, b.rateLimited),
  };
}

export function buildSnapshot(reports: readonly InstanceReport[], latest: PublishedTable | null, problems: readonly string[], now: number): FleetSnapshot {
  const instances = viewInstances(reports, latest, now);
  return { at: now, latest, regions: aggregateRegions(instances), instances, problems };
}

/** Connections/s per region over the last `limit` refreshes (oldest first). */
export type RateHistory = ReadonlyMap<string, readonly number[]>;

export const HISTORY_LENGTH = 30;

export function pushHistory(history: RateHistory, regions: readonly RegionRow[], limit = HISTORY_LENGTH): RateHistory {
  const next = new Map<string, readonly number[]>();
  for (const row of regions) next.set(row.region, [...(history.get(row.region) ?? []), row.rates.connections].slice(-limit));
  return next;
}

const BARS = '▁▂▃▄▅▆▇█';

/** The last `width` values as bars scaled to their own maximum; all zero draws the lowest bar. */
export function sparkline(values: readonly number[], width: number): string {
  const tail = values.slice(-width);
  const max = Math.max(0, ...tail);
  return tail.map((v) => (max <= 0 ? BARS[0] : BARS[Math.min(BARS.length - 1, Math.round((v / max) * (BARS.length - 1)))])).join('');
}
