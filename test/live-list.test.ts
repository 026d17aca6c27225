// LiveList: what a router holds live (connections, sockets awaiting a PROXY header), O(1) add and remove.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LiveList } from '../router/live-list.ts';

test('values come out oldest first; removing from the middle, the ends and the only entry keeps the order and the count', () => {
  const list = new LiveList<string>();
  assert.equal(list.size, 0);
  assert.deepEqual(list.values(), []);
  const a = list.add('a');
  const b = list.add('b');
  const c = list.add('c');
  const d = list.add('d');
  assert.equal(list.size, 4);
  assert.deepEqual(list.values(), ['a', 'b', 'c', 'd']);
  b.remove();
  assert.deepEqual(list.values(), ['a', 'c', 'd']);
  a.remove();
  d.remove();
  assert.deepEqual(list.values(), ['c']);
  assert.equal(list.size, 1);
  c.remove();
  assert.deepEqual(list.values(), []);
  assert.equal(list.size, 0);
  list.add('e');
  assert.deepEqual(list.values(), ['e']);
});

test('removing an entry twice counts it once', () => {
  const list = new LiveList<number>();
  const one = list.add(1);
  list.add(2);
  one.remove();
  one.remove();
  assert.equal(list.size, 1);
  assert.deepEqual(list.values(), [2]);
});

test('the same value added twice is two entries', () => {
  const list = new LiveList<string>();
  const first = list.add('x');
  list.add('x');
  first.remove();
  assert.deepEqual(list.values(), ['x']);
});

test('values() is a copy: entries removed and added while walking it do not change the walk', () => {
  const list = new LiveList<number>();
  const entries = [1, 2, 3, 4].map((n) => list.add(n));
  const seen: number[] = [];
  for (const n of list.values()) {
    seen.push(n);
    entries[n - 1]!.remove();
    if (n === 1) list.add(5);
  }
  assert.deepEqual(seen, [1, 2, 3, 4]);
  assert.deepEqual(list.values(), [5]);
});

test('a list of many entries removed in an arbitrary order ends empty', () => {
  const list = new LiveList<number>();
  const entries = Array.from({ length: 1000 }, (_, i) => list.add(i));
  // A fixed permutation (multiplying by a unit mod 1000), so the test is the same on every run.
  for (let i = 0; i < 1000; i++) entries[(i * 337) % 1000]!.remove();
  assert.equal(list.size, 0);
  assert.deepEqual(list.values(), []);
});
