import { Counter, Gauge, Histogram, collectDefaultMetrics } from 'prom-client';
import { BoundedRegistry } from './bounded.ts';
import type { BoundedRegistryOptions } from './bounded.ts';
import { events, subscribe } from '../events.ts';
import type { EventChannel, EventName, Published } from '../events.ts';

/** Sub-millisecond buckets: a status answer or a transfer decision takes well under 1 ms. */
export const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** The router's Prometheus metrics; names follow the Rust original's documented queries. */
export class RouterMetrics {
  /** Every labeled metric registered here has bounded label cardinality (bounded.ts). */
  readonly registry: BoundedRegistry;
  /** Series removed to keep label cardinality bounded, by metric. */
  readonly seriesEvicted: Counter<'metric'>;
  readonly connectionsTotal: Counter<'intent'>;
  readonly connectionsActive: Gauge;
  readonly connectionDuration: Histogram<'intent' | 'outcome'>;
  readonly errorsTotal: Counter<'kind' | 'intent'>;
  readonly authDuration: Histogram<'result'>;
  readonly transfersTotal: Counter<'route' | 'target'>;
  readonly disconnectsTotal: Counter<'reason'>;
  readonly statusDuration: Histogram<'route'>;
  readonly tableVersion: Gauge;
  readonly authCookies: Counter<'result'>;
  readonly resourcePackResults: Counter<'route' | 'pack' | 'result'>;
  readonly tableAge: Gauge;
  readonly tableExpiry: Gauge;
  /** 1 while the table in use is past expires_at (a frozen source), else 0: the alert's input. */
  readonly tableExpired: Gauge;
  readonly tableRejections: Counter<'reason'>;
  readonly tableFetchDuration: Histogram<'result'>;
  readonly tableFetchErrors: Counter<'kind'>;
  readonly tableChunksFetched: Counter<'origin'>;
  readonly tableChunkFailures: Counter<'check'>;
  readonly tablePollFailures: Counter<'kind'>;
  readonly tableChunksHeld: Gauge;
  readonly rateLimitExceeded: Counter<'budget'>;
  readonly rateLimiterSize: Gauge<'budget'>;
  readonly connectionsRejected: Counter<'reason'>;
  readonly proxyHeaderErrors: Counter<'kind'>;
  readonly relayActive: Gauge;
  readonly relayBytes: Counter<'direction'>;
  readonly relaySessions: Counter<'route' | 'reason'>;
  readonly relayStatus: Counter<'route' | 'result'>;
  readonly adapterDiscoveryDuration: Histogram<'adapter' | 'result'>;
  readonly adapterStrategyDuration: Histogram<'adapter' | 'result'>;
  readonly adapterStatusFetchDuration: Histogram<'adapter' | 'result'>;
  readonly adapterErrors: Counter<'adapter' | 'kind' | 'code'>;
  readonly adapterTargets: Gauge<'adapter' | 'route'>;
  readonly loginProtocols: Counter<'support' | 'result'>;
  readonly newerProtocolFailures: Counter<'protocol'>;
  readonly accessDenied: Counter<'route' | 'reason'>;
  readonly loginHookCalls: Histogram<'route' | 'result'>;
  readonly wakes: Counter<'route' | 'outcome' | 'code'>;
  readonly wakeWait: Histogram<'route' | 'outcome'>;
  readonly wakeHeld: Gauge<'route'>;
  /** issued_at / expires_at of the table in use (ms); the age and expiry gauges are computed at scrape time. */
  private tableTimes: { issuedAt?: number; expiresAt?: number; appliedAt: number } | undefined;
  private readonly now: () => number;
  private readonly unsubscribers: (() => void)[] = [];

  constructor(opts: { defaultMetrics?: boolean; now?: () => number; bounds?: BoundedRegistryOptions } = {}) {
    this.registry = new BoundedRegistry(opts.bounds);
    const registers = [this.registry];
    this.seriesEvicted = new Counter({
      name: 'passage_metric_series_evicted_total', help: 'Series removed to keep label cardinality bounded (targets and routes no longer seen), by metric', labelNames: ['metric'], registers,
    });
    this.registry.onEvicted = (metric, count) => this.seriesEvicted.inc({ metric }, count);
    this.now = opts.now ?? Date.now;
    // Bound arrow functions, not `this` inside collect(): prom-client calls collect with the gauge as `this`.
    const tableSeconds = (pick: (t: NonNullable<RouterMetrics['tableTimes']>) => number | undefined): number | undefined => {
      const t = this.tableTimes;
      const at = t === undefined ? undefined : pick(t);
      return at === undefined ? undefined : (at - this.now()) / 1000;
    };
    // prom-client's names already start with process_ / nodejs_: the prefix is passage_ alone, so
    // passage_process_cpu_seconds_total, not passage_process_process_cpu_seconds_total.
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'passage_' });
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
    this.authCookies = new Counter({
      name: 'passage_auth_cookie_total', help: 'Auth cookies checked at login: valid, or the reason one was not used', labelNames: ['result'], registers,
    });
    this.resourcePackResults = new Counter({
      name: 'passage_resource_pack_results_total', help: 'Final resource-pack results reported by clients', labelNames: ['route', 'pack', 'result'], registers,
    });
    this.tableVersion = new Gauge({ name: 'passage_table_version', help: 'Version of the routing table in use', registers });
    this.tableAge = new Gauge({
      name: 'passage_table_age_seconds', help: 'Seconds since the table in use was issued (signed), or loaded when unsigned', registers,
      collect: () => {
        const ago = tableSeconds((t) => t.issuedAt ?? t.appliedAt);
        if (ago !== undefined) this.tableAge.set(-ago);
      },
    });
    this.tableExpiry = new Gauge({
      name: 'passage_table_expiry_seconds', help: 'Seconds until the table in use expires (negative: expired, still served as the last good table); absent when it never expires', registers,
      collect: () => {
        const left = tableSeconds((t) => t.expiresAt);
        // No expiry (an unsigned file table), or no table yet: no sample at all. A 0 here once fired
        // the critical PassageTableExpiryImminent on every fresh install.
        if (left === undefined) this.tableExpiry.remove();
        else this.tableExpiry.set(left);
      },
    });
    this.tableExpired = new Gauge({
      name: 'passage_table_expired', help: 'Whether the table in use is past expires_at (1: still served as the last good table, the source offers nothing newer)', registers,
      collect: () => {
        const left = tableSeconds((t) => t.expiresAt);
        this.tableExpired.set(left !== undefined && left <= 0 ? 1 : 0);
      },
    });
    this.tableRejections = new Counter({ name: 'passage_table_rejections_total', help: 'Fetched tables refused, by reason (stable code)', labelNames: ['reason'], registers });
    this.tableFetchDuration = new Histogram({
      name: 'passage_table_fetch_duration_seconds', help: 'Time to fetch the table from its source, by result (envelope, not_modified, error)',
      labelNames: ['result'], buckets: LATENCY_BUCKETS, registers,
    });
    this.tableFetchErrors = new Counter({ name: 'passage_table_fetch_errors_total', help: 'Failed table fetches, by kind (stable code)', labelNames: ['kind'], registers });
    this.tableChunksFetched = new Counter({
      name: 'passage_table_chunks_fetched_total', help: 'Chunks of chunked tables read, by origin (source, cache); chunks already held are not read again', labelNames: ['origin'], registers,
    });
    this.tablePollFailures = new Counter({
      name: 'passage_table_poll_failures_total', help: 'Polls that ended with no table to apply, by kind (stable code): a failed fetch or chunk read, ERR_TABLE_THREAD for a table thread that failed, ERR_SOURCE_INTERNAL for another failure of the router\'s own; the last good table stays', labelNames: ['kind'], registers,
    });
    this.tableChunkFailures = new Counter({
      name: 'passage_table_chunk_failures_total', help: 'Chunks refused against their manifest entry, by check (size, sha256, content); the table is refused', labelNames: ['check'], registers,
    });
    this.tableChunksHeld = new Gauge({ name: 'passage_table_chunks_held', help: 'Chunks the router holds for the table in use (a big single envelope is held as chunks too)', registers });
    this.rateLimitExceeded = new Counter({ name: 'passage_rate_limit_exceeded_total', help: 'Handshakes refused by the rate limiter, by budget (status, login)', labelNames: ['budget'], registers });
    this.rateLimiterSize = new Gauge({ name: 'passage_rate_limiter_size', help: 'Client keys tracked by the rate limiter, by budget', labelNames: ['budget'], registers });
    this.connectionsRejected = new Counter({
      name: 'passage_connections_rejected_total', help: 'Connections closed on accept because a pending-connection cap was full, by cap', labelNames: ['reason'], registers,
    });
    this.proxyHeaderErrors = new Counter({ name: 'passage_proxy_header_errors_total', help: 'PROXY protocol headers refused, by kind (stable code)', labelNames: ['kind'], registers });
    this.relayActive = new Gauge({ name: 'passage_relay_active', help: 'Passthrough relay sessions open', registers });
    this.relayBytes = new Counter({ name: 'passage_relay_bytes_total', help: 'Bytes relayed, by direction (to_backend, to_client)', labelNames: ['direction'], registers });
    this.relaySessions = new Counter({ name: 'passage_relay_sessions_total', help: 'Relay sessions ended, by route and end reason', labelNames: ['route', 'reason'], registers });
    this.relayStatus = new Counter({
      name: 'passage_relay_status_total', help: 'Status pings on relayed routes, by how the backend answer was found (hit, miss, coalesced, failed, busy)',
      labelNames: ['route', 'result'], registers,
    });
    const adapterHistogram = (kind: string, help: string): Histogram<'adapter' | 'result'> => new Histogram({
      name: `passage_adapter_${kind}_duration_seconds`, help, labelNames: ['adapter', 'result'], buckets: LATENCY_BUCKETS, registers,
    });
    this.adapterDiscoveryDuration = adapterHistogram('discovery', 'Time of one discovery refresh (a Kubernetes LIST) by adapter and result');
    this.adapterStrategyDuration = adapterHistogram('strategy', 'Time of one strategy adapter call (gRPC Apply) by adapter and result');
    this.adapterStatusFetchDuration = adapterHistogram('status_fetch', 'Time to fetch a route status from its status adapter, by adapter and result');
    this.adapterErrors = new Counter({
      name: 'passage_adapter_errors_total', help: 'Failed adapter calls by adapter, kind (discovery, status, strategy) and stable code',
      labelNames: ['adapter', 'kind', 'code'], registers,
    });
    this.loginProtocols = new Counter({
      name: 'passage_login_protocols_total', help: 'Logins on transfer routes by protocol support (known release, or newer than the newest known) and result (accepted, refused)',
      labelNames: ['support', 'result'], registers,
    });
    this.newerProtocolFailures = new Counter({
      name: 'passage_newer_protocol_failures_total', help: 'Newer-protocol logins ended because a packet did not decode with the newest known layout, by protocol (the first 32 seen, then "other")',
      labelNames: ['protocol'], registers,
    });
    this.accessDenied = new Counter({
      name: 'passage_access_denied_total', help: 'Logins refused by a route\'s edge policy, by route and reason (deny_ip, deny_player, not_allowed, maintenance, hook_deny, hook_error)',
      labelNames: ['route', 'reason'], registers,
    });
    this.loginHookCalls = new Histogram({
      name: 'passage_login_hook_duration_seconds', help: 'Login hook calls by route and result (allow, deny, target, error)',
      labelNames: ['route', 'result'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers,
    });
    this.wakes = new Counter({
      name: 'passage_wakes_total', help: 'Wakes of sleeping targets by route and outcome (ready, timeout, error) and stable code (empty when ready)',
      labelNames: ['route', 'outcome', 'code'], registers,
    });
    this.wakeWait = new Histogram({
      name: 'passage_wake_wait_seconds', help: 'How long players waited for a sleeping target, by route and outcome (transferred, timeout, error, left)',
      labelNames: ['route', 'outcome'], buckets: [0.5, 1, 2.5, 5, 10, 20, 30, 45, 60, 90, 120, 180, 300, 600], registers,
    });
    this.wakeHeld = new Gauge({ name: 'passage_wake_players_held', help: 'Players waiting in the configuration phase for a target to wake, by route', labelNames: ['route'], registers });
    this.adapterTargets = new Gauge({ name: 'passage_adapter_targets', help: 'Targets a discovery adapter serves for a route (last good result)', labelNames: ['adapter', 'route'], registers });
  }

  /**
   * Subscribes to the core's diagnostics channels, counting only events of `source` (one process
   * may run several routers, as tests do).
   */
  attach(source: object): this {
    const on = <N extends EventName>(ch: EventChannel<N>, fn: (m: Published<N>) => void): void => {
      this.unsubscribers.push(subscribe(ch, source, fn));
    };
    on(events.connectionOpened, () => this.connectionsActive.inc());
    on(events.connectionClosed, (m) => {
      this.connectionsActive.dec();
      this.connectionDuration.observe({ intent: m.intent, outcome: m.outcome }, m.durationSeconds);
    });
    on(events.handshake, (m) => this.connectionsTotal.inc({ intent: m.intent }));
    on(events.error, (m) => this.errorsTotal.inc({ kind: m.kind, intent: m.intent }));
    on(events.auth, (m) => this.authDuration.observe({ result: m.result }, m.durationSeconds));
    on(events.transfer, (m) => this.transfersTotal.inc({ route: m.route, target: m.target }));
    on(events.disconnect, (m) => this.disconnectsTotal.inc({ reason: m.reason }));
    on(events.accessDenied, (m) => this.accessDenied.inc({ route: m.route, reason: m.reason }));
    on(events.loginHook, (m) => this.loginHookCalls.observe({ route: m.route, result: m.result }, m.durationSeconds));
    on(events.cookie, (m) => this.authCookies.inc({ result: m.result }));
    on(events.resourcePack, (m) => this.resourcePackResults.inc({ route: m.route, pack: m.pack, result: m.result }));
    on(events.status, (m) => this.statusDuration.observe({ route: m.route }, m.durationSeconds));
    on(events.tableApplied, (m) => {
      this.tableVersion.set(m.version);
      this.tableChunksHeld.set(m.chunksHeld ?? 0);
      this.tableTimes = { appliedAt: this.now(), ...(m.issuedAt === undefined ? {} : { issuedAt: m.issuedAt }), ...(m.expiresAt === undefined ? {} : { expiresAt: m.expiresAt }) };
    });
    on(events.tableRejected, (m) => this.tableRejections.inc({ reason: m.reason }));
    on(events.tableChunksFetched, (m) => this.tableChunksFetched.inc({ origin: m.origin }, m.count));
    on(events.tableChunkRefused, (m) => this.tableChunkFailures.inc({ check: m.check }));
    on(events.tablePollFailed, (m) => this.tablePollFailures.inc({ kind: m.kind }));
    on(events.tableFetch, (m) => {
      this.tableFetchDuration.observe({ result: m.result }, m.durationSeconds);
      if (m.result === 'error') this.tableFetchErrors.inc({ kind: m.kind ?? 'unknown' });
    });
    on(events.rateLimited, (m) => this.rateLimitExceeded.inc({ budget: m.budget }));
    on(events.rateLimiterSize, (m) => this.rateLimiterSize.set({ budget: m.budget }, m.size));
    on(events.connectionRejected, (m) => this.connectionsRejected.inc({ reason: m.reason }));
    on(events.proxyHeaderError, (m) => this.proxyHeaderErrors.inc({ kind: m.kind }));
    on(events.relayStarted, () => this.relayActive.inc());
    on(events.relayBytes, (m) => {
      if (m.toBackend > 0) this.relayBytes.inc({ direction: 'to_backend' }, m.toBackend);
      if (m.toClient > 0) this.relayBytes.inc({ direction: 'to_client' }, m.toClient);
    });
    on(events.relayEnded, (m) => {
      this.relayActive.dec();
      this.relaySessions.inc({ route: m.route, reason: m.reason });
    });
    on(events.relayStatus, (m) => this.relayStatus.inc({ route: m.route, result: m.result }));
    on(events.adapterCall, (m) => {
      const histogram = m.kind === 'discovery' ? this.adapterDiscoveryDuration : m.kind === 'strategy' ? this.adapterStrategyDuration : this.adapterStatusFetchDuration;
      histogram.observe({ adapter: m.adapter, result: m.result }, m.durationSeconds);
      if (m.result === 'error') this.adapterErrors.inc({ adapter: m.adapter, kind: m.kind, code: m.code ?? 'unknown' });
    });
    on(events.loginProtocol, (m) => this.loginProtocols.inc({ support: m.support, result: m.result }));
    on(events.newerProtocolFailure, (m) => this.newerProtocolFailures.inc({ protocol: m.label }));
    on(events.wake, (m) => this.wakes.inc({ route: m.route, outcome: m.outcome, code: m.code }));
    on(events.wakeHold, (m) => this.wakeHeld.inc({ route: m.route }));
    on(events.wakeWait, (m) => {
      this.wakeHeld.dec({ route: m.route });
      this.wakeWait.observe({ route: m.route, outcome: m.outcome }, m.durationSeconds);
    });
    on(events.adapterTargets, (m) => this.adapterTargets.set({ adapter: m.adapter, route: m.route }, m.targets));
    return this;
  }

  detach(): void {
    for (const u of this.unsubscribers.splice(0)) u();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.detach();
  }
}
