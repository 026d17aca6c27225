// The supervisor's own metrics with `workers > 1` (beside the table's, from its poller): how many
// workers run, and every one that ended unexpectedly and was replaced, by how it ended.
import { Counter, Gauge, type Registry } from 'prom-client';

export const RESTART_KINDS = ['exit', 'signal', 'table_stalled'] as const;
export type RestartKind = (typeof RESTART_KINDS)[number];

export interface SupervisorMetrics {
  readonly workers: Gauge<'state'>;
  readonly restarts: Counter<'how'>;
}

/** Registers the supervisor's metrics in `registry`, every restart kind at 0 so a rate() has a start. */
export function supervisorMetrics(registry: Registry, configured: number): SupervisorMetrics {
  const registers = [registry];
  const workers = new Gauge({ name: 'passage_workers', help: 'Worker processes by state (configured, listening)', labelNames: ['state'], registers });
  const restarts = new Counter({ name: 'passage_worker_restarts_total', help: 'Workers that ended unexpectedly and were replaced, by how they ended (exit, signal, table_stalled: killed for leaving a table piece unacknowledged)', labelNames: ['how'], registers });
  workers.set({ state: 'configured' }, configured);
  for (const how of RESTART_KINDS) restarts.inc({ how }, 0);
  return { workers, restarts };
}
