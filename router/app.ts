import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { createAdminServer, listenAdmin } from './admin/server.ts';
import { RouteAdapters } from './adapters/route-adapters.ts';
import { createFleetReporter } from './fleet/from-config.ts';
import type { PassageConfig } from './config/schema.ts';
import { RouterMetrics } from './metrics/registry.ts';
import { TableFileError } from './routing/file-source.ts';
import { createTablePoller } from './routing/sources/from-config.ts';
import type { TablePoller } from './routing/sources/poller.ts';
import type { TableSource } from './routing/sources/source.ts';
import { TableStore } from './routing/store.ts';
import { Router } from './server.ts';
import { VERSION } from './version.ts';

export interface RunningPassage {
  readonly router: Router;
  readonly metrics: RouterMetrics;
  readonly address: AddressInfo;
  readonly adminAddress: AddressInfo;
  readonly log: Logger;
  /** Fetches, verifies and swaps the routing table; `status()` is what /status shows as `tableSource`. */
  readonly poller: TablePoller;
  /** Graceful stop (drain, then close the admin server). Resolves with the connections cut at the deadline. */
  stop(drainMs?: number): Promise<number>;
}

export interface StartOptions {
  readonly log?: Logger;
  /** Override listen addresses (tests use port 0). */
  readonly listen?: { host: string; port: number };
  readonly adminListen?: { host: string; port: number };
  readonly random?: () => number;
  /** Auth-cookie secrets instead of the config's (tests). */
  readonly cookieSecrets?: readonly Buffer[];
  readonly now?: () => number;
  /** Replaces the table source built from `[table]` (tests, `passagectl dev`). */
  readonly tableSource?: TableSource;
}

export function createLogger(config: PassageConfig): Logger {
  return pino({ level: config.log.level, base: { service: 'passage' }, timestamp: pino.stdTimeFunctions.isoTime });
}

/** Loads the table, starts the router and its admin server. Throws on startup errors; never exits. */
export async function startPassage(config: PassageConfig, opts: StartOptions = {}): Promise<RunningPassage> {
  const log = opts.log ?? createLogger(config);
  const tables = new TableStore();
  const router = new Router({
    config,
    log,
    tables,
    ...(opts.random === undefined ? {} : { random: opts.random }),
    ...(opts.cookieSecrets === undefined ? {} : { cookieSecrets: opts.cookieSecrets }),
    ...(opts.now === undefined ? {} : { now: opts.now }),
  });
  // Attached before the first table arrives, so its version and times reach the gauges.
  const metrics = new RouterMetrics().attach(router);
  // Tracing subscribes to the core's events; without an endpoint no OpenTelemetry code is even loaded.
  const tracing = config.telemetry.otlpEndpoint === ''
    ? undefined
    : (await import('./telemetry/tracing.ts')).startTracing({ ...config.telemetry, serviceVersion: VERSION }, router, log);
  // Adapters start with the table that names them and stop when a table without them replaces it.
  const adapters = new RouteAdapters({ source: router, log, policy: config.adapters });
  tables.onSwap((active) => adapters.apply(active));
  const poller = await createTablePoller(config.table, {
    store: tables,
    log,
    eventSource: router,
    ...(opts.tableSource === undefined ? {} : { source: opts.tableSource }),
  });
  if (config.table.source === 'file') {
    // A local file is the operator's own: a broken one is a startup error they must see (exit 2).
    const first = await poller.pollOnce();
    if (first.kind === 'error' || first.kind === 'rejected') {
      adapters.stop();
      await tracing?.stop();
      metrics.detach();
      throw new TableFileError(first.kind === 'rejected' ? `${config.table.path}: ${first.message}` : first.message);
    }
    poller.start(config.table.pollIntervalMs);
  } else {
    // The control plane may be down: start anyway, from the cache if it still verifies, else with
    // /readyz at 503 until the first good table arrives.
    await poller.loadCache();
    poller.start();
  }
  const fleet = createFleetReporter(config, { router, metrics, poller, log, routerVersion: VERSION });
  const admin: Server = createAdminServer({ router, metrics, version: VERSION, extraStatus: () => ({ tableSource: poller.status(), fleet: fleet.status(), adapters: adapters.states() }) });
  const listen = opts.listen ?? config.address;
  const adminListen = opts.adminListen ?? config.admin.address;
  let address: AddressInfo;
  let adminAddress: AddressInfo;
  try {
    address = await router.listen(listen.host, listen.port);
  } catch (err) {
    await poller.stop();
    adapters.stop();
    await tracing?.stop();
    metrics.detach();
    throw err;
  }
  try {
    adminAddress = await listenAdmin(admin, adminListen.host, adminListen.port);
  } catch (err) {
    await poller.stop();
    adapters.stop();
    await router.close();
    await tracing?.stop();
    metrics.detach();
    throw err;
  }
  fleet.start();
  return {
    router,
    metrics,
    address,
    adminAddress,
    log,
    poller,
    async stop(drainMs?: number): Promise<number> {
      // First, so the fleet view shows this instance draining while it drains.
      await fleet.stop();
      await poller.stop();
      adapters.stop();
      const cut = await router.drain(drainMs);
      await new Promise<void>((r) => admin.close(() => r()));
      admin.closeAllConnections();
      // After the drain, so the spans of the last connections are flushed too.
      await tracing?.stop();
      metrics.detach();
      return cut;
    },
  };
}
