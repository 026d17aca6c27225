// Label cardinality: short-lived game servers (Agones, Kubernetes) as transfer targets, routes and
// packs of tables long replaced, and code strings from outside must not grow the registry without end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Metric } from 'prom-client';
import { events, publish } from '../../router/events.ts';
import { DEFAULT_LABEL_BOUND, DEFAULT_MAX_SERIES, LABEL_BOUNDS, OVERFLOW_LABEL_VALUE } from '../../router/metrics/bounded.ts';
import { RouterMetrics } from '../../router/metrics/registry.ts';

/** Distinct label sets a metric exposes (a histogram's buckets, sum and count are one series). */
async function series(metric: Metric): Promise<Record<string, string | number>[]> {
  const { values } = await metric.get();
  const seen = new Map<string, Record<string, string | number>>();
  for (const v of values) {
    const { le: _le, ...labels } = v.labels as Record<string, string | number>;
    seen.set(JSON.stringify(labels), labels);
  }
  return [...seen.values()];
}

test('1,000 distinct transfer targets leave a bounded number of passage_transfers_total series, the most recent kept', async () => {
  const source = {};
  const metrics = new RouterMetrics({ defaultMetrics: false }).attach(source);
  try {
    for (let i = 0; i < 1000; i++) publish(events.transfer, source, { route: 'games', target: `gameserver-${i}`, connectionId: i });
    const transfers = metrics.registry.getSingleMetric('passage_transfers_total')!;
    const kept = await series(transfers);
    const max = LABEL_BOUNDS.target!.max;
    assert.equal(kept.length, max, `${kept.length} series for 1,000 targets`);
    const targets = new Set(kept.map((l) => l.target));
    assert.ok(targets.has('gameserver-999') && targets.has(`gameserver-${1000 - max}`), 'the most recent targets keep their series');
    assert.ok(!targets.has('gameserver-0') && !targets.has(`gameserver-${999 - max}`), 'the oldest are gone');
    const evicted = (await metrics.seriesEvicted.get()).values.find((v) => v.labels.metric === 'passage_transfers_total');
    assert.equal(evicted?.value, 1000 - max, 'evictions are counted');
  } finally {
    metrics.detach();
  }
});

test('a target still in use keeps its series and its count while 1,000 others come and go', async () => {
  const source = {};
  const metrics = new RouterMetrics({ defaultMetrics: false }).attach(source);
  try {
    for (let i = 0; i < 1000; i++) {
      publish(events.transfer, source, { route: 'lobby', target: 'lobby-1', connectionId: i });
      publish(events.transfer, source, { route: 'games', target: `gameserver-${i}`, connectionId: i });
    }
    const { values } = await metrics.transfersTotal.get();
    assert.equal(values.find((v) => v.labels.target === 'lobby-1')?.value, 1000);
  } finally {
    metrics.detach();
  }
});

test('every labeled metric of the registry stays bounded when each of its labels takes 1,000 values', async () => {
  const metrics = new RouterMetrics({ defaultMetrics: false });
  const all = metrics.registry.getMetricsAsArray() as unknown as (Metric & { name: string; labelNames?: string[] })[];
  const labeled = all.filter((m) => (m.labelNames ?? []).length > 0);
  assert.ok(labeled.length >= 20, `${labeled.length} labeled metrics`);
  for (const metric of labeled) {
    const names = metric.labelNames!;
    for (let i = 0; i < 1000; i++) {
      const labels = Object.fromEntries(names.map((n) => [n, `${n}-${i}`]));
      if (metric instanceof Counter) metric.inc(labels);
      else if (metric instanceof Histogram) metric.observe(labels, 0.001);
      else if (metric instanceof Gauge) metric.set(labels, i);
      else assert.fail(`${metric.name}: unknown metric type`);
    }
    const kept = await series(metric);
    assert.ok(kept.length > 0 && kept.length <= DEFAULT_MAX_SERIES, `${metric.name}: ${kept.length} series`);
    for (const name of names) {
      // Plus one: the "other" bucket of a fixed vocabulary.
      const bound = (LABEL_BOUNDS[name] ?? DEFAULT_LABEL_BOUND).max + 1;
      const distinct = new Set(kept.map((l) => l[name])).size;
      assert.ok(distinct <= bound, `${metric.name}{${name}}: ${distinct} values, bound ${bound}`);
    }
  }
});

test('a label with a fixed vocabulary counts values past its cap as "other", never as new series', async () => {
  const source = {};
  const metrics = new RouterMetrics({ defaultMetrics: false }).attach(source);
  try {
    for (let i = 0; i < 1000; i++) publish(events.error, source, { kind: `ERR_FROM_OUTSIDE_${i}`, intent: 'login' });
    const kept = await series(metrics.errorsTotal);
    assert.equal(kept.length, DEFAULT_LABEL_BOUND.max + 1);
    const other = (await metrics.errorsTotal.get()).values.find((v) => v.labels.kind === OVERFLOW_LABEL_VALUE);
    assert.equal(other?.value, 1000 - DEFAULT_LABEL_BOUND.max);
    assert.ok(kept.some((l) => l.kind === 'ERR_FROM_OUTSIDE_0'), 'the first values keep their own series');
  } finally {
    metrics.detach();
  }
});

test('a metric holds at most maxSeries series whatever its labels, the least recently updated going first', async () => {
  const metrics = new RouterMetrics({ defaultMetrics: false, bounds: { maxSeries: 50 } });
  for (let route = 0; route < 20; route++) for (let target = 0; target < 20; target++) metrics.transfersTotal.inc({ route: `r${route}`, target: `t${target}` });
  const kept = await series(metrics.transfersTotal);
  assert.equal(kept.length, 50);
  assert.ok(kept.some((l) => l.route === 'r19' && l.target === 't19'));
  assert.ok(!kept.some((l) => l.route === 'r0'));
  assert.equal(metrics.registry.seriesCount('passage_transfers_total'), 50);
});

test('reset clears the bounds with the series', async () => {
  const metrics = new RouterMetrics({ defaultMetrics: false });
  for (let i = 0; i < 200; i++) metrics.errorsTotal.inc({ kind: `ERR_${i}`, intent: 'login' });
  metrics.errorsTotal.reset();
  metrics.errorsTotal.inc({ kind: 'ERR_AFTER_RESET', intent: 'login' });
  assert.deepEqual(await series(metrics.errorsTotal), [{ kind: 'ERR_AFTER_RESET', intent: 'login' }]);
});
