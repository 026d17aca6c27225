import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { RouterMetrics } from '../metrics/registry.ts';
import type { Router } from '../server.ts';

export interface AdminStatus {
  readonly version: string;
  readonly uptimeSeconds: number;
  readonly ready: boolean;
  readonly draining: boolean;
  readonly table: { id: string; version: number; loadedAt: string; expiresAt?: string } | null;
  readonly connections: { active: number };
  readonly counters: Record<string, number>;
}

export interface AdminOptions {
  readonly router: Router;
  readonly metrics: RouterMetrics;
  readonly version: string;
  /** Extra fields for /status (table source state, rejections, ...). */
  readonly extraStatus?: () => Record<string, unknown>;
}

async function counterTotals(metrics: RouterMetrics): Promise<Record<string, number>> {
  const sum = async (m: { get(): Promise<{ values: { value: number }[] }> }): Promise<number> =>
    (await m.get()).values.reduce((a, v) => a + v.value, 0);
  return {
    connections: await sum(metrics.connectionsTotal),
    transfers: await sum(metrics.transfersTotal),
    errors: await sum(metrics.errorsTotal),
    disconnects: await sum(metrics.disconnectsTotal),
  };
}

/** `/metrics` (Prometheus), `/healthz` (process alive), `/readyz` (table loaded, not draining), `/status` (JSON). */
export function createAdminServer(opts: AdminOptions): Server {
  const { router, metrics } = opts;
  const ready = (): boolean => !router.draining && router.ctx.tables.current !== undefined;
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (code: number, type: string, body: string): void => {
      res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, 'text/plain', 'method not allowed\n');
    switch (path) {
      case '/healthz':
        return reply(200, 'text/plain', 'ok\n');
      case '/readyz':
        return ready() ? reply(200, 'text/plain', 'ready\n') : reply(503, 'text/plain', router.draining ? 'draining\n' : 'no routing table loaded\n');
      case '/metrics':
        metrics.registry.metrics().then(
          (text) => reply(200, metrics.registry.contentType, text),
          (err: Error) => reply(500, 'text/plain', `${err.message}\n`),
        );
        return;
      case '/status': {
        const active = router.ctx.tables.current;
        counterTotals(metrics).then((counters) => {
          const status: AdminStatus = {
            version: opts.version,
            uptimeSeconds: Math.round(router.uptimeSeconds),
            ready: ready(),
            draining: router.draining,
            table: active === undefined ? null : {
              id: active.table.tableId,
              version: active.table.version,
              loadedAt: new Date(active.loadedAt).toISOString(),
              ...(active.table.expiresAt === undefined ? {} : { expiresAt: new Date(active.table.expiresAt).toISOString() }),
            },
            connections: { active: router.activeConnections },
            counters,
          };
          reply(200, 'application/json', `${JSON.stringify({ ...status, ...opts.extraStatus?.() }, null, 2)}\n`);
        }).catch((err: Error) => {
          // A rejection here would otherwise be unhandled (which ends the process) and the request would hang.
          if (!res.headersSent) reply(500, 'text/plain', `${err.message}\n`);
        });
        return;
      }
      default:
        return reply(404, 'text/plain', 'not found: try /metrics /healthz /readyz /status\n');
    }
  });
}

export function listenAdmin(server: Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}
