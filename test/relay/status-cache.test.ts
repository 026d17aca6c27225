import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BackendStatusCache } from '../../router/relay/status-cache.ts';

function clock(): { now: () => number; advance(ms: number): void } {
  let t = 0;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

describe('BackendStatusCache', () => {
  test('an answer is reused for the same route and protocol until the TTL passes', async () => {
    const c = clock();
    const cache = new BackendStatusCache({ ttlMs: 1000, now: c.now });
    let calls = 0;
    const fetch = async (): Promise<string> => `{"n":${++calls}}`;
    assert.deepEqual(await cache.lookup('r', 769, fetch), { json: '{"n":1}', result: 'miss' });
    c.advance(999);
    assert.deepEqual(await cache.lookup('r', 769, fetch), { json: '{"n":1}', result: 'hit' });
    c.advance(1);
    assert.deepEqual(await cache.lookup('r', 769, fetch), { json: '{"n":2}', result: 'miss' });
  });

  test('another protocol or another route is another entry', async () => {
    const cache = new BackendStatusCache();
    const seen: string[] = [];
    const fetchFor = (label: string) => async (): Promise<string> => {
      seen.push(label);
      return `"${label}"`;
    };
    assert.equal((await cache.lookup('r', 47, fetchFor('r47'))).json, '"r47"');
    assert.equal((await cache.lookup('r', 769, fetchFor('r769'))).json, '"r769"');
    assert.equal((await cache.lookup('s', 769, fetchFor('s769'))).json, '"s769"');
    assert.deepEqual(seen, ['r47', 'r769', 's769']);
  });

  test('lookups while a fetch is in flight wait for it instead of starting their own', async () => {
    const cache = new BackendStatusCache();
    let calls = 0;
    let release!: (json: string) => void;
    const fetch = (): Promise<string> => {
      calls++;
      return new Promise((r) => (release = r));
    };
    const lookups = [cache.lookup('r', 769, fetch), cache.lookup('r', 769, fetch), cache.lookup('r', 769, fetch)];
    release('{}');
    const results = await Promise.all(lookups);
    assert.equal(calls, 1);
    assert.deepEqual(results.map((r) => r.result), ['miss', 'coalesced', 'coalesced']);
  });

  test('a failure is remembered for the shorter failure TTL, then the backend is asked again', async () => {
    const c = clock();
    const cache = new BackendStatusCache({ ttlMs: 5000, failureTtlMs: 500, now: c.now });
    let calls = 0;
    const failing = async (): Promise<string> => {
      calls++;
      throw new Error('refused');
    };
    assert.deepEqual(await cache.lookup('r', 1, failing), { json: undefined, result: 'failed' });
    assert.deepEqual(await cache.lookup('r', 1, failing), { json: undefined, result: 'failed' });
    assert.equal(calls, 1);
    c.advance(500);
    assert.equal((await cache.lookup('r', 1, async () => '{}')).result, 'miss');
  });

  test('a route with its request budget in flight gets no answer for a new protocol instead of another backend request', async () => {
    const cache = new BackendStatusCache({ maxRequestsPerRoute: 2 });
    const never = (): Promise<string> => new Promise(() => {});
    void cache.lookup('r', 1, never);
    void cache.lookup('r', 2, never);
    assert.deepEqual(await cache.lookup('r', 3, async () => '{}'), { json: undefined, result: 'busy' });
    assert.equal((await cache.lookup('other', 3, async () => '{}')).result, 'miss');
  });

  test('the number of entries stays within its bound however many protocols clients claim', async () => {
    const cache = new BackendStatusCache({ maxEntries: 16 });
    for (let p = 0; p < 200; p++) await cache.lookup('r', p, async () => '{}');
    assert.equal(cache.size, 16);
    // The newest entries are the ones kept.
    assert.equal((await cache.lookup('r', 199, async () => 'x')).result, 'hit');
  });
});
