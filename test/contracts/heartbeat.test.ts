// The heartbeat item is written by routers and read by `passagectl status` and `passagectl deploy`:
// one encoder and one decoder, so a field renamed on one side fails here, not in production.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  decodeHeartbeat,
  encodeHeartbeat,
  heartbeatExpiresAtSeconds,
  isStaleBeat,
  MAX_HEARTBEAT_NAME,
  MAX_REJECTION_MESSAGE,
  STALE_AFTER_INTERVALS,
  type FleetReport,
} from '../../router/contracts/heartbeat.ts';
import { fleetPartitionKey, fleetPartitionKeyPattern, historySortKey, instanceSortKey, KEY_PREFIX, SORT_KEY, tablePartitionKey } from '../../router/contracts/dynamodb-keys.ts';

const REPORT: FleetReport = {
  ready: true,
  draining: false,
  activeConnections: 3,
  table: { id: 'prod', version: 12, expiresAt: 1_800_000_000_000 },
  lastRejection: { code: 'ERR_TABLE_SIGNATURE', message: 'no trusted key signed it', at: '2025-01-01T00:00:00.000Z' },
  region: 'eu-west-1',
  instance: 'ip-10-0-0-1-7',
  routerVersion: '0.1.0',
  startedAt: 1_700_000_000_000,
  at: 1_700_000_060_000,
  intervalMs: 5000,
  counters: { connections: 100, logins: 40, transfers: 38, errors: 2, rateLimited: 5 },
  rates: { connections: 2.5, logins: 1, transfers: 0.9, errors: 0, rateLimited: 0.1 },
  p99LoginSeconds: 0.42,
};

describe('heartbeat item', () => {
  test('a report encodes and decodes back to the same fields', () => {
    const back = decodeHeartbeat(encodeHeartbeat('prod', REPORT));
    assert.deepEqual(back, {
      region: REPORT.region,
      instance: REPORT.instance,
      routerVersion: REPORT.routerVersion,
      startedAt: REPORT.startedAt,
      at: REPORT.at,
      intervalMs: REPORT.intervalMs,
      ready: true,
      draining: false,
      activeConnections: 3,
      table: { id: 'prod', version: 12, expiresAt: 1_800_000_000_000 },
      lastRejection: REPORT.lastRejection,
      counters: REPORT.counters,
      rates: REPORT.rates,
      p99LoginSeconds: 0.42,
      expiresAtSeconds: heartbeatExpiresAtSeconds(REPORT.at, REPORT.intervalMs),
    });
  });

  test('a report without table, rejection or p99 decodes with those fields null', () => {
    const back = decodeHeartbeat(encodeHeartbeat('prod', { ...REPORT, table: null, lastRejection: null, p99LoginSeconds: null }))!;
    assert.deepEqual([back.table, back.lastRejection, back.p99LoginSeconds], [null, null, null]);
    const noExpiry = decodeHeartbeat(encodeHeartbeat('prod', { ...REPORT, table: { id: 'prod', version: 1 } }))!;
    assert.deepEqual(noExpiry.table, { id: 'prod', version: 1, expiresAt: null });
  });

  test('the item is keyed by the fleet partition and the instance sort key, with the TTL the table expires it by', () => {
    const item = encodeHeartbeat('prod', REPORT);
    assert.equal(item.pk!.S, fleetPartitionKey('prod', 'eu-west-1'));
    assert.equal(item.pk!.S, 'FLEET#prod#eu-west-1');
    assert.equal(item.sk!.S, instanceSortKey('eu-west-1', 'ip-10-0-0-1-7'));
    assert.equal(item.expires_at!.N, String(Math.ceil((REPORT.at + STALE_AFTER_INTERVALS * 5000 + 600_000) / 1000)));
  });

  test('strings are cut to their bounds when written and when read', () => {
    const long = 'x'.repeat(MAX_HEARTBEAT_NAME + 50);
    const item = encodeHeartbeat('prod', { ...REPORT, instance: long, lastRejection: { ...REPORT.lastRejection!, message: 'm'.repeat(2000) } });
    assert.equal(item.instance!.S!.length, MAX_HEARTBEAT_NAME);
    assert.equal(item.last_rejection!.M!.message!.S!.length, MAX_REJECTION_MESSAGE);
    // Someone else's writer: the reader bounds what it takes in, too.
    const hostile: Record<string, AttributeValue> = { ...item, region: { S: 'r'.repeat(100_000) }, router_version: { S: 'v'.repeat(100_000) } };
    const back = decodeHeartbeat(hostile)!;
    assert.equal(back.region.length, MAX_HEARTBEAT_NAME);
    assert.equal(back.routerVersion!.length, MAX_HEARTBEAT_NAME);
  });

  test('an item without region or beat time is not a heartbeat; a non-numeric number counts as absent', () => {
    const item = encodeHeartbeat('prod', REPORT);
    const { region: _region, ...noRegion } = item;
    assert.equal(decodeHeartbeat(noRegion), undefined);
    assert.equal(decodeHeartbeat({ ...item, beat_at: { N: 'soon' } }), undefined);
    assert.equal(decodeHeartbeat({ ...item, interval_ms: { N: 'NaN' } })!.intervalMs, null);
    assert.equal(decodeHeartbeat({ ...item, region: { N: '1' } }), undefined);
  });
});

describe('staleness', () => {
  const cases: { name: string; ageMs: number; stale: boolean }[] = [
    { name: 'a beat one interval old is live', ageMs: 5000, stale: false },
    { name: 'exactly three intervals old is still live', ageMs: 3 * 5000, stale: false },
    { name: 'just past three intervals is stale', ageMs: 3 * 5000 + 1, stale: true },
  ];
  for (const c of cases) test(c.name, () => assert.equal(isStaleBeat(1_000_000, 5000, 1_000_000 + c.ageMs), c.stale));
});

describe('DynamoDB key layout', () => {
  test('table, history, fleet and instance keys follow DESIGN.md', () => {
    assert.equal(tablePartitionKey('prod'), 'TABLE#prod');
    assert.equal(SORT_KEY.latest, 'LATEST');
    assert.equal(historySortKey(42), 'V#0000000000000042');
    assert.equal(fleetPartitionKey('prod', 'eu-west-1'), 'FLEET#prod#eu-west-1');
    assert.equal(fleetPartitionKeyPattern('prod'), 'FLEET#prod#*');
    assert.equal(instanceSortKey('eu-west-1', 'a'), 'INSTANCE#eu-west-1#a');
  });

  test('history keys sort by version as strings, and every key starts with its prefix', () => {
    const versions = [1, 9, 10, 99, 100, 2 ** 40, Number.MAX_SAFE_INTEGER];
    const keys = versions.map(historySortKey);
    assert.deepEqual([...keys].sort(), keys);
    for (const k of keys) assert.ok(k.startsWith(SORT_KEY.history));
    assert.ok(tablePartitionKey('x').startsWith(KEY_PREFIX.table));
    assert.ok(fleetPartitionKey('x', 'us-east-1').startsWith(KEY_PREFIX.fleet));
  });
});
