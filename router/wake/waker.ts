// Wake on join, the router's side: which targets are awake (a status ping answered), and one wake per
// sleeping target at a time, shared by every player who logs in while it starts. Routers do not
// coordinate: scaling to 1 is idempotent, and each router polls the target itself.
import type { Logger } from 'pino';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AdapterPolicy } from '../adapters/policy.ts';
import { events, publish } from '../events.ts';
import { encodeHandshake, INTENT_STATUS } from '../protocol/handshake.ts';
import { NEWEST_PROTOCOL } from '../protocol/versions.ts';
import { fetchBackendStatus } from '../relay/status-exchange.ts';
import type { Route, Target, WakeConfig } from '../table/types.ts';
import { WakeError, wakeErrorCode } from './errors.ts';
import type { WakeErrorCode } from './errors.ts';
import type { ScaleResult } from './kubernetes.ts';

/** A status probe: connect, then the status response, each within this long. */
export const PROBE_CONNECT_TIMEOUT_MS = 1_000;
export const PROBE_RESPONSE_TIMEOUT_MS = 2_000;
/** A probe's answer is reused this long: a flood of pings or logins costs one probe per target per period. */
export const AWAKE_CACHE_MS = 5_000;
/** Polling a woken target starts at this interval and doubles up to the maximum. */
export const FIRST_POLL_MS = 250;
export const MAX_POLL_MS = 5_000;
/** Probe results kept (targets of the tables seen); the oldest go first. */
export const MAX_PROBE_ENTRIES = 4_096;

export type Scaler = (wake: WakeConfig, signal: AbortSignal) => Promise<ScaleResult>;

export interface WakerOptions {
  readonly source: object;
  readonly log: Logger;
  /** `[adapters]` of passage.toml: which Kubernetes API servers get the router's token. */
  readonly policy: AdapterPolicy;
  /** Replaces the Kubernetes and ECS scalers (tests of the waker alone). */
  readonly scale?: Scaler;
}

export type WakeOutcome = { readonly kind: 'ready' } | { readonly kind: 'failed'; readonly code: WakeErrorCode; readonly message: string };

/** A wake in progress, for /status. */
export interface WakingTarget {
  readonly route: string;
  readonly target: string;
  readonly kind: WakeConfig['kind'];
  readonly since: string;
  /** Players who joined this wake so far. */
  readonly players: number;
}

interface WakeState {
  readonly route: string;
  readonly target: Target;
  readonly startedAt: number;
  /** Polling goes on until the last joined player's deadline. */
  until: number;
  players: number;
}

interface Wake {
  readonly state: WakeState;
  readonly outcome: Promise<WakeOutcome>;
}

interface Probe {
  at: number;
  awake: boolean;
  pending?: Promise<boolean>;
}

/** One target's identity for sharing: the same backend and scaler, whatever route or table names it. */
function keyOf(target: Target): string {
  return `${target.address}\0${JSON.stringify(target.wake ?? null)}`;
}

export function hasWakeTargets(targets: readonly Target[]): boolean {
  return targets.some((t) => t.wake !== undefined);
}

export class Waker {
  private readonly opts: WakerOptions;
  private readonly probes = new Map<string, Probe>();
  private readonly wakes = new Map<string, Wake>();
  private readonly stopper = new AbortController();

  constructor(opts: WakerOptions) {
    this.opts = opts;
  }

  /** Whether the target answers a status ping (targets without `wake` are always taken as awake). */
  async isAwake(target: Target): Promise<boolean> {
    if (target.wake === undefined) return true;
    const key = keyOf(target);
    if (this.wakes.has(key)) return false;
    const known = this.probes.get(key);
    const now = Date.now();
    if (known?.pending !== undefined) return known.pending;
    if (known !== undefined && now - known.at < AWAKE_CACHE_MS) return known.awake;
    const entry: Probe = known ?? { at: 0, awake: false };
    entry.pending = probe(target).then((awake) => {
      entry.at = Date.now();
      entry.awake = awake;
      entry.pending = undefined;
      return awake;
    });
    this.remember(key, entry);
    return entry.pending;
  }

  /**
   * For the server list: true when the route's targets all sleep (each has `wake` and none answers).
   * Probes only, never scales: a ping must not wake a server.
   */
  async routeSleeping(targets: readonly Target[]): Promise<boolean> {
    if (targets.length === 0 || targets.some((t) => t.wake === undefined)) return false;
    const awake = await Promise.all(targets.map((t) => this.isAwake(t)));
    return !awake.some(Boolean);
  }

  /**
   * Wakes `target` (or joins the wake already running for it) and resolves once it answers a status
   * ping, or with the failure. `deadline` (ms since the epoch) is this player's: the wake polls until
   * the latest deadline of the players waiting. Never rejects.
   */
  wake(route: Route, target: Target, deadline: number): Promise<WakeOutcome> {
    const key = keyOf(target);
    let wake = this.wakes.get(key);
    if (wake === undefined) {
      const state: WakeState = { route: route.id, target, startedAt: Date.now(), until: deadline, players: 0 };
      wake = { state, outcome: this.run(key, state) };
      this.wakes.set(key, wake);
    }
    wake.state.until = Math.max(wake.state.until, deadline);
    wake.state.players++;
    return wake.outcome;
  }

  /** Wakes in progress, for /status. */
  status(): WakingTarget[] {
    return [...this.wakes.values()].map(({ state: w }) => ({
      route: w.route, target: w.target.id, kind: w.target.wake!.kind, since: new Date(w.startedAt).toISOString(), players: w.players,
    }));
  }

  close(): void {
    this.stopper.abort();
  }

  private async run(key: string, wake: WakeState): Promise<WakeOutcome> {
    const started = performance.now();
    const { route, target } = wake;
    const config = target.wake!;
    const signal = this.stopper.signal;
    // Let wake() register the wake first: a scaler that throws at once must not reach `finally` before it.
    await Promise.resolve();
    let scaled = false;
    try {
      scaled = (await this.scale(config, signal)) === 'scaled';
      if (this.opts.log.isLevelEnabled('info')) this.opts.log.info({ route, target: target.id, kind: config.kind, scaled }, 'waking a sleeping target');
      let delay = FIRST_POLL_MS;
      for (;;) {
        if (await probe(target)) break;
        const left = wake.until - Date.now();
        if (left <= 0 || signal.aborted) throw new WakeError('ERR_WAKE_NOT_READY', `${target.address} did not answer a status ping within wake_timeout`);
        await sleep(Math.min(delay, left), undefined, { signal }).catch(() => {});
        delay = Math.min(delay * 2, MAX_POLL_MS);
      }
      this.remember(key, { at: Date.now(), awake: true });
      publish(events.wake, this.opts.source, { route, target: target.id, outcome: 'ready', code: '', scaled, durationSeconds: (performance.now() - started) / 1000 });
      return { kind: 'ready' };
    } catch (err) {
      const code = wakeErrorCode(err);
      const message = (err as Error).message;
      publish(events.wake, this.opts.source, { route, target: target.id, outcome: code === 'ERR_WAKE_NOT_READY' ? 'timeout' : 'error', code, scaled, durationSeconds: (performance.now() - started) / 1000 });
      this.opts.log.warn({ route, target: target.id, kind: config.kind, code }, `waking a sleeping target failed: ${message}`);
      return { kind: 'failed', code, message };
    } finally {
      this.wakes.delete(key);
    }
  }

  private async scale(config: WakeConfig, signal: AbortSignal): Promise<ScaleResult> {
    if (this.opts.scale !== undefined) return this.opts.scale(config, signal);
    if (config.kind === 'kubernetes') return (await import('./kubernetes.ts')).scaleKubernetes(config, this.opts.policy, signal);
    return (await import('./ecs.ts')).scaleEcs(config, signal);
  }

  private remember(key: string, entry: Probe): void {
    this.probes.delete(key);
    this.probes.set(key, entry);
    if (this.probes.size > MAX_PROBE_ENTRIES) this.probes.delete(this.probes.keys().next().value!);
  }
}

/** A status ping as a client sends it; true when the target answered with a status. */
export async function probe(target: Target): Promise<boolean> {
  try {
    await fetchBackendStatus({
      targets: [target],
      connectTimeoutMs: PROBE_CONNECT_TIMEOUT_MS,
      responseTimeoutMs: PROBE_RESPONSE_TIMEOUT_MS,
      preamble: (t) => [encodeHandshake({ protocol: NEWEST_PROTOCOL, host: t.host, port: t.port, intent: INTENT_STATUS })],
    });
    return true;
  } catch {
    return false;
  }
}
