// The configuration phase's part of wake on join: pick an awake target when one is eligible, else wake
// a sleeping one and hold the player (the phase's keep-alive keeps the client connected) until it
// answers or `wake_timeout` passes. The configuration state has no packet that shows text without
// ending the login, so the player sees the client's own "Joining world" screen while waiting.
import { performance } from 'node:perf_hooks';
import { events, publish } from '../events.ts';
import type { Connection } from '../connection/connection.ts';
import { DEFAULT_WAKE_TIMEOUT_MS } from '../table/schema-wake.ts';
import type { Route, Target } from '../table/types.ts';
import type { Waker } from './waker.ts';

export type WaitOutcome = 'transferred' | 'timeout' | 'error' | 'left';

/**
 * The awake targets first: a sleeping one is picked only when the strategy finds no awake target.
 * `select` is the route's strategy over a list of targets.
 */
export async function chooseTarget(
  waker: Waker,
  targets: readonly Target[],
  select: (targets: readonly Target[]) => Target | undefined,
): Promise<{ readonly target: Target | undefined; readonly sleeping: boolean }> {
  const awake = await Promise.all(targets.map((t) => waker.isAwake(t)));
  const chosen = select(targets.filter((_, i) => awake[i]));
  if (chosen !== undefined) return { target: chosen, sleeping: false };
  const target = select(targets.filter((t, i) => !awake[i] && t.wake !== undefined));
  return { target, sleeping: target !== undefined };
}

/** One player's wait for a waking target; `end` is idempotent, so every way out counts once. */
export class WakeHold {
  private readonly conn: Connection;
  private readonly route: Route;
  private readonly started = performance.now();
  private ended = false;

  constructor(conn: Connection, route: Route) {
    this.conn = conn;
    this.route = route;
    publish(events.wakeHold, conn.ctx.source, { route: route.id, connectionId: conn.id });
  }

  end(outcome: WaitOutcome): void {
    if (this.ended) return;
    this.ended = true;
    publish(events.wakeWait, this.conn.ctx.source, { route: this.route.id, outcome, durationSeconds: (performance.now() - this.started) / 1000, connectionId: this.conn.id });
  }
}

/**
 * Chooses the target and transfers to it (`send`), waking it first when it sleeps. `onHold` gets the
 * hold as soon as the player waits, so the phase can end it when the connection ends another way.
 */
export async function transferAfterWake(
  conn: Connection,
  route: Route,
  waker: Waker,
  targets: readonly Target[],
  select: (targets: readonly Target[]) => Target | undefined,
  send: (target: Target | undefined) => void,
  onHold: (hold: WakeHold) => void,
): Promise<void> {
  // A getter, so the compiler does not carry the first check's narrowing past the awaits.
  const closed = (): boolean => conn.state === 'closed';
  const { target, sleeping } = await chooseTarget(waker, targets, select);
  if (closed()) return;
  if (target === undefined || !sleeping) {
    send(target);
    return;
  }
  const hold = new WakeHold(conn, route);
  onHold(hold);
  const timeoutMs = route.wakeTimeout ?? DEFAULT_WAKE_TIMEOUT_MS;
  // The wait has its own deadline, replacing the configuration deadline; keep-alives go on meanwhile.
  conn.limit({
    deadlineMs: timeoutMs,
    onDeadline: () => {
      hold.end('timeout');
      conn.reportError('ERR_WAKE_NOT_READY');
      conn.disconnect('server_starting', {}, 'wake:timeout');
    },
  });
  const outcome = await waker.wake(route, target, Date.now() + timeoutMs);
  if (closed()) return;
  if (outcome.kind === 'ready') {
    hold.end('transferred');
    send(target);
    return;
  }
  hold.end(outcome.code === 'ERR_WAKE_NOT_READY' ? 'timeout' : 'error');
  conn.reportError(outcome.code);
  conn.disconnect(outcome.code === 'ERR_WAKE_NOT_READY' ? 'server_starting' : 'wake_failed', {}, `wake:${outcome.code}`);
}
