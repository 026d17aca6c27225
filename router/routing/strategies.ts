import { createHash } from 'node:crypto';
import type { Route, StrategyName, Target } from '../table/types.ts';

export interface SelectionContext {
  /** The player's UUID (sticky hashing). */
  readonly playerId: string;
  /** A number in [0, 1): injectable so tests are deterministic. */
  readonly random: () => number;
  /** Per-route counters for round robin; lives as long as the router process. */
  readonly counters: Map<string, number>;
}

function metaInt(t: Target, key: string): number | undefined {
  const v = t.meta[key];
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

export function playersOf(t: Target): number {
  return metaInt(t, 'players') ?? 0;
}

/** A target is full when its `players` meta has reached its `max_players` meta. */
export function isFull(t: Target): boolean {
  const max = metaInt(t, 'max_players');
  return max !== undefined && playersOf(t) >= max;
}

function pickRandom<T>(items: readonly T[], random: () => number): T {
  return items[Math.min(items.length - 1, Math.floor(random() * items.length))];
}

/** All items with the smallest key, one of them at random. */
function minBy(targets: readonly Target[], key: (t: Target) => number, random: () => number): Target {
  let best = Infinity;
  let ties: Target[] = [];
  for (const t of targets) {
    const k = key(t);
    if (k < best) {
      best = k;
      ties = [t];
    } else if (k === best) {
      ties.push(t);
    }
  }
  return pickRandom(ties, random);
}

/** Rendezvous (highest random weight) hashing: adding a target moves only the players it wins. */
function rendezvousScore(playerId: string, targetId: string): bigint {
  return createHash('sha256').update(playerId).update('\0').update(targetId).digest().readBigUInt64BE(0);
}

const strategies: Record<StrategyName, (targets: readonly Target[], route: Route, ctx: SelectionContext) => Target> = {
  priority: (ts, _r, ctx) => minBy(ts, (t) => t.priority, ctx.random),
  random: (ts, _r, ctx) => pickRandom(ts, ctx.random),
  round_robin: (ts, route, ctx) => {
    const n = ctx.counters.get(route.id) ?? 0;
    ctx.counters.set(route.id, (n + 1) % 1_000_000_007);
    return ts[n % ts.length];
  },
  least_players: (ts, _r, ctx) => minBy(ts, playersOf, ctx.random),
  // Fill the fullest server that still has room, so players meet each other and empty servers can scale in.
  player_fill: (ts, _r, ctx) => minBy(ts, (t) => -playersOf(t), ctx.random),
  sticky: (ts, _r, ctx) => {
    let best = ts[0];
    let bestScore = -1n;
    for (const t of ts) {
      const s = rendezvousScore(ctx.playerId, t.id);
      if (s > bestScore) {
        best = t;
        bestScore = s;
      }
    }
    return best;
  },
};

/**
 * Chooses the target for a player; undefined when the route has no eligible (non-full) target.
 * `targets` replaces the route's own when an adapter discovered them.
 */
export function selectTarget(route: Route, ctx: SelectionContext, targets: readonly Target[] = route.targets): Target | undefined {
  const eligible = targets.filter((t) => !isFull(t));
  if (eligible.length === 0) return undefined;
  return strategies[route.strategy](eligible, route, ctx);
}
