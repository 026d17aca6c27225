// Builds the FleetReporter that `[fleet]` and `[table]` describe: heartbeats go to DynamoDB only when
// the table comes from there (the routers' only write path); otherwise reports are sampled for /status.

import type { Logger } from 'pino';
import type { PassageConfig } from '../config/schema.ts';
import type { RouterMetrics } from '../metrics/registry.ts';
import type { TablePoller } from '../routing/sources/poller.ts';
import type { Router } from '../server.ts';
import { CloudWatchEmitter } from './cloudwatch.ts';
import { DynamoDbHeartbeatSink, FleetReporter, type HeartbeatSink, type RouterState } from './heartbeat.ts';

export interface FleetDeps {
  readonly router: Router;
  readonly metrics: RouterMetrics;
  readonly poller: TablePoller;
  readonly log: Logger;
  readonly routerVersion: string;
  readonly now?: () => number;
  /** Where the CloudWatch EMF lines go (default: stdout, which the awslogs driver ships). */
  readonly writeMetricLine?: (line: string) => void;
}

export function routerState(router: Router, poller: TablePoller): RouterState {
  const active = router.ctx.tables.current;
  return {
    ready: !router.draining && active !== undefined,
    draining: router.draining,
    activeConnections: router.activeConnections,
    table: active === undefined
      ? null
      : { id: active.table.tableId, version: active.table.version, ...(active.table.expiresAt === undefined ? {} : { expiresAt: active.table.expiresAt }) },
    lastRejection: poller.status().lastRejection,
  };
}

/** The DynamoDB SDK is imported only when heartbeats are written there (a `dynamodb` table source). */
export async function createFleetReporter(config: PassageConfig, deps: FleetDeps): Promise<FleetReporter> {
  let sink: HeartbeatSink | undefined;
  if (config.table.source === 'dynamodb') {
    const d = config.table.dynamodb;
    const { createDynamoDbClient } = await import('../routing/sources/dynamodb.ts');
    sink = new DynamoDbHeartbeatSink(createDynamoDbClient(d.region, d.endpoint), d.table, d.id, config.fleet.region);
  }
  const tableId = config.table.source === 'dynamodb' ? config.table.dynamodb.id : '';
  const emitter = config.fleet.cloudwatchMetrics
    ? new CloudWatchEmitter(tableId, deps.writeMetricLine ?? ((line) => process.stdout.write(line)))
    : undefined;
  return new FleetReporter({
    metrics: deps.metrics,
    state: () => routerState(deps.router, deps.poller),
    region: config.fleet.region,
    instance: config.fleet.instance,
    intervalMs: config.fleet.heartbeatIntervalMs,
    routerVersion: deps.routerVersion,
    ...(sink === undefined ? {} : { sink }),
    ...(emitter === undefined ? {} : { onReport: (report, failures) => emitter.report(report, failures) }),
    log: deps.log.child({ component: 'fleet' }),
    ...(deps.now === undefined ? {} : { now: deps.now }),
  });
}
