import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { createAdminServer, listenAdmin } from './admin/server.ts';
import type { PassageConfig } from './config/schema.ts';
import { RouterMetrics } from './metrics/registry.ts';
import { loadTableFile } from './routing/file-source.ts';
import { TableStore } from './routing/store.ts';
import { Router } from './server.ts';
import { VERSION } from './version.ts';

export interface RunningPassage {
  readonly router: Router;
  readonly metrics: RouterMetrics;
  readonly address: AddressInfo;
  readonly adminAddress: AddressInfo;
  readonly log: Logger;
  /** Graceful stop (drain, then close the admin server). Resolves with the connections cut at the deadline. */
  stop(drainMs?: number): Promise<number>;
}

export interface StartOptions {
  readonly log?: Logger;
  /** Override listen addresses (tests use port 0). */
  readonly listen?: { host: string; port: number };
  readonly adminListen?: { host: string; port: number };
  readonly random?: () => number;
}

export function createLogger(config: PassageConfig): Logger {
  return pino({ level: config.log.level, base: { service: 'passage' }, timestamp: pino.stdTimeFunctions.isoTime });
}

/** Loads the table, starts the router and its admin server. Throws on startup errors; never exits. */
export async function startPassage(config: PassageConfig, opts: StartOptions = {}): Promise<RunningPassage> {
  const log = opts.log ?? createLogger(config);
  const tables = new TableStore();
  if (config.table.source === 'file') {
    tables.swap(loadTableFile(config.table.path));
  } else {
    throw new Error(`table.source = "${config.table.source}" is not available in this build`);
  }
  const router = new Router({ config, log, tables, ...(opts.random === undefined ? {} : { random: opts.random }) });
  const metrics = new RouterMetrics().attach(router);
  const setVersion = (): void => {
    const t = tables.current;
    if (t !== undefined) metrics.tableVersion.set(t.table.version);
  };
  setVersion();
  tables.onSwap(setVersion);
  const admin: Server = createAdminServer({ router, metrics, version: VERSION });
  const listen = opts.listen ?? config.address;
  const adminListen = opts.adminListen ?? config.admin.address;
  const address = await router.listen(listen.host, listen.port);
  let adminAddress: AddressInfo;
  try {
    adminAddress = await listenAdmin(admin, adminListen.host, adminListen.port);
  } catch (err) {
    await router.close();
    throw err;
  }
  return {
    router,
    metrics,
    address,
    adminAddress,
    log,
    async stop(drainMs?: number): Promise<number> {
      const cut = await router.drain(drainMs);
      await new Promise<void>((r) => admin.close(() => r()));
      admin.closeAllConnections();
      metrics.detach();
      return cut;
    },
  };
}
