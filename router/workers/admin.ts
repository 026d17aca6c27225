// The admin endpoint of an instance with workers: the same paths as router/admin/server.ts, answered for
// the whole instance. /metrics merges every worker's registry with the supervisor's (prom-client's
// AggregatorRegistry: counters and histograms summed, gauges as each metric declares); /readyz is 200
// only when the supervisor holds a table, is not draining, and every worker answers that it is ready.
import { createServer } from '../node-http.ts';
import type { Server } from 'node:http';
import { AggregatorRegistry } from 'prom-client';
import type { PassageConfig } from '../config/schema.ts';
import { TABLE_EXPIRED_HEADER, tableSummary } from '../admin/server.ts';
import type { RouterMetrics } from '../metrics/registry.ts';
import type { TablePoller } from '../routing/sources/poller.ts';
import type { TableStore } from '../routing/store.ts';
import { VERSION } from '../version.ts';
import type { WorkerMetrics } from './messages.ts';
import { askAll } from './slot.ts';
import type { WorkerSlot } from './slot.ts';

/**
 * Metrics the supervisor owns for the instance: the table's. Workers are handed tables rather than
 * polling, so their copies of these say nothing (and summing N copies of a version would be wrong).
 */
export const INSTANCE_METRIC_PREFIX = 'passage_table_';

export interface SupervisorAdminOptions {
  readonly config: PassageConfig;
  readonly slots: readonly WorkerSlot[];
  readonly tables: TableStore;
  readonly metrics: RouterMetrics;
  readonly poller: TablePoller;
  readonly draining: () => boolean;
  readonly now?: () => number;
}

/** One text for the instance: the supervisor's metrics and each answering worker's, merged. */
export async function instanceMetrics(own: RouterMetrics, workers: readonly (WorkerMetrics | undefined)[]): Promise<{ text: string; contentType: string }> {
  const parts = [await own.registry.getMetricsAsJSON()];
  for (const w of workers) if (w !== undefined) parts.push(w.filter((m) => !m.name.startsWith(INSTANCE_METRIC_PREFIX)));
  const merged = AggregatorRegistry.aggregate(parts);
  return { text: await merged.metrics(), contentType: merged.contentType };
}

export function createSupervisorAdmin(opts: SupervisorAdminOptions): Server {
  const { slots, tables } = opts;
  const now = opts.now ?? Date.now;
  const startedAt = now();
  const expiredAt = (): number | undefined => {
    const expiresAt = tables.current?.table.expiresAt;
    return expiresAt !== undefined && now() >= expiresAt ? expiresAt : undefined;
  };
  /** Why the instance is not ready, or undefined when it is. */
  const notReady = async (): Promise<string | undefined> => {
    if (opts.draining()) return 'draining';
    if (tables.current === undefined) return 'no routing table loaded';
    const statuses = await askAll(slots, 'status');
    const waiting = slots.filter((_, i) => statuses[i]?.ready !== true);
    if (waiting.length === 0) return undefined;
    return `${waiting.length} of ${slots.length} workers not ready: ${waiting.map((s) => `worker ${s.index}${s.pid === undefined ? ' (restarting)' : ` (pid ${s.pid})`}`).join(', ')}`;
  };
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (code: number, type: string, body: string, headers: Record<string, string> = {}): void => {
      res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store', ...headers });
      res.end(body);
    };
    const failed = (err: Error): void => {
      if (!res.headersSent) reply(500, 'text/plain', `${err.message}\n`);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, 'text/plain', 'method not allowed\n');
    switch (path) {
      case '/healthz':
        return reply(200, 'text/plain', 'ok\n');
      case '/readyz':
        notReady().then((why) => {
          if (why !== undefined) return reply(503, 'text/plain', `${why}\n`);
          const expired = expiredAt();
          if (expired === undefined) return reply(200, 'text/plain', 'ready\n');
          const at = new Date(expired).toISOString();
          const { tableId, version } = tables.current!.table;
          return reply(200, 'text/plain', `ready, table expired: ${tableId}@${version} expired at ${at} and is served as the last good table; the source offers nothing newer\n`, { [TABLE_EXPIRED_HEADER]: at });
        }, failed);
        return;
      case '/metrics':
        askAll(slots, 'metrics')
          .then((workers) => instanceMetrics(opts.metrics, workers))
          .then(({ text, contentType }) => reply(200, contentType, text), failed);
        return;
      case '/status':
        Promise.all([askAll(slots, 'status'), notReady()]).then(([statuses, why]) => {
          const active = tables.current;
          const counters: Record<string, number> = {};
          for (const s of statuses) for (const [k, v] of Object.entries(s?.counters ?? {})) counters[k] = (counters[k] ?? 0) + v;
          const status = {
            version: VERSION,
            uptimeSeconds: Math.round((now() - startedAt) / 1000),
            ready: why === undefined,
            draining: opts.draining(),
            tableExpired: expiredAt() !== undefined,
            table: tableSummary(active),
            connections: { active: statuses.reduce((sum, s) => sum + (s?.activeConnections ?? 0), 0) },
            counters,
            protocols: statuses.find((s) => s !== undefined)?.protocols ?? null,
            tableSource: opts.poller.status(),
            workers: slots.map((slot, i) => ({
              index: slot.index,
              pid: slot.pid ?? null,
              answering: statuses[i] !== undefined,
              ready: statuses[i]?.ready ?? false,
              connections: statuses[i]?.activeConnections ?? 0,
              tableVersion: statuses[i]?.tableVersion ?? null,
            })),
          };
          reply(200, 'application/json', `${JSON.stringify(status, null, 2)}\n`);
        }).catch(failed);
        return;
      default:
        return reply(404, 'text/plain', 'not found: try /metrics /healthz /readyz /status\n');
    }
  });
}
