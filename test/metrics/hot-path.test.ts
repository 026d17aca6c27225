// The bounded registry updates a known series' prom-client record in place (router/metrics/bounded.ts):
// whatever it does, a scrape must read exactly what prom-client's own methods would have produced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Histogram, Registry } from 'prom-client';
import { BoundedRegistry } from '../../router/metrics/bounded.ts';

interface Pair {
  readonly counter: Counter<'intent' | 'outcome'>;
  readonly histogram: Histogram<'route'>;
  readonly registry: Registry;
}

function pair(registry: Registry): Pair {
  const registers = [registry];
  return {
    registry,
    counter: new Counter({ name: 'hot_total', help: 'h', labelNames: ['intent', 'outcome'], registers }),
    histogram: new Histogram({ name: 'hot_seconds', help: 'h', labelNames: ['route'], buckets: [0.0001, 0.001, 0.01, 1], registers }),
  };
}

/** The same calls on both; returns what each threw, in order. */
function run(p: Pair): string[] {
  const thrown: string[] = [];
  const attempt = (f: () => void): void => {
    try {
      f();
    } catch (err) {
      thrown.push(`${(err as Error).name}: ${(err as Error).message}`);
    }
  };
  for (let i = 0; i < 50; i++) {
    p.counter.inc({ intent: i % 3 === 0 ? 'status' : 'login', outcome: i % 5 === 0 ? 'error' : 'transferred' });
    p.counter.inc({ intent: 'login', outcome: 'transferred' }, i % 4);
    p.histogram.observe({ route: i % 2 === 0 ? 'lobby' : 'games' }, [0.00005, 0.0001, 0.0005, 0.002, 0.5, 3, 0][i % 7]!);
  }
  // Partial and empty labels (two series for prom-client), a label set removed and recorded again, errors for bad values on a known series.
  p.counter.inc({ intent: 'status', outcome: '' });
  p.counter.inc({ intent: 'status' });
  p.counter.inc({ intent: 'status' }, 2);
  p.counter.inc({ intent: 'status', outcome: '' }, 3);
  p.counter.remove({ intent: 'login', outcome: 'transferred' });
  p.counter.inc({ intent: 'login', outcome: 'transferred' }, 5);
  attempt(() => p.counter.inc({ intent: 'login', outcome: 'transferred' }, -1));
  attempt(() => p.counter.inc({ intent: 'login', outcome: 'transferred' }, Infinity));
  attempt(() => p.histogram.observe({ route: 'lobby' }, Number.NaN));
  p.histogram.remove({ route: 'games' });
  p.histogram.observe({ route: 'games' }, 0.003);
  // After a reset every series starts again.
  p.histogram.reset();
  p.histogram.observe({ route: 'lobby' }, 0.0002);
  p.histogram.observe({ route: 'lobby' }, 0.0002);
  return thrown;
}

test('counters and histograms on the bounded registry scrape exactly as on a plain prom-client registry', async () => {
  const plain = pair(new Registry());
  const bounded = pair(new BoundedRegistry());
  const plainThrown = run(plain);
  const boundedThrown = run(bounded);
  assert.deepEqual(boundedThrown, plainThrown);
  assert.equal(plainThrown.length, 3);
  assert.equal(await bounded.registry.metrics(), await plain.registry.metrics());
  assert.deepEqual(await bounded.registry.getMetricsAsJSON(), await plain.registry.getMetricsAsJSON());
});

test('a series evicted by its label bound starts from zero when its value comes back', async () => {
  const registry = new BoundedRegistry({ bounds: { target: { max: 2, overflow: 'evict' } } });
  const transfers = new Counter({ name: 'evict_total', help: 'h', labelNames: ['target'], registers: [registry] });
  for (let i = 0; i < 3; i++) transfers.inc({ target: 'a' });
  transfers.inc({ target: 'b' });
  transfers.inc({ target: 'c' }); // evicts a, the least recently used
  transfers.inc({ target: 'a' }); // evicts b
  transfers.inc({ target: 'a' });
  const { values } = await transfers.get();
  assert.deepEqual(Object.fromEntries(values.map((v) => [v.labels.target, v.value])), { c: 1, a: 2 });
  assert.equal(registry.seriesCount('evict_total'), 2);
});
