import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AuthEvent, ConnectionClosed, DisconnectEvent, ErrorEvent, HandshakeEvent, StatusEvent, TransferEvent } from '../events.ts';

/** Sub-millisecond buckets: a status answer or a transfer decision takes well under 1 ms. */
export const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** The router's Prometheus metrics; names follow the Rust original's documented queries. */
export class RouterMetrics {
  readonly registry = new Registry();
  readonly connectionsTotal: Counter<'intent'>;
  readonly connectionsActive: Gauge;
  readonly connectionDuration: Histogram<'intent' | 'outcome'>;
  readonly errorsTotal: Counter<'kind' | 'intent'>;
  readonly authDuration: Histogram<'result'>;
  readonly transfersTotal: Counter<'route' | 'target'>;
  readonly disconnectsTotal: Counter<'reason'>;
  readonly statusDuration: Histogram<'route'>;
  readonly tableVersion: Gauge;
  private readonly unsubscribers: (() => void)[] = [];

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'passage_process_' });
    this.connectionsTotal = new Counter({ name: 'passage_connections_total', help: 'Connections by handshake intent', labelNames: ['intent'], registers });
    this.connectionsActive = new Gauge({ name: 'passage_connections_active', help: 'Open client connections', registers });
    this.connectionDuration = new Histogram({
      name: 'passage_connection_duration_seconds', help: 'Connection lifetime by intent and outcome',
      labelNames: ['intent', 'outcome'], buckets: LATENCY_BUCKETS, registers,
    });
    this.errorsTotal = new Counter({ name: 'passage_errors_total', help: 'Errors by kind (stable error code) and intent', labelNames: ['kind', 'intent'], registers });
    this.authDuration = new Histogram({
      name: 'passage_auth_duration_seconds', help: 'Time to authenticate a player (session server or cookie)',
      labelNames: ['result'], buckets: LATENCY_BUCKETS, registers,
    });
    this.transfersTotal = new Counter({ name: 'passage_transfers_total', help: 'Players transferred, by route and target', labelNames: ['route', 'target'], registers });
    this.disconnectsTotal = new Counter({ name: 'passage_disconnects_total', help: 'Players disconnected with a message, by message key', labelNames: ['reason'], registers });
    this.statusDuration = new Histogram({
      name: 'passage_adapter_status_duration_seconds', help: 'Time to build a status answer', labelNames: ['route'], buckets: LATENCY_BUCKETS, registers,
    });
    this.tableVersion = new Gauge({ name: 'passage_table_version', help: 'Version of the routing table in use', registers });
  }

  /**
   * Subscribes to the core's diagnostics channels, counting only events of `source` (one process
   * may run several routers, as tests do).
   */
  attach(source: object): this {
    const on = <T>(name: string, fn: (m: T) => void): void => {
      const handler = (m: unknown): void => {
        if ((m as { source?: unknown }).source === source) fn(m as T);
      };
      subscribe(name, handler);
      this.unsubscribers.push(() => unsubscribe(name, handler));
    };
    on<unknown>('passage:connection:opened', () => this.connectionsActive.inc());
    on<ConnectionClosed>('passage:connection:closed', (m) => {
      this.connectionsActive.dec();
      this.connectionDuration.observe({ intent: m.intent, outcome: m.outcome }, m.durationSeconds);
    });
    on<HandshakeEvent>('passage:handshake', (m) => this.connectionsTotal.inc({ intent: m.intent }));
    on<ErrorEvent>('passage:error', (m) => this.errorsTotal.inc({ kind: m.kind, intent: m.intent }));
    on<AuthEvent>('passage:auth', (m) => this.authDuration.observe({ result: m.result }, m.durationSeconds));
    on<TransferEvent>('passage:transfer', (m) => this.transfersTotal.inc({ route: m.route, target: m.target }));
    on<DisconnectEvent>('passage:disconnect', (m) => this.disconnectsTotal.inc({ reason: m.reason }));
    on<StatusEvent>('passage:status', (m) => this.statusDuration.observe({ route: m.route }, m.durationSeconds));
    return this;
  }

  detach(): void {
    for (const u of this.unsubscribers.splice(0)) u();
  }
}
