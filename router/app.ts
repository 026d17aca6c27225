import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { closeAdmin, createAdminServer, listenAdmin } from './admin/server.ts';
import { RouteAdapters } from './adapters/route-adapters.ts';
import { createFleetReporter } from './fleet/from-config.ts';
import type { PassageConfig } from './config/schema.ts';
import { RouterMetrics } from './metrics/registry.ts';
import { createTablePoller, startPolling } from './routing/sources/from-config.ts';
import type { TablePoller } from './routing/sources/poller.ts';
import type { TableSource } from './routing/sources/source.ts';
import { TableStore } from './routing/store.ts';
import { Router } from './server.ts';
import { VERSION } from './version.ts';

export interface RunningPassage extends AsyncDisposable {
  readonly router: Router;
  readonly metrics: RouterMetrics;
  readonly address: AddressInfo;
  readonly adminAddress: AddressInfo;
  readonly log: Logger;
  /** Fetches, verifies and swaps the routing table; `status()` is what /status shows as `tableSource`. */
  readonly poller: TablePoller;
  /**
   * Graceful stop (drain, then close the admin server). Resolves with the connections cut at the
   * deadline. Disposal is the same stop with the configured `drain_timeout`; a second call does nothing.
   */
  stop(drainMs?: number): Promise<number>;
}

export interface StartOptions {
  readonly log?: Logger;
  /** Override listen addresses (tests use port 0); `reusePort`: a worker sharing the port (router/workers/). */
  readonly listen?: { host: string; port: number; reusePort?: boolean };
  readonly adminListen?: { host: string; port: number };
  readonly random?: () => number;
  /** Auth-cookie secrets instead of the config's (tests). */
  readonly cookieSecrets?: readonly Buffer[];
  readonly now?: () => number;
  /** Replaces the table source built from `[table]` (tests, `passagectl dev`). */
  readonly tableSource?: TableSource;
  /** The store tables are swapped into: a worker's, fed by its supervisor (router/workers/). */
  readonly tables?: TableStore;
}

export function createLogger(config: PassageConfig): Logger {
  return pino({ level: config.log.level, base: { service: 'passage' }, timestamp: pino.stdTimeFunctions.isoTime });
}

/**
 * Loads the table, starts the router and its admin server. Throws on startup errors; never exits.
 *
 * Every component is registered on one AsyncDisposableStack as soon as it exists, so a failure half-way
 * through start-up disposes exactly what was started, and the graceful stop is the same stack disposed
 * in reverse (last in, first out): fleet, poller, adapters, then the drain while /readyz says 503, then
 * the admin server, tracing and metrics.
 */
export async function startPassage(config: PassageConfig, opts: StartOptions = {}): Promise<RunningPassage> {
  const log = opts.log ?? createLogger(config);
  const tables = opts.tables ?? new TableStore();
  const router = new Router({
    config,
    log,
    tables,
    ...(opts.random === undefined ? {} : { random: opts.random }),
    ...(opts.cookieSecrets === undefined ? {} : { cookieSecrets: opts.cookieSecrets }),
    ...(opts.now === undefined ? {} : { now: opts.now }),
  });
  const stack = new AsyncDisposableStack();
  /** How long the drain may take when the stack is disposed: 0 when start-up fails, else what stop() asks for. */
  let drainMs = 0;
  let cut = 0;
  try {
    // Attached before the first table arrives, so its version and times reach the gauges.
    const metrics = stack.use(new RouterMetrics().attach(router));
    // Tracing subscribes to the core's events; without an endpoint no OpenTelemetry code is even loaded.
    if (config.telemetry.otlpEndpoint !== '') {
      stack.use((await import('./telemetry/tracing.ts')).startTracing({ ...config.telemetry, serviceVersion: VERSION }, router, log));
    }
    // Registered here, before the table machinery, so that disposal drains the router and closes the
    // admin port only after the fleet, poller and adapters have stopped. /status reads those lazily:
    // the admin server answers nothing until it listens, below.
    const admin: Server = createAdminServer({ router, metrics, version: VERSION, extraStatus: () => ({ tableSource: poller.status(), fleet: fleet.status(), adapters: adapters.states(), waking: router.ctx.wake?.status() ?? [] }) });
    stack.defer(() => closeAdmin(admin));
    stack.defer(async () => {
      cut = await router.drain(drainMs);
    });
    // Adapters start with the table that names them and stop when a table without them replaces it.
    const adapters = stack.use(new RouteAdapters({ source: router, log, policy: config.adapters }));
    tables.onSwap((active) => adapters.apply(active));
    const poller = stack.use(
      await createTablePoller(config.table, {
        store: tables,
        log,
        eventSource: router,
        ...(opts.tableSource === undefined ? {} : { source: opts.tableSource }),
      }),
    );
    await startPolling(poller, config.table);
    const fleet = await createFleetReporter(config, { router, metrics, poller, log, routerVersion: VERSION });
    const listen = opts.listen ?? config.address;
    const adminListen = opts.adminListen ?? config.admin.address;
    const address = await router.listen(listen.host, listen.port, opts.listen?.reusePort === true);
    const adminAddress = await listenAdmin(admin, adminListen.host, adminListen.port);
    // Last, so it is disposed first: the fleet view shows this instance draining while it drains. A
    // reporter that never started writes no final heartbeat.
    fleet.start();
    stack.use(fleet);
    const running = stack.move();
    const stop = async (ms?: number): Promise<number> => {
      drainMs = ms ?? config.drainTimeoutMs;
      await running.disposeAsync();
      return cut;
    };
    return {
      router,
      metrics,
      address,
      adminAddress,
      log,
      poller,
      stop,
      async [Symbol.asyncDispose](): Promise<void> {
        await stop();
      },
    };
  } catch (err) {
    // The start-up error is what the operator must see; a failure while cleaning up is only logged.
    await stack.disposeAsync().catch((cleanup: unknown) => log.warn({ err: cleanup }, 'cleaning up after a failed start failed'));
    throw err;
  }
}
