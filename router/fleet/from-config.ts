// Builds the FleetReporter that `[fleet]` and `[table]` describe: heartbeats go to DynamoDB only when
// the table comes from there (the routers' only write path); otherwise reports are sampled for /status.

import type { Logger } from 'pino';
import type { PassageConfig } from '../config/schema.ts';
import type { RouterMetrics } from '../metrics/registry.ts';
import type { TablePoller } from '../routing/sources/poller.ts';
import type { Router } from '../server.ts';
import { DynamoDbHeartbeatSink, FleetReporter, type HeartbeatSink, type RouterState } from './heartbeat.ts';

export interface FleetDeps {
  readonly router: Router;
  readonly metrics: RouterMetrics;
  readonly poller: TablePoller;
  readonly log: Logger;
  readonly routerVersion: string;
  readonly now?: () => number;
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
    sink = new DynamoDbHeartbeatSink(createDynamoDbClient(d.region, d.endpoint), d.table, d.id);
  }
  return new FleetReporter({
    metrics: deps.metrics,
    state: () => routerState(deps.router, deps.poller),
    region: config.fleet.region,
    instance: config.fleet.instance,
    intervalMs: config.fleet.heartbeatIntervalMs,
    routerVersion: deps.routerVersion,
    ...(sink === undefined ? {} : { sink }),
    log: deps.log.child({ component: 'fleet' }),
    ...(deps.now === undefined ? {} : { now: deps.now }),
  });
}
