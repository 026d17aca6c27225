import { performance } from 'node:perf_hooks';
import { events, publish } from '../events.ts';
import type { Logger } from 'pino';
import { RELAY_TICK_MS } from './limits.ts';

/** How long closeAll waits for cut sessions to report their end. */
const CLOSE_ALL_WAIT_MS = 1000;
import type { RelayEndReason, RelaySession } from './session.ts';
import { BackendStatusCache } from './status-cache.ts';

/**
 * What one router keeps for passthrough: the live relay sessions (so a drain can close them at its
 * deadline), the player slots per route (`max_players` counts this instance only) and the backend
 * status cache. One timer ticks over all sessions for read timeouts and byte counts.
 */
export class Relays {
  readonly statusCache = new BackendStatusCache();
  private readonly sessions = new Set<RelaySession>();
  private readonly slots = new Map<string, number>();
  private readonly source: object;
  private readonly log: Logger;
  private ticker: NodeJS.Timeout | undefined;

  constructor(source: object, log: Logger) {
    this.source = source;
    this.log = log;
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Players on a route, counting those still being connected. */
  playersOn(route: string): number {
    return this.slots.get(route) ?? 0;
  }

  /** Takes a player slot on the route; false when `max` (> 0) are already taken. */
  reserve(route: string, max: number): boolean {
    const used = this.slots.get(route) ?? 0;
    if (max > 0 && used >= max) return false;
    this.slots.set(route, used + 1);
    return true;
  }

  release(route: string): void {
    const used = (this.slots.get(route) ?? 0) - 1;
    if (used > 0) this.slots.set(route, used);
    else this.slots.delete(route);
  }

  /** Tracks a started session; its slot is released when it ends. */
  add(session: RelaySession): void {
    this.sessions.add(session);
    publish(events.relayStarted, this.source, { route: session.route, target: session.target });
    if (this.ticker === undefined) this.ticker = setInterval(() => this.tick(), RELAY_TICK_MS).unref();
  }

  /** Called by the session's onEnd. */
  ended(session: RelaySession): void {
    if (!this.sessions.delete(session)) return;
    this.release(session.route);
    this.reportBytes(session);
    const reason: RelayEndReason = session.reason ?? 'client_closed';
    const durationSeconds = session.durationSeconds;
    publish(events.relayEnded, this.source, { route: session.route, target: session.target, reason, durationSeconds });
    this.log.info(
      {
        route: session.route,
        target: session.target,
        player: session.player,
        client: session.clientIp,
        reason,
        bytesToBackend: session.bytesToBackend,
        bytesToClient: session.bytesToClient,
        durationSeconds: Math.round(durationSeconds * 1000) / 1000,
      },
      'relay ended',
    );
    if (this.sessions.size === 0 && this.ticker !== undefined) {
      clearInterval(this.ticker);
      this.ticker = undefined;
    }
  }

  /**
   * Drain deadline (or shutdown): cuts every session and resolves with how many were cut once they
   * have ended (their sockets close within a tick or two; `waitMs` bounds the wait regardless).
   */
  async closeAll(reason: RelayEndReason, waitMs = CLOSE_ALL_WAIT_MS): Promise<number> {
    const count = this.sessions.size;
    for (const session of [...this.sessions]) session.close(reason);
    const until = performance.now() + waitMs;
    while (this.sessions.size > 0 && performance.now() < until) await new Promise((r) => setTimeout(r, 5));
    return count;
  }

  private tick(): void {
    const now = performance.now();
    for (const session of this.sessions) {
      session.tick(now);
      this.reportBytes(session);
    }
  }

  private reportBytes(session: RelaySession): void {
    const toBackend = session.bytesToBackend - session.reportedToBackend;
    const toClient = session.bytesToClient - session.reportedToClient;
    if (toBackend === 0 && toClient === 0) return;
    session.reportedToBackend = session.bytesToBackend;
    session.reportedToClient = session.bytesToClient;
    publish(events.relayBytes, this.source, { route: session.route, toBackend, toClient });
  }
}
