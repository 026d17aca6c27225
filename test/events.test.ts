// The typed event map: what a channel carries is checked by the compiler at both ends (the
// `@ts-expect-error` lines below fail `npm run typecheck` if a wrong message ever compiles), and
// subscribe delivers only the messages of one source.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { events, publish, subscribe } from '../router/events.ts';
import type { Published } from '../router/events.ts';

test('a subscriber receives the messages its source publishes, tagged with that source, and none after unsubscribing', () => {
  const source = {};
  const seen: Published<'passage:transfer'>[] = [];
  const unsubscribe = subscribe(events.transfer, source, (m) => seen.push(m));
  publish(events.transfer, source, { route: 'lobby', target: 'lobby-1', connectionId: 7 });
  unsubscribe();
  publish(events.transfer, source, { route: 'lobby', target: 'lobby-2', connectionId: 8 });
  assert.deepEqual(seen, [{ source, route: 'lobby', target: 'lobby-1', connectionId: 7 }]);
});

test('a subscriber never sees what another router (another source) published on the same channel', () => {
  const mine = {};
  const other = {};
  const seen: string[] = [];
  const unsubscribe = subscribe(events.error, mine, (m) => seen.push(m.kind));
  publish(events.error, other, { kind: 'ERR_OTHER', intent: 'login' });
  publish(events.error, mine, { kind: 'ERR_MINE', intent: 'status' });
  unsubscribe();
  assert.deepEqual(seen, ['ERR_MINE']);
});

test('the compiler refuses a message that does not match its channel, at publish and at subscribe', () => {
  const source = {};
  const seen: unknown[] = [];
  const unsubscribe = subscribe(events.status, source, (m) => {
    // @ts-expect-error a status event has no target: reading one does not compile
    seen.push(m.target);
    seen.push(m.route);
  });
  // @ts-expect-error a transfer event needs its target
  publish(events.transfer, source, { route: 'lobby' });
  // @ts-expect-error a status event carries no intent
  publish(events.status, source, { route: 'lobby', durationSeconds: 0, intent: 'status' });
  // @ts-expect-error the budget is one of two names, not any string
  publish(events.rateLimited, source, { budget: 'anything' });
  publish(events.status, source, { route: 'lobby', durationSeconds: 0.001 });
  unsubscribe();
  // The wrong publishes still ran (types are erased); the right one was delivered like any other.
  assert.deepEqual(seen.slice(-2), [undefined, 'lobby']);
});
