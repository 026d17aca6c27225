// The fleet view's arithmetic: staleness, region rows, sparklines and the plain snapshot, table-driven.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  aggregateRegions, buildSnapshot, instanceState, pushHistory, sparkline, viewInstances, type InstanceReport, type PublishedTable,
} from '../../../cli/fleet/aggregate.ts';
import { formatLatency, formatRate, formatSnapshot, formatSpan } from '../../../cli/fleet/format.ts';

const NOW = Date.parse('2025-06-01T12:00:00Z');
const LATEST: PublishedTable = { id: 'prod', version: 8, expiresAt: NOW + 7 * 86_400_000 };

function report(region: string, instance: string, over: Partial<InstanceReport> = {}): InstanceReport {
  return {
    source: 'dynamodb', region, instance, routerVersion: '0.1.0', startedAt: NOW - 3_600_000, at: NOW - 1000, intervalMs: 5000,
    ready: true, draining: false, activeConnections: 0, table: { id: 'prod', version: 8, expiresAt: NOW + 86_400_000 }, lastRejection: null,
    rates: { connections: 10, logins: 2, transfers: 2, errors: 0.5, rateLimited: 1 }, p99LoginSeconds: 0.1, expiresAtSeconds: null, error: null,
    ...over,
  };
}

describe('instanceState', () => {
  const cases: { name: string; r: Partial<InstanceReport>; want: string }[] = [
    { name: 'fresh and ready', r: {}, want: 'ready' },
    { name: 'fresh, no table yet', r: { ready: false }, want: 'starting' },
    { name: 'draining wins over ready', r: { draining: true }, want: 'draining' },
    { name: 'exactly 3 intervals old is still alive', r: { at: NOW - 15_000 }, want: 'ready' },
    { name: 'older than 3 intervals is stale', r: { at: NOW - 15_001 }, want: 'stale' },
    { name: 'a draining instance that went silent is stale', r: { at: NOW - 60_000, draining: true }, want: 'stale' },
    { name: 'the interval comes from the report', r: { at: NOW - 1000, intervalMs: 200 }, want: 'stale' },
    { name: 'an admin URL that did not answer is stale', r: { error: 'ECONNREFUSED' }, want: 'stale' },
  ];
  for (const c of cases) test(c.name, () => assert.equal(instanceState(report('r', 'i', c.r), NOW), c.want));
});

test('instances past their TTL are dropped (DynamoDB deletes them lazily); stale ones are kept', () => {
  const views = viewInstances(
    [report('eu', 'gone', { at: NOW - 3_600_000, expiresAtSeconds: (NOW - 1000) / 1000 }), report('eu', 'old', { at: NOW - 60_000, expiresAtSeconds: NOW / 1000 + 60 })],
    LATEST, NOW,
  );
  assert.deepEqual(views.map((v) => [v.instance, v.state]), [['old', 'stale']]);
});

describe('aggregateRegions', () => {
  const cases: { name: string; reports: InstanceReport[]; want: Record<string, unknown> }[] = [
    {
      name: 'healthy region: rates add up, worst p99, one version',
      reports: [report('eu', 'a'), report('eu', 'b', { p99LoginSeconds: 0.3 })],
      want: { ready: 2, stale: 0, tableVersions: [8], behind: 0, connections: 20, p99: 0.3, health: 'ok' },
    },
    {
      name: 'an instance on an old table is behind and the region degraded',
      reports: [report('eu', 'a'), report('eu', 'b', { table: { id: 'prod', version: 7, expiresAt: NOW + 3_600_000 } })],
      want: { ready: 2, stale: 0, tableVersions: [7, 8], behind: 1, connections: 20, p99: 0.1, health: 'degraded', expiresAt: NOW + 3_600_000 },
    },
    {
      name: 'stale instances count but add no traffic',
      reports: [report('eu', 'a'), report('eu', 'b', { at: NOW - 60_000, p99LoginSeconds: 9 })],
      want: { ready: 1, stale: 1, tableVersions: [8], behind: 0, connections: 10, p99: 0.1, health: 'degraded' },
    },
    {
      name: 'a region that stopped reporting is stale, not absent',
      reports: [report('eu', 'a', { at: NOW - 60_000 })],
      want: { ready: 0, stale: 1, tableVersions: [], behind: 0, connections: 0, p99: null, health: 'stale', expiresAt: null },
    },
    {
      name: 'draining and starting instances make a degraded region',
      reports: [report('eu', 'a', { draining: true }), report('eu', 'b', { ready: false, table: null, rates: null, p99LoginSeconds: null })],
      want: { ready: 0, stale: 0, tableVersions: [8], behind: 0, connections: 10, p99: 0.1, health: 'degraded' },
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const [row] = aggregateRegions(viewInstances(c.reports, LATEST, NOW));
      const got: Record<string, unknown> = {
        ready: row.ready, stale: row.stale, tableVersions: row.tableVersions, behind: row.behind, connections: row.rates.connections, p99: row.p99LoginSeconds, health: row.health,
      };
      if ('expiresAt' in c.want) got.expiresAt = row.tableExpiresAt;
      assert.deepEqual(got, c.want);
    });
  }

  test('one row per region, sorted', () => {
    assert.deepEqual(aggregateRegions(viewInstances([report('us', 'x'), report('eu', 'y'), report('ap', 'z')], LATEST, NOW)).map((r) => r.region), ['ap', 'eu', 'us']);
  });
});

describe('sparklines', () => {
  const cases: { values: number[]; width: number; want: string }[] = [
    { values: [], width: 5, want: '' },
    { values: [0, 0, 0], width: 5, want: '▁▁▁' },
    { values: [0, 7, 14], width: 5, want: '▁▅█' },
    { values: [1, 2, 3, 4, 5, 6], width: 3, want: '▆▇█' },
  ];
  for (const c of cases) test(`${JSON.stringify(c.values)} in ${c.width}`, () => assert.equal(sparkline(c.values, c.width), c.want));

  test('history keeps the last N values per region and forgets regions that left', () => {
    const snap = (c: number) => aggregateRegions(viewInstances([report('eu', 'a', { rates: { connections: c, logins: 0, transfers: 0, errors: 0, rateLimited: 0 } })], LATEST, NOW));
    let h = pushHistory(new Map([['gone', [1]]]), snap(1), 3);
    for (const c of [2, 3, 4]) h = pushHistory(h, snap(c), 3);
    assert.deepEqual([...h], [['eu', [2, 3, 4]]]);
  });
});

describe('formatting', () => {
  const rates: [number, string][] = [[0, '0'], [0.25, '0.3'], [3, '3'], [9.97, '10'], [42.4, '42'], [999.7, '1k'], [1250, '1.3k'], [12_345, '12k'], [999_600, '1M'], [2_000_000, '2M'], [12_500_000, '13M']];
  test('a rate is at most four characters wide', () => {
    for (const n of [0.01, 9.99, 99.9, 999.9, 9_999, 99_999, 999_999, 9_999_999, 99_999_999]) assert.ok(formatRate(n).length <= 4, `${n} → ${formatRate(n)}`);
  });
  for (const [n, want] of rates) test(`rate ${n} → ${want}`, () => assert.equal(formatRate(n), want));
  const latencies: [number | null, string][] = [[null, '-'], [0.00085, '850µs'], [0.012, '12ms'], [1.44, '1.4s']];
  for (const [n, want] of latencies) test(`latency ${n} → ${want}`, () => assert.equal(formatLatency(n), want));
  const spans: [number | null, string][] = [[null, '-'], [-1, 'expired'], [45_000, '45s'], [12 * 60_000, '12m'], [5 * 3_600_000 + 60_000, '5h1m'], [6 * 86_400_000 + 4 * 3_600_000, '6d4h']];
  for (const [n, want] of spans) test(`span ${n} → ${want}`, () => assert.equal(formatSpan(n), want));

  test('the plain snapshot: header, region rows, instances, problems', () => {
    const text = formatSnapshot(buildSnapshot([report('eu', 'a'), report('us', 'b', { at: NOW - 60_000 })], LATEST, ['http://127.0.0.1:1/status: ECONNREFUSED'], NOW));
    const lines = text.trimEnd().split('\n');
    assert.equal(lines[0], 'passage fleet at 2025-06-01T12:00:00.000Z · table prod: latest published v8 (expires in 7d)');
    // Short headers (rates are per second, docs/STATUS.md) keep every row within 80 columns.
    assert.match(lines[2], /^REGION\s+R\/D\/S\s+TABLE\s+EXPIRES\s+CONN\s+LOGIN\s+XFER\s+ERR\s+RL\s+P99$/);
    assert.match(lines[3], /^eu\s+1\/0\/0\s+v8\s+1d\s+10\s+2\s+2\s+0\.5\s+1\s+100ms$/);
    assert.match(lines[4], /^us\s+0\/0\/1\s+-\s+-\s+0\s/);
    assert.ok(lines.some((l) => /^us\s+b\s+stale\s+v8\s+1m ago/.test(l)), text);
    assert.equal(lines[lines.length - 1], '! http://127.0.0.1:1/status: ECONNREFUSED');
  });

  test('no routers at all says so', () => {
    assert.match(formatSnapshot(buildSnapshot([], null, [], NOW)), /no routers reported/);
  });
});
