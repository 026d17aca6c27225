import { createServer } from '../node-http.ts';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { NewerProtocolsStatus } from '../connection/newer-protocols.ts';
import type { RouterMetrics } from '../metrics/registry.ts';
import type { ActiveTable } from '../routing/active-table.ts';
import type { Router } from '../server.ts';

export interface AdminStatus {
  readonly version: string;
  readonly uptimeSeconds: number;
  readonly ready: boolean;
  readonly draining: boolean;
  /** The table in use is past expires_at (still served). */
  readonly tableExpired: boolean;
  readonly table: { id: string; version: number; loadedAt: string; expiresAt?: string } | null;
  readonly connections: { active: number };
  readonly counters: Record<string, number>;
  /** Day-one versions: the `[protocol]` policy and the newer protocols seen in logins. */
  readonly protocols: NewerProtocolsStatus;
}

export interface AdminOptions {
  readonly router: Router;
  readonly metrics: RouterMetrics;
  readonly version: string;
  /** Extra fields for /status (table source state, rejections, ...). */
  readonly extraStatus?: () => Record<string, unknown>;
  /** Milliseconds since the epoch; injected in tests. */
  readonly now?: () => number;
}

/** The table in use as /status names it (one router's, or a workers instance's supervisor's). */
export function tableSummary(active: ActiveTable | undefined): AdminStatus['table'] {
  if (active === undefined) return null;
  const { tableId, version, expiresAt } = active.table;
  return { id: tableId, version, loadedAt: new Date(active.loadedAt).toISOString(), ...(expiresAt === undefined ? {} : { expiresAt: new Date(expiresAt).toISOString() }) };
}

/** Set on /readyz while the table in use is past expires_at: its expiry, as RFC 3339. */
export const TABLE_EXPIRED_HEADER = 'passage-table-expired';

export async function counterTotals(metrics: RouterMetrics): Promise<Record<string, number>> {
  const sum = async (m: { get(): Promise<{ values: { value: number }[] }> }): Promise<number> =>
    (await m.get()).values.reduce((a, v) => a + v.value, 0);
  return {
    connections: await sum(metrics.connectionsTotal),
    transfers: await sum(metrics.transfersTotal),
    errors: await sum(metrics.errorsTotal),
    disconnects: await sum(metrics.disconnectsTotal),
  };
}

/**
 * `/metrics` (Prometheus), `/healthz` (process alive), `/readyz` (table loaded, not draining), `/status` (JSON).
 * An expired table in use keeps /readyz at 200 but says so (body and header): taking routers out of the
 * load balancer because the control plane went quiet would turn a frozen source into a fleet-wide outage
 * (every router's table expires at the same moment), so the alert goes to operators, not to the NLB.
 */
export function createAdminServer(opts: AdminOptions): Server {
  const { router, metrics } = opts;
  const ready = (): boolean => !router.draining && router.ctx.tables.current !== undefined;
  const now = opts.now ?? Date.now;
  const expiredAt = (): number | undefined => {
    const expiresAt = router.ctx.tables.current?.table.expiresAt;
    return expiresAt !== undefined && now() >= expiresAt ? expiresAt : undefined;
  };
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (code: number, type: string, body: string, headers: Record<string, string> = {}): void => {
      res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store', ...headers });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, 'text/plain', 'method not allowed\n');
    switch (path) {
      case '/healthz':
        return reply(200, 'text/plain', 'ok\n');
      case '/readyz': {
        if (!ready()) return reply(503, 'text/plain', router.draining ? 'draining\n' : 'no routing table loaded\n');
        const expired = expiredAt();
        if (expired === undefined) return reply(200, 'text/plain', 'ready\n');
        const at = new Date(expired).toISOString();
        const { tableId, version } = router.ctx.tables.current!.table;
        return reply(200, 'text/plain', `ready, table expired: ${tableId}@${version} expired at ${at} and is served as the last good table; the source offers nothing newer\n`, { [TABLE_EXPIRED_HEADER]: at });
      }
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
            tableExpired: expiredAt() !== undefined,
            table: tableSummary(active),
            connections: { active: router.activeConnections },
            counters,
            protocols: router.ctx.newerProtocols.status(),
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

/** Stops the admin server: no new requests, then every open connection (keep-alive scrapers) is closed. */
export async function closeAdmin(server: Server): Promise<void> {
  // close() reports ERR_SERVER_NOT_RUNNING when the server never listened: nothing to wait for then.
  await new Promise<void>((r) => server.close(() => r()));
  server.closeAllConnections();
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
