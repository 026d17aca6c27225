import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { buildConfig, ConfigError } from '../../router/config/load.ts';
import { MAX_WORKERS } from '../../router/config/schema.ts';
import { dividedBudget, workerConfig } from '../../router/workers/budget.ts';

const build = (raw: Record<string, unknown>) => buildConfig(raw, '/tmp/passage.toml');

test('workers defaults to 1, takes an integer, and "auto" means the cores this process may use', () => {
  assert.equal(build({}).workers, 1);
  assert.equal(build({ workers: 3 }).workers, 3);
  assert.equal(build({ workers: 'auto' }).workers, Math.min(availableParallelism(), MAX_WORKERS));
});

test('workers below 1, above the bound, or any other string is a config error naming the key', () => {
  for (const [value, message] of [[0, /workers: must be at least 1/], [MAX_WORKERS + 1, /workers: must be at most 256/], ['many', /workers: expected an integer or "auto"/]] as const) {
    assert.throws(() => build({ workers: value }), (err: unknown) => err instanceof ConfigError && message.test(err.message));
  }
});

test('each worker holds ceil(limit / workers) of every per-instance budget, at least 1', () => {
  assert.equal(dividedBudget(60, 2), 30);
  assert.equal(dividedBudget(5, 2), 3);
  assert.equal(dividedBudget(1, 4), 1);
  const config = build({ workers: 2, rate_limiter: { size: 10, status_size: 7 }, limits: { max_pending: 100, max_pending_per_ip: 3 } });
  const worker = workerConfig(config, 1);
  assert.deepEqual(
    [worker.workers, worker.rateLimiter.size, worker.rateLimiter.statusSize, worker.limits.maxPending, worker.limits.maxPendingPerIp, worker.table.cacheFile],
    [1, 5, 4, 50, 2, ''],
  );
  assert.equal(worker.fleet.instance, `${config.fleet.instance}-w1`);
});
