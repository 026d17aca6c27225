// The sliding-window limiter, client keys and pending-connection caps, on a fake clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SlidingWindowLimiter } from '../../router/limits/rate-limiter.ts';
import { clientKey } from '../../router/limits/client-key.ts';
import { ConcurrencyCaps } from '../../router/limits/concurrency.ts';

const T0 = 1_700_000_040_000; // a multiple of 60 s: the first window starts here

test('a client gets exactly its budget in one window, then is refused', () => {
  const rl = new SlidingWindowLimiter({ windowMs: 60_000, limit: 5, maxKeys: 100 });
  const results = Array.from({ length: 8 }, (_, i) => rl.tryAcquire('1.2.3.4', T0 + i));
  assert.deepEqual(results, [true, true, true, true, true, false, false, false]);
});

test('refusals do not count: a client hammering while refused is admitted again as the window slides', () => {
  const rl = new SlidingWindowLimiter({ windowMs: 60_000, limit: 10, maxKeys: 100 });
  for (let i = 0; i < 10; i++) assert.ok(rl.tryAcquire('k', T0 + i));
  for (let i = 0; i < 1000; i++) assert.equal(rl.tryAcquire('k', T0 + 1000 + i), false);
  // Half-way through the next window, half of the previous window still weighs: 5 of 10 are free.
  const mid = T0 + 90_000;
  const admitted = Array.from({ length: 10 }, () => rl.tryAcquire('k', mid)).filter(Boolean).length;
  assert.equal(admitted, 5);
  // Two windows later the past no longer counts.
  assert.equal(Array.from({ length: 12 }, () => rl.tryAcquire('k', T0 + 180_001)).filter(Boolean).length, 10);
});

test('the sliding window never admits more than the budget in any window-long span (fast-check)', () => {
  fc.assert(
    fc.property(fc.array(fc.nat({ max: 5_000 }), { minLength: 1, maxLength: 300 }), fc.integer({ min: 1, max: 20 }), (gaps, limit) => {
      const windowMs = 1000;
      const rl = new SlidingWindowLimiter({ windowMs, limit, maxKeys: 10 });
      const admitted: number[] = [];
      let now = T0;
      for (const gap of gaps) {
        now += gap % 200;
        if (rl.tryAcquire('k', now)) admitted.push(now);
      }
      // The two-counter approximation may admit up to 2× in a span straddling two windows, never more.
      for (const t of admitted) assert.ok(admitted.filter((u) => u >= t && u < t + windowMs).length <= 2 * limit);
      // And within one fixed window it never exceeds the budget.
      const perWindow = new Map<number, number>();
      for (const t of admitted) perWindow.set(Math.floor(t / windowMs), (perWindow.get(Math.floor(t / windowMs)) ?? 0) + 1);
      for (const n of perWindow.values()) assert.ok(n <= limit);
    }),
    { numRuns: 300 },
  );
});

test('keys are independent', () => {
  const rl = new SlidingWindowLimiter({ windowMs: 60_000, limit: 1, maxKeys: 100 });
  assert.ok(rl.tryAcquire('a', T0));
  assert.equal(rl.tryAcquire('a', T0), false);
  assert.ok(rl.tryAcquire('b', T0));
});

test('memory is bounded: past max keys the least recently seen key is forgotten', () => {
  const sizes: number[] = [];
  const rl = new SlidingWindowLimiter({ windowMs: 60_000, limit: 1, maxKeys: 3, onSizeChange: (n) => sizes.push(n) });
  rl.tryAcquire('a', T0);
  rl.tryAcquire('b', T0);
  rl.tryAcquire('c', T0);
  assert.equal(rl.tryAcquire('a', T0 + 1), false); // 'a' is now the most recently seen
  rl.tryAcquire('d', T0 + 2); // evicts 'b'
  assert.equal(rl.size, 3);
  assert.ok(rl.tryAcquire('b', T0 + 3), 'b was forgotten, so its budget is fresh');
  assert.equal(rl.tryAcquire('a', T0 + 4), false, 'a was kept');
  for (let i = 0; i < 10_000; i++) rl.tryAcquire(`flood-${i}`, T0 + 5);
  assert.equal(rl.size, 3);
  assert.deepEqual(sizes.slice(0, 3), [1, 2, 3]);
});

test('keys idle for two windows are dropped without a timer', () => {
  const rl = new SlidingWindowLimiter({ windowMs: 1000, limit: 1, maxKeys: 1000 });
  for (let i = 0; i < 100; i++) rl.tryAcquire(`k${i}`, T0);
  rl.tryAcquire('late', T0 + 1500);
  assert.equal(rl.size, 101);
  rl.tryAcquire('later', T0 + 2000);
  assert.equal(rl.size, 2);
});

test('client keys: IPv4 /32 by default, /24 on request, IPv6 /64, IPv4-mapped as IPv4', () => {
  assert.equal(clientKey('203.0.113.7'), '203.0.113.7');
  assert.equal(clientKey('203.0.113.7', { ipv4: 24, ipv6: 64 }), '203.0.113.0/24');
  assert.equal(clientKey('203.0.113.7', { ipv4: 16, ipv6: 64 }), '203.0.0.0/16');
  assert.equal(clientKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd'), '2001:db8:1:2::/64');
  assert.equal(clientKey('2001:db8:1:2::1'), clientKey('2001:0db8:0001:0002:ffff::9'));
  assert.notEqual(clientKey('2001:db8:1:2::1'), clientKey('2001:db8:1:3::1'));
  assert.equal(clientKey('2001:db8::1', { ipv4: 32, ipv6: 128 }), '2001:db8::1');
  assert.equal(clientKey('::ffff:198.51.100.4'), '198.51.100.4');
  assert.equal(clientKey(''), '');
});

test('pending caps: a global cap and a per-key cap, each released once', () => {
  const caps = new ConcurrencyCaps({ maxTotal: 3, maxPerKey: 2 });
  assert.ok(caps.tryOpen() && caps.tryOpen() && caps.tryOpen());
  assert.equal(caps.tryOpen(), false);
  caps.releaseOpen();
  assert.ok(caps.tryOpen());
  assert.ok(caps.tryClaim('a') && caps.tryClaim('a'));
  assert.equal(caps.tryClaim('a'), false);
  assert.ok(caps.tryClaim('b'));
  caps.release('a');
  assert.ok(caps.tryClaim('a'));
  caps.release('a');
  caps.release('a');
  caps.release('b');
  assert.equal(caps.trackedKeys, 0);
});
