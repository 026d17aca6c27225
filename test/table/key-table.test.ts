import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { KeyTable } from '../../router/table/key-table.ts';

test('a key table answers as a Map does: first claim wins, misses are undefined, any string is a key (a byte or two per code unit)', () => {
  const table = new KeyTable();
  const map = new Map<string, number>();
  const keys = ['', 'a', 'A', 'play.example.com', '.example.com', 'grüße.example', 'ÿ', 'Ā', 'xĀ', 'xÿ', '🎮', '\ud800', 'x'.repeat(300_000), 'x'.repeat(299_999)];
  for (let i = 0; i < 20_000; i++) keys.push(`host-${i}.example.com`, `${i}`, `route-${(i * 7919) % 20_000}`);
  keys.forEach((key, i) => {
    const expected = map.get(key);
    if (expected === undefined) map.set(key, i);
    assert.equal(table.claim(key, i), expected, `claim ${JSON.stringify(key.slice(0, 40))}`);
  });
  assert.equal(table.size, map.size);
  for (const [key, value] of map) assert.equal(table.get(key), value);
  for (const miss of ['b', 'host-20000.example.com', 'x'.repeat(300_001), 'play.example.co', 'play.example.comm', '\ud801']) {
    assert.equal(table.get(miss), undefined, miss.slice(0, 40));
    assert.equal(table.has(miss), false);
  }
  assert.equal(table.claim('play.example.com', -1), 3);
});

test('values are any number a table stores: positions, and where a host is first listed (up to 2^53)', () => {
  const table = new KeyTable();
  table.claim('big', 2 ** 25 * 2 ** 28 - 1);
  table.claim('neg', -1);
  table.claim('zero', 0);
  assert.deepEqual([table.get('big'), table.get('neg'), table.get('zero')], [2 ** 53 - 1, -1, 0]);
});

test('200,000 host keys are held outside the V8 heap', () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  const before = process.memoryUsage().heapUsed;
  const table = new KeyTable();
  for (let i = 0; i < 200_000; i++) table.claim(`customer-${i}.play.example.com`, i);
  gc();
  const heap = process.memoryUsage().heapUsed - before;
  assert.equal(table.get('customer-199999.play.example.com'), 199_999);
  // A Map of the same keys holds ~100 bytes a key on the heap (the string and its entry).
  assert.ok(heap < 1024 * 1024, `${heap} bytes of heap for 200,000 keys`);
});

test('a key table posted to another thread with its buffers transferred answers the same, also in the middle of growing', async () => {
  const { MessageChannel } = await import('node:worker_threads');
  const { keyTableBuffers } = await import('../../router/table/key-table.ts');
  const keys = ['', 'grüße.example', '🎮', 'x'.repeat(70_000)];
  for (let i = 0; i < 8_396; i++) keys.push(`host-${i}.example.com`);
  const table = new KeyTable();
  keys.forEach((key, i) => table.claim(key, i));
  const state = table.toState();
  // 8,400 entries: the slot array doubled at 8,193 and has moved 16 entries per insert since, not all yet.
  assert.notEqual(state.oldSlots, undefined);
  const { port1, port2 } = new MessageChannel();
  const received = new Promise<typeof state>((resolve) => port2.once('message', resolve));
  port1.postMessage(state, keyTableBuffers(state));
  const copy = KeyTable.fromState(await received);
  port1.close();
  assert.equal(state.slots.byteLength, 0, 'transferred, not copied');
  assert.equal(copy.size, keys.length);
  keys.forEach((key, i) => assert.equal(copy.get(key), i, key.slice(0, 40)));
  assert.equal(copy.get('host-8396.example.com'), undefined);
  assert.equal(copy.claim('new.example.com', 1), undefined);
  assert.equal(copy.get('new.example.com'), 1);
  assert.throws(() => KeyTable.fromState({ ...copy.toState(), slots: new Int32Array(6) }), RangeError);
});
