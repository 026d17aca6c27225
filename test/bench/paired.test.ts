// The paired bench (issue 16): per-pair figures, pooled percentiles over windows, medians of pairs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LoadResult } from '../../scripts/bench/lib/load.ts';
import { median } from '../../scripts/bench/lib/stats.ts';
import { inTurn, pooledQuantile, report } from '../../scripts/bench/paired.ts';

function result(rate: number, p99Ms: number, latencies?: number[]): LoadResult {
  return {
    completed: rate * 3, errors: 0, firstError: undefined, seconds: 3, rate, p50Ms: 1, p99Ms, maxMs: p99Ms, clientCpuUsPerExchange: 100,
    ...(latencies === undefined ? {} : { latencies: Float64Array.from(latencies) }),
  };
}

test('median of an odd and an even count, and of none', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

test('the pooled quantile ranks every latency of every window together', () => {
  const a = Float64Array.from({ length: 99 }, () => 1);
  const b = Float64Array.from([50]);
  assert.equal(pooledQuantile([a, b], 0.99), 1);
  assert.equal(pooledQuantile([a, b], 1), 50);
  assert.equal(pooledQuantile([b, a], 0.5), 1);
  assert.ok(Number.isNaN(pooledQuantile([], 0.99)));
});

test('each pair is judged on its own windows; pooled and median rows and the pairs that met each target', () => {
  const measured = (rate: number) => ({ result: result(rate, 2), serverCpuUsPerExchange: 80 });
  const peaks = [
    { load: 0.5, bareStatus: measured(10_000), passageLogin: measured(9_500), passageStatus: measured(9_000) },
    { load: 0.5, bareStatus: measured(10_000), passageLogin: measured(8_000), passageStatus: measured(9_000) },
  ];
  const fast = Array.from({ length: 100 }, () => 2);
  const tails = [
    { load: 0.5, bare: result(5_000, 4, fast), passage: result(4_500, 6, fast) },
    { load: 0.5, bare: result(5_000, 4, fast), passage: result(4_500, 12, [...fast.slice(1), 40]) },
  ];
  const lines = report(peaks, tails).split('\n');
  assert.equal(lines[2], '| 1 | 10,000 (80) | 9,500 (80), 95% | 9,000 (80) | 4.00, 6.00 ms (1.5×) |');
  assert.equal(lines[3], '| 2 | 10,000 (80) | 8,000 (80), 80% | 9,000 (80) | 4.00, 12.00 ms (3.0×) |');
  // 200 latencies per server; the 198th of Passage's is still 2 ms, the one slow exchange is the 200th.
  assert.equal(lines[4], '| pooled | | 88% | | 2.00, 2.00 ms (1.0×) |');
  assert.equal(lines[5], '| median of pairs | | 88% | | 2.3× |');
  assert.equal(lines[6], '| pairs met | | 1 of 2 | | 1 of 2 |');
});

test('windows run first to last in even pairs and last to first in odd ones; results keep the tasks\' order', async () => {
  const ran: string[] = [];
  const task = (name: string) => async () => {
    ran.push(name);
    return name.toUpperCase();
  };
  assert.deepEqual(await inTurn(0, [task('a'), task('b'), task('c')]), ['A', 'B', 'C']);
  assert.deepEqual(await inTurn(1, [task('a'), task('b'), task('c')]), ['A', 'B', 'C']);
  assert.deepEqual(ran, ['a', 'b', 'c', 'c', 'b', 'a']);
});
