// Routers report themselves to `passagectl status`. Every `fleet.heartbeat_interval` a router samples
// its metrics into a FleetReport (shown on /status under `fleet`) and, when its table comes from
// DynamoDB, writes it as one heartbeat item next to the table:
//   pk = FLEET#<table id>#<region>, sk = INSTANCE#<region>#<instance>, expires_at = TTL (unix seconds)
// so the CLI reads a region's fleet with one Query and needs no network path to the routers. The
// region in the partition key lets IAM scope writes: a region stack's task role may only PutItem items
// with its own region's key (dynamodb:LeadingKeys; cli/aws/stacks.ts), so no task can overwrite another
// region's heartbeats.
// A heartbeat that fails is counted and logged once per distinct error; it never stops the router.

import { PutItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Counter } from 'prom-client';
import type { Logger } from 'pino';
import type { RouterMetrics } from '../metrics/registry.ts';
import { bucketDelta, histogramQuantile, ratesBetween, readSample, type FleetCounters, type FleetRates, type MetricsSample } from './sample.ts';

/** The item's TTL attribute (the DynamoDB table's TTL setting names it; see cli/aws/stacks.ts). */
export const HEARTBEAT_TTL_ATTRIBUTE = 'expires_at';
/** A heartbeat item outlives its router by 3 intervals (then the CLI calls it stale) plus this. */
export const HEARTBEAT_TTL_MARGIN_MS = 10 * 60_000;
/** Intervals without a beat before an instance is stale (the CLI uses the same rule). */
export const STALE_AFTER_INTERVALS = 3;
/** The last beat on stop must not hold a shutdown hostage to an unreachable DynamoDB. */
export const FINAL_BEAT_TIMEOUT_MS = 2_000;
export const HEARTBEAT_TIMEOUT_MS = 5_000;

/** The heartbeat partition of one region's routers (cli/aws/stacks.ts has the same function). */
export function fleetPartitionKey(tableId: string, region: string): string {
  return `FLEET#${tableId}#${region}`;
}

export function instanceSortKey(region: string, instance: string): string {
  return `INSTANCE#${region}#${instance}`;
}

/** What the router is doing right now, read at each beat. */
export interface RouterState {
  readonly ready: boolean;
  readonly draining: boolean;
  readonly activeConnections: number;
  readonly table: { readonly id: string; readonly version: number; readonly expiresAt?: number } | null;
  readonly lastRejection: { readonly code: string; readonly message: string; readonly at: string } | null;
}

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

export interface HeartbeatSink {
  readonly description: string;
  put(report: FleetReport, signal: AbortSignal): Promise<void>;
  close?(): void;
}

/** The heartbeat item for a report (the CLI's cli/fleet/heartbeats.ts reads these names). */
export function heartbeatItem(tableId: string, r: FleetReport): Record<string, AttributeValue> {
  const n = (v: number): AttributeValue => ({ N: String(v) });
  const numbers = (o: object): AttributeValue => ({ M: Object.fromEntries(Object.entries(o).map(([k, v]) => [k, n(v as number)])) });
  const ttl = Math.ceil((r.at + STALE_AFTER_INTERVALS * r.intervalMs + HEARTBEAT_TTL_MARGIN_MS) / 1000);
  return {
    pk: { S: fleetPartitionKey(tableId, r.region) },
    sk: { S: instanceSortKey(r.region, r.instance) },
    region: { S: r.region },
    instance: { S: r.instance },
    router_version: { S: r.routerVersion },
    started_at: n(r.startedAt),
    beat_at: n(r.at),
    interval_ms: n(r.intervalMs),
    ready: { BOOL: r.ready },
    draining: { BOOL: r.draining },
    active_connections: n(r.activeConnections),
    ...(r.table === null
      ? {}
      : { table_id: { S: r.table.id }, table_version: n(r.table.version), ...(r.table.expiresAt === undefined ? {} : { table_expires_at: n(r.table.expiresAt) }) }),
    ...(r.lastRejection === null
      ? {}
      : { last_rejection: { M: { code: { S: r.lastRejection.code }, message: { S: r.lastRejection.message.slice(0, 500) }, at: { S: r.lastRejection.at } } } }),
    counters: numbers(r.counters),
    rates: numbers(r.rates),
    ...(r.p99LoginSeconds === null ? {} : { p99_login_seconds: n(r.p99LoginSeconds) }),
    [HEARTBEAT_TTL_ATTRIBUTE]: n(ttl),
  };
}

export class DynamoDbHeartbeatSink implements HeartbeatSink {
  readonly description: string;
  private readonly client: DynamoDBClient;
  private readonly table: string;
  private readonly tableId: string;

  /** `region` is the routers' own (`[fleet] region`): the only partition their role may write. */
  constructor(client: DynamoDBClient, table: string, tableId: string, region: string) {
    this.client = client;
    this.table = table;
    this.tableId = tableId;
    this.description = `dynamodb://${table}/${tableId} (${fleetPartitionKey(tableId, region)})`;
  }

  async put(report: FleetReport, signal: AbortSignal): Promise<void> {
    await this.client.send(new PutItemCommand({ TableName: this.table, Item: heartbeatItem(this.tableId, report) }), { abortSignal: signal });
  }

  close(): void {
    this.client.destroy();
  }
}

export interface FleetReporterOptions {
  readonly metrics: RouterMetrics;
  readonly state: () => RouterState;
  readonly region: string;
  readonly instance: string;
  readonly intervalMs: number;
  readonly routerVersion: string;
  /** Absent: reports are only sampled (for /status), never written. */
  readonly sink?: HeartbeatSink;
  /** Called after every beat with the report and the failed heartbeats so far (CloudWatch metrics). */
  readonly onReport?: (report: FleetReport, failures: number) => void;
  readonly log: Logger;
  readonly now?: () => number;
}

/** What /status shows under `fleet`. */
export interface FleetStatus {
  readonly region: string;
  readonly instance: string;
  readonly heartbeat: { sink: string | null; beats: number; failures: number; lastError: string | null };
  readonly report: FleetReport | null;
}

export class FleetReporter {
  private readonly opts: FleetReporterOptions;
  private readonly now: () => number;
  private readonly startedAt: number;
  private readonly failuresTotal: Counter<'kind'>;
  private previous: MetricsSample | undefined;
  private last: FleetReport | undefined;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private stopped = false;
  private beats = 0;
  private failures = 0;
  private lastError: string | undefined;
  /** Errors already logged since the last success: an outage logs one line, not one per beat. */
  private readonly logged = new Set<string>();

  constructor(opts: FleetReporterOptions) {
    this.opts = opts;
    this.now = opts.now ?? Date.now;
    this.startedAt = this.now();
    this.failuresTotal = new Counter({
      name: 'passage_fleet_heartbeat_failures_total', help: 'Fleet heartbeats that could not be written, by error name', labelNames: ['kind'],
      registers: [opts.metrics.registry],
    });
  }

  start(): void {
    if (this.stopped || this.timer !== undefined) return;
    // The first sample is the baseline the first rates are measured from.
    this.inFlight = readSample(this.opts.metrics, this.now()).then((s) => {
      this.previous = s;
    }, () => undefined);
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.inFlight = this.beat(false, HEARTBEAT_TIMEOUT_MS).then(() => this.schedule());
    }, this.opts.intervalMs);
    this.timer.unref();
  }

  /** Samples, and writes the heartbeat when there is a sink. Never throws. */
  async beat(finalBeat = false, timeoutMs = HEARTBEAT_TIMEOUT_MS): Promise<FleetReport | undefined> {
    let report: FleetReport;
    try {
      report = await this.sample(finalBeat);
    } catch (err) {
      this.fail(err);
      return undefined;
    }
    const sink = this.opts.sink;
    if (sink !== undefined) {
      try {
        await sink.put(report, AbortSignal.timeout(timeoutMs));
        this.beats++;
        if (this.logged.size > 0) this.opts.log.info({ sink: sink.description }, 'fleet heartbeats are being written again');
        this.logged.clear();
      } catch (err) {
        this.fail(err);
      }
    }
    this.opts.onReport?.(report, this.failures);
    return report;
  }

  private async sample(finalBeat: boolean): Promise<FleetReport> {
    const sample = await readSample(this.opts.metrics, this.now());
    const prev = this.previous ?? { at: this.startedAt, counters: sample.counters, authBuckets: new Map() };
    this.previous = sample;
    const p99 = histogramQuantile(0.99, bucketDelta(prev.authBuckets, sample.authBuckets));
    const state = this.opts.state();
    const report: FleetReport = {
      ...state,
      draining: state.draining || finalBeat,
      ready: state.ready && !finalBeat,
      region: this.opts.region,
      instance: this.opts.instance,
      routerVersion: this.opts.routerVersion,
      startedAt: this.startedAt,
      at: sample.at,
      intervalMs: this.opts.intervalMs,
      counters: sample.counters,
      rates: ratesBetween(prev, sample),
      p99LoginSeconds: p99 === undefined ? null : Math.round(p99 * 1e6) / 1e6,
    };
    this.last = report;
    return report;
  }

  private fail(err: unknown): void {
    this.failures++;
    const e = err as { name?: string; message?: string };
    const kind = e.name === 'TimeoutError' || e.name === 'AbortError' ? 'timeout' : (e.name ?? 'Error');
    this.failuresTotal.inc({ kind });
    this.lastError = `${kind}: ${e.message ?? String(err)}`;
    if (!this.logged.has(this.lastError)) {
      // Bounded: a flood of distinct messages still logs at most this many lines per outage.
      if (this.logged.size < 32) this.logged.add(this.lastError);
      this.opts.log.warn({ err: this.lastError, sink: this.opts.sink?.description }, 'fleet heartbeat failed (the router keeps serving)');
    }
  }

  /** Stops beating; with a sink, writes a last heartbeat saying `draining`. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    await this.inFlight;
    if (this.opts.sink !== undefined) {
      await this.beat(true, FINAL_BEAT_TIMEOUT_MS);
      this.opts.sink.close?.();
    }
  }

  status(): FleetStatus {
    return {
      region: this.opts.region,
      instance: this.opts.instance,
      heartbeat: { sink: this.opts.sink?.description ?? null, beats: this.beats, failures: this.failures, lastError: this.lastError ?? null },
      report: this.last ?? null,
    };
  }
}
