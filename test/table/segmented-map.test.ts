// The segmented map behind the route index and the table's value pool: a Map for its readers, never
// one rehash of every entry (router/table/segmented-map.ts).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SegmentedMap } from '../../router/table/segmented-map.ts';
import { SliceClock } from '../../router/routing/slices.ts';

describe('SegmentedMap', () => {
  test('reads like a Map across segments: get, has, size, updates in place, insertion order', () => {
    const map = new SegmentedMap<number>();
    const plain = new Map<string, number>();
    // 100,000 keys: four segments of at most 32,768.
    for (let i = 0; i < 100_000; i++) {
      map.set(`host${i}.example.com`, i);
      plain.set(`host${i}.example.com`, i);
    }
    map.set('host5.example.com', -5);
    plain.set('host5.example.com', -5);
    map.set('host99999.example.com', -1);
    plain.set('host99999.example.com', -1);
    assert.equal(map.size, 100_000);
    assert.equal(map.get('host5.example.com'), -5);
    assert.equal(map.get('host70000.example.com'), 70_000);
    assert.equal(map.get('host100000.example.com'), undefined);
    assert.equal(map.has('host0.example.com'), true);
    assert.equal(map.has('nope'), false);
    assert.deepEqual([...map], [...plain]);
    assert.deepEqual([...map.keys()].slice(-2), ['host99998.example.com', 'host99999.example.com']);
    assert.deepEqual([...map.values()].slice(0, 6), [0, 1, 2, 3, 4, -5]);
    let seen = 0;
    map.forEach((value, key, self) => {
      assert.equal(self.get(key), value);
      seen++;
    });
    assert.equal(seen, 100_000);
  });

  test('claim keeps the first value across segments and gives it back; a new key is added once', () => {
    const map = new SegmentedMap<number>();
    for (let i = 0; i < 40_000; i++) assert.equal(map.claim(`k${i}`, i), undefined);
    assert.equal(map.claim('k3', -1), 3, 'in the first segment');
    assert.equal(map.claim('k39999', -1), 39_999, 'in the second');
    assert.equal(map.get('k3'), 3);
    assert.equal(map.size, 40_000);
    assert.equal(map.claim('new', 7), undefined);
    assert.equal(map.get('new'), 7);
    assert.equal(map.size, 40_001);
  });

  test('an empty map has nothing', () => {
    const map = new SegmentedMap<string>();
    assert.equal(map.size, 0);
    assert.equal(map.get(''), undefined);
    assert.deepEqual([...map.entries()], []);
  });
});

describe('SliceClock', () => {
  test('with a budget it rests between slices (a timer); with a budget of 0 it only yields', async () => {
    const resting = new SliceClock(1, undefined, 5);
    resting.begin();
    const spin = performance.now();
    while (performance.now() - spin < 2);
    const t0 = performance.now();
    await resting.tick();
    // A 5 ms timer fires no earlier than its millisecond clock allows (a little over 4 ms); setImmediate would be ~0.
    assert.ok(performance.now() - t0 >= 3, `rested ${performance.now() - t0} ms`);
    assert.equal(resting.yields, 1);

    const yielding = new SliceClock(0);
    let immediateRan = false;
    setImmediate(() => (immediateRan = true));
    await yielding.tick();
    assert.equal(immediateRan, true);
    assert.equal(yielding.yields, 1);
  });

  test('a step announced as long starts the next slice when it would overrun this one', async () => {
    // A generous budget: the slice has used far less of it than the announced step would add.
    const clock = new SliceClock(1_000, undefined, 0);
    clock.begin();
    await clock.tick(10);
    assert.equal(clock.yields, 0, 'room for a 10 ms step');
    await clock.tick(1_000);
    assert.equal(clock.yields, 1, 'no room for a step as long as the budget');
  });

  test('an abort during the rest ends the work with the reason', async () => {
    const abort = new AbortController();
    const clock = new SliceClock(0.001, abort.signal, 20);
    clock.begin();
    const spin = performance.now();
    while (performance.now() - spin < 1);
    const ticking = clock.tick();
    abort.abort(new Error('stopped'));
    await assert.rejects(ticking, /stopped/);
  });
});
