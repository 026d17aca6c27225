// The fleet heartbeat item: what a router writes next to its table every `fleet.heartbeat_interval`
// (router/fleet/heartbeat.ts), and what `passagectl status` and `passagectl deploy` read back
// (cli/fleet/sources.ts, cli/deploy/cloud.ts). One encoder, one decoder, one staleness rule; the
// round trip is tested in test/contracts/heartbeat.test.ts.
//
// The decoder reads an item someone else wrote: every field is checked for its type, strings are cut
// to the same bounds the encoder writes with, and a number that is not finite counts as absent.

import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { fleetPartitionKey, instanceSortKey, TTL_ATTRIBUTE } from './dynamodb-keys.ts';

/** Intervals without a beat before an instance is stale; the item's TTL is built on the same number. */
export const STALE_AFTER_INTERVALS = 3;
/** A heartbeat item outlives its router by STALE_AFTER_INTERVALS intervals plus this. */
export const HEARTBEAT_TTL_MARGIN_MS = 10 * 60_000;
/** Region, instance and router version are cut to this many characters, written and read. */
export const MAX_HEARTBEAT_NAME = 256;
/** The last rejection's message (a table error's text), written and read. */
export const MAX_REJECTION_MESSAGE = 500;
/** The last rejection's code and time. */
export const MAX_REJECTION_FIELD = 128;

/** Counter totals since the router started. `logins` are completed authentications (any result). */
export interface FleetCounters {
  readonly connections: number;
  readonly logins: number;
  readonly transfers: number;
  readonly errors: number;
  readonly rateLimited: number;
}

/** The same counters per second, between two beats. */
export type FleetRates = FleetCounters;

const NUMBER_NAMES: readonly (keyof FleetCounters)[] = ['connections', 'logins', 'transfers', 'errors', 'rateLimited'];

/** What the router is doing right now, read at each beat. */
export interface RouterState {
  readonly ready: boolean;
  readonly draining: boolean;
  readonly activeConnections: number;
  readonly table: { readonly id: string; readonly version: number; readonly expiresAt?: number } | null;
  readonly lastRejection: { readonly code: string; readonly message: string; readonly at: string } | null;
}

/** One beat, as the router makes it (also shown on its /status under `fleet`). */
export interface FleetReport extends RouterState {
  readonly region: string;
  readonly instance: string;
  readonly routerVersion: string;
  /** Milliseconds since the epoch. */
  readonly startedAt: number;
  readonly at: number;
  readonly intervalMs: number;
  readonly counters: FleetCounters;
  /** Per second, since the previous beat. */
  readonly rates: FleetRates;
  /** p99 of the logins authenticated since the previous beat; null when there were none. */
  readonly p99LoginSeconds: number | null;
}

/** A heartbeat item as read back: what a reader can rely on is non-null, the rest may be missing. */
export interface HeartbeatRecord {
  readonly region: string;
  readonly instance: string | null;
  readonly routerVersion: string | null;
  readonly startedAt: number | null;
  /** When the beat was made (ms since the epoch). */
  readonly at: number;
  readonly intervalMs: number | null;
  readonly ready: boolean;
  readonly draining: boolean;
  readonly activeConnections: number | null;
  readonly table: { readonly id: string | null; readonly version: number; readonly expiresAt: number | null } | null;
  readonly lastRejection: { readonly code: string; readonly message: string; readonly at: string } | null;
  readonly counters: FleetCounters | null;
  readonly rates: FleetRates | null;
  readonly p99LoginSeconds: number | null;
  /** The item's TTL (unix seconds): past it, DynamoDB may delete the item at any time. */
  readonly expiresAtSeconds: number | null;
}

type Item = Record<string, AttributeValue>;

/** The TTL (unix seconds) of a beat made at `at`: stale after STALE_AFTER_INTERVALS, deleted a margin later. */
export function heartbeatExpiresAtSeconds(at: number, intervalMs: number): number {
  return Math.ceil((at + STALE_AFTER_INTERVALS * intervalMs + HEARTBEAT_TTL_MARGIN_MS) / 1000);
}

/** True when a beat made at `at` is older than STALE_AFTER_INTERVALS intervals at `now`. */
export function isStaleBeat(at: number, intervalMs: number, now: number): boolean {
  return now - at > STALE_AFTER_INTERVALS * intervalMs;
}

export function encodeHeartbeat(tableId: string, r: FleetReport): Item {
  const n = (v: number): AttributeValue => ({ N: String(v) });
  const numbers = (o: FleetCounters): AttributeValue => ({ M: Object.fromEntries(NUMBER_NAMES.map((k) => [k, n(o[k])])) });
  return {
    pk: { S: fleetPartitionKey(tableId, r.region) },
    sk: { S: instanceSortKey(r.region, r.instance) },
    region: { S: r.region.slice(0, MAX_HEARTBEAT_NAME) },
    instance: { S: r.instance.slice(0, MAX_HEARTBEAT_NAME) },
    router_version: { S: r.routerVersion.slice(0, MAX_HEARTBEAT_NAME) },
    started_at: n(r.startedAt),
    beat_at: n(r.at),
    interval_ms: n(r.intervalMs),
    ready: { BOOL: r.ready },
    draining: { BOOL: r.draining },
    active_connections: n(r.activeConnections),
    ...(r.table === null
      ? {}
      : {
          table_id: { S: r.table.id.slice(0, MAX_HEARTBEAT_NAME) },
          table_version: n(r.table.version),
          ...(r.table.expiresAt === undefined ? {} : { table_expires_at: n(r.table.expiresAt) }),
        }),
    ...(r.lastRejection === null
      ? {}
      : {
          last_rejection: {
            M: {
              code: { S: r.lastRejection.code.slice(0, MAX_REJECTION_FIELD) },
              message: { S: r.lastRejection.message.slice(0, MAX_REJECTION_MESSAGE) },
              at: { S: r.lastRejection.at.slice(0, MAX_REJECTION_FIELD) },
            },
          },
        }),
    counters: numbers(r.counters),
    rates: numbers(r.rates),
    ...(r.p99LoginSeconds === null ? {} : { p99_login_seconds: n(r.p99LoginSeconds) }),
    [TTL_ATTRIBUTE]: n(heartbeatExpiresAtSeconds(r.at, r.intervalMs)),
  };
}

const num = (v: AttributeValue | undefined): number | null => {
  if (v?.N === undefined) return null;
  const n = Number(v.N);
  return Number.isFinite(n) ? n : null;
};
const str = (v: AttributeValue | undefined, max: number): string | null => (typeof v?.S === 'string' ? v.S.slice(0, max) : null);

function numbersOf(v: AttributeValue | undefined): FleetCounters | null {
  const m = v?.M;
  if (m === undefined) return null;
  const n = (k: keyof FleetCounters): number => num(m[k]) ?? 0;
  return { connections: n('connections'), logins: n('logins'), transfers: n('transfers'), errors: n('errors'), rateLimited: n('rateLimited') };
}

/** A heartbeat item as a record; undefined when it is not one (no region or no beat time). */
export function decodeHeartbeat(item: Item): HeartbeatRecord | undefined {
  const region = str(item.region, MAX_HEARTBEAT_NAME);
  const at = num(item.beat_at);
  if (region === null || at === null) return undefined;
  const version = num(item.table_version);
  const rejection = item.last_rejection?.M;
  return {
    region,
    instance: str(item.instance, MAX_HEARTBEAT_NAME),
    routerVersion: str(item.router_version, MAX_HEARTBEAT_NAME),
    startedAt: num(item.started_at),
    at,
    intervalMs: num(item.interval_ms),
    ready: item.ready?.BOOL === true,
    draining: item.draining?.BOOL === true,
    activeConnections: num(item.active_connections),
    table: version === null ? null : { id: str(item.table_id, MAX_HEARTBEAT_NAME), version, expiresAt: num(item.table_expires_at) },
    lastRejection:
      rejection === undefined
        ? null
        : {
            code: str(rejection.code, MAX_REJECTION_FIELD) ?? '',
            message: str(rejection.message, MAX_REJECTION_MESSAGE) ?? '',
            at: str(rejection.at, MAX_REJECTION_FIELD) ?? '',
          },
    counters: numbersOf(item.counters),
    rates: numbersOf(item.rates),
    p99LoginSeconds: num(item.p99_login_seconds),
    expiresAtSeconds: num(item[TTL_ATTRIBUTE]),
  };
}
