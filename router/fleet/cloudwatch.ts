// CloudWatch metrics from the fleet reports, for the alarms the CDK stacks ship (infra/constructs/
// fleet-alarms.ts): one CloudWatch embedded metric format (EMF) line on stdout per minute. On ECS the
// awslogs driver sends stdout to CloudWatch Logs, which turns EMF lines into metrics; no agent, no SDK
// call, no extra IAM permission. Off unless `[fleet] cloudwatch_metrics = true` (the CDK config sets it).

import type { FleetReport } from './heartbeat.ts';

export const CLOUDWATCH_NAMESPACE = 'Passage';
/** One line a minute: the alarms evaluate 1-minute periods. */
export const CLOUDWATCH_INTERVAL_MS = 60_000;
/** The metric names the alarms read (test/infra/fleet-alarms.test.ts pins both sides). */
export const CLOUDWATCH_METRICS = {
  tableExpirySeconds: 'TableExpirySeconds',
  tableExpired: 'TableExpired',
  tableVersion: 'TableVersion',
  heartbeatFailures: 'HeartbeatFailures',
} as const;
export const CLOUDWATCH_DIMENSIONS = ['TableId', 'Region'] as const;
/** Dimension values come from the router's own config; CloudWatch caps them at 1024 characters. */
const MAX_DIMENSION_LENGTH = 255;

/**
 * The EMF document for one report. `heartbeatFailures`: heartbeats that could not be written since the
 * previous line. Metrics the report cannot give (no table yet, no expiry) are left out, not zeroed.
 */
export function emfLine(tableId: string, report: FleetReport, heartbeatFailures: number): string {
  const values: Record<string, number> = { [CLOUDWATCH_METRICS.heartbeatFailures]: heartbeatFailures };
  const units: Record<string, string> = { [CLOUDWATCH_METRICS.heartbeatFailures]: 'Count' };
  if (report.table !== null) {
    values[CLOUDWATCH_METRICS.tableVersion] = report.table.version;
    units[CLOUDWATCH_METRICS.tableVersion] = 'None';
    if (report.table.expiresAt !== undefined) {
      const left = Math.round((report.table.expiresAt - report.at) / 1000);
      values[CLOUDWATCH_METRICS.tableExpirySeconds] = left;
      units[CLOUDWATCH_METRICS.tableExpirySeconds] = 'Seconds';
      values[CLOUDWATCH_METRICS.tableExpired] = left <= 0 ? 1 : 0;
      units[CLOUDWATCH_METRICS.tableExpired] = 'None';
    }
  }
  return JSON.stringify({
    _aws: {
      Timestamp: report.at,
      CloudWatchMetrics: [
        {
          Namespace: CLOUDWATCH_NAMESPACE,
          Dimensions: [[...CLOUDWATCH_DIMENSIONS]],
          Metrics: Object.keys(values).map((Name) => ({ Name, Unit: units[Name] })),
        },
      ],
    },
    TableId: (tableId || report.table?.id || 'unknown').slice(0, MAX_DIMENSION_LENGTH),
    Region: report.region.slice(0, MAX_DIMENSION_LENGTH),
    Instance: report.instance.slice(0, MAX_DIMENSION_LENGTH),
    ...values,
  });
}

/** Writes at most one EMF line per interval; `write` failing (a closed stdout) never stops the router. */
export class CloudWatchEmitter {
  private readonly tableId: string;
  private readonly write: (line: string) => void;
  private readonly intervalMs: number;
  private lastAt = Number.NEGATIVE_INFINITY;
  private failuresAtLast = 0;

  constructor(tableId: string, write: (line: string) => void, intervalMs = CLOUDWATCH_INTERVAL_MS) {
    this.tableId = tableId;
    this.write = write;
    this.intervalMs = intervalMs;
  }

  /** `failuresTotal`: heartbeats that failed since the router started. */
  report(report: FleetReport, failuresTotal: number): void {
    if (report.at - this.lastAt < this.intervalMs) return;
    this.lastAt = report.at;
    const delta = Math.max(0, failuresTotal - this.failuresAtLast);
    this.failuresAtLast = failuresTotal;
    try {
      this.write(`${emfLine(this.tableId, report, delta)}\n`);
    } catch {
      // Nothing to tell: the log stream is what failed.
    }
  }
}
