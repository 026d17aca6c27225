// Routers report themselves to `passagectl status`. Every `fleet.heartbeat_interval` a router samples
// its metrics into a FleetReport (shown on /status under `fleet`) and, when its table comes from
// DynamoDB, writes it as one heartbeat item next to the table:
//   pk = FLEET#<table id>#<region>, sk = INSTANCE#<region>#<instance>, expires_at = TTL (unix seconds)
// so the CLI reads a region's fleet with one Query and needs no network path to the routers. The item
// and its keys are contracts (router/contracts/heartbeat.ts, dynamodb-keys.ts). The region in the
// partition key lets IAM scope writes: a region stack's task role may only PutItem items with its own
// region's key (dynamodb:LeadingKeys), so no task can overwrite another region's heartbeats.
// A heartbeat that fails is counted and logged once per distinct error; it never stops the router.

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Counter } from 'prom-client';
import type { Logger } from 'pino';
import { encodeHeartbeat, type FleetReport, type RouterState } from '../contracts/heartbeat.ts';
import { fleetPartitionKey } from '../contracts/dynamodb-keys.ts';
import type { RouterMetrics } from '../metrics/registry.ts';
import { bucketDelta, histogramQuantile, ratesBetween, readSample, type MetricsSample } from './sample.ts';

export type { FleetReport, RouterState };

/** The last beat on stop must not hold a shutdown hostage to an unreachable DynamoDB. */
export const FINAL_BEAT_TIMEOUT_MS = 2_000;
export const HEARTBEAT_TIMEOUT_MS = 5_000;

export interface HeartbeatSink {
  readonly description: string;
  put(report: FleetReport, signal: AbortSignal): Promise<void>;
  close?(): void;
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
    // Imported here, not at the top: a router that writes no heartbeats never loads the SDK.
    const { PutItemCommand } = await import('@aws-sdk/client-dynamodb');
    await this.client.send(new PutItemCommand({ TableName: this.table, Item: encodeHeartbeat(this.tableId, report) }), { abortSignal: signal });
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

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
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
