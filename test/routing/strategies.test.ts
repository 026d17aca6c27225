import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectTarget } from '../../router/routing/strategies.ts';
import type { Route, StrategyName, Target } from '../../router/table/types.ts';

function target(id: string, priority = 0, meta: Record<string, string> = {}): Target {
  return { id, address: `${id}:25565`, host: id, port: 25565, priority, meta };
}
function route(strategy: StrategyName, targets: Target[]): Route {
  return { id: 'r', hosts: ['*'], mode: 'transfer', strategy, status: { motd: '', maxPlayers: 0 }, targets };
}
function pick(strategy: StrategyName, targets: Target[], opts: { player?: string; random?: number; counters?: Map<string, number> } = {}): string | undefined {
  return selectTarget(route(strategy, targets), {
    playerId: opts.player ?? '00000000-0000-0000-0000-000000000001',
    random: () => opts.random ?? 0,
    counters: opts.counters ?? new Map(),
  })?.id;
}

test('priority takes the lowest priority and breaks ties at random', () => {
  const ts = [target('b', 1), target('a1', 0), target('c', 2), target('a2', 0)];
  assert.equal(pick('priority', ts, { random: 0 }), 'a1');
  assert.equal(pick('priority', ts, { random: 0.99 }), 'a2');
});

test('random spreads over all targets', () => {
  const ts = [target('a'), target('b'), target('c')];
  assert.deepEqual([0, 0.4, 0.9].map((r) => pick('random', ts, { random: r })), ['a', 'b', 'c']);
});

test('round robin cycles in order per route', () => {
  const counters = new Map<string, number>();
  const ts = [target('a'), target('b'), target('c')];
  assert.deepEqual(Array.from({ length: 5 }, () => pick('round_robin', ts, { counters })), ['a', 'b', 'c', 'a', 'b']);
});

test('least_players picks the emptiest server; player_fill the fullest one with room', () => {
  const ts = [target('a', 0, { players: '10', max_players: '20' }), target('b', 0, { players: '3' }), target('c', 0, { players: '19', max_players: '20' }), target('full', 0, { players: '20', max_players: '20' })];
  assert.equal(pick('least_players', ts), 'b');
  assert.equal(pick('player_fill', ts), 'c');
});

test('full targets are never chosen, and a route of only full targets has none', () => {
  const full = [target('x', 0, { players: '5', max_players: '5' }), target('y', 0, { players: '9', max_players: '2' })];
  for (const s of ['priority', 'random', 'round_robin', 'least_players', 'player_fill', 'sticky'] as StrategyName[]) {
    assert.equal(pick(s, full), undefined, s);
    assert.equal(pick(s, []), undefined, s);
  }
});

test('sticky sends a player to the same target every time, and adding a target moves only some players', () => {
  const three = [target('a'), target('b'), target('c')];
  const four = [...three, target('d')];
  const players = Array.from({ length: 400 }, (_, i) => `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`);
  let moved = 0;
  const used = new Set<string>();
  for (const p of players) {
    const before = pick('sticky', three, { player: p });
    assert.equal(pick('sticky', three, { player: p }), before);
    used.add(before!);
    const after = pick('sticky', four, { player: p });
    if (after !== before) {
      moved++;
      assert.equal(after, 'd', 'a player only moves to the new target');
    }
  }
  assert.equal(used.size, 3);
  // About a quarter should move to the new target; rendezvous hashing never reshuffles the rest.
  assert.ok(moved > 50 && moved < 160, `moved ${moved} of 400`);
});
