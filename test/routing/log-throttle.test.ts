import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogThrottle } from '../../router/log-throttle.ts';

test('one line per key per interval gets through, and the next one says how many were held back', () => {
  const t = new LogThrottle(1000);
  assert.deepEqual(t.admit('a', 0), { suppressed: 0 });
  assert.equal(t.admit('a', 10), undefined);
  assert.equal(t.admit('a', 999), undefined);
  assert.deepEqual(t.admit('b', 20), { suppressed: 0 }, 'keys are independent');
  assert.deepEqual(t.admit('a', 1000), { suppressed: 2 });
});
