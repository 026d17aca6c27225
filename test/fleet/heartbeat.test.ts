// The router's side of the fleet view: sampling arithmetic (pure, table-driven), the heartbeat item
// the CLI reads back, and a reporter whose sink fails: counted, logged once, never thrown.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { RouterMetrics } from '../../router/metrics/registry.ts';
import { bucketDelta, histogramQuantile, ratesBetween, type Buckets, type MetricsSample } from '../../router/fleet/sample.ts';
import { FleetReporter, type FleetReport, type HeartbeatSink, type RouterState } from '../../router/fleet/heartbeat.ts';
import { encodeHeartbeat as heartbeatItem } from '../../router/contracts/heartbeat.ts';
import { reportFromItem } from '../../cli/fleet/sources.ts';
import { fleetPartitionKey, TTL_ATTRIBUTE } from '../../router/contracts/dynamodb-keys.ts';

const buckets = (pairs: [number, number][]): Buckets => new Map(pairs);

describe('histogramQuantile', () => {
  const cases: { name: string; q: number; b: [number, number][]; want: number | undefined }[] = [
    { name: 'nothing observed', q: 0.99, b: [[0.1, 0], [1, 0], [Infinity, 0]], want: undefined },
    { name: 'no buckets', q: 0.99, b: [], want: undefined },
    { name: 'all in the first bucket: interpolated from 0', q: 0.5, b: [[0.1, 10], [1, 10], [Infinity, 10]], want: 0.05 },
    { name: 'p99 of 100 spread over two buckets', q: 0.99, b: [[0.1, 50], [1, 100], [Infinity, 100]], want: 0.1 + 0.9 * (49 / 50) },
    { name: 'rank in +Inf answers the highest finite bound', q: 0.99, b: [[0.1, 1], [1, 1], [Infinity, 100]], want: 1 },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const got = histogramQuantile(c.q, buckets(c.b));
      if (c.want === undefined) assert.equal(got, undefined);
      else assert.ok(Math.abs(got! - c.want) < 1e-9, `${got} != ${c.want}`);
    });
  }
});

describe('ratesBetween and bucketDelta', () => {
  const sample = (at: number, connections: number, logins = 0): MetricsSample => ({
    at, counters: { connections, logins, transfers: 0, errors: 0, rateLimited: 0 }, authBuckets: new Map(),
  });
  const cases: { name: string; prev: MetricsSample; next: MetricsSample; want: number }[] = [
    { name: '50 connections in 5 s', prev: sample(0, 100), next: sample(5000, 150), want: 10 },
    { name: 'no time passed: 0, not Infinity', prev: sample(0, 100), next: sample(0, 150), want: 0 },
    { name: 'a counter reset counts from zero', prev: sample(0, 100), next: sample(2000, 4), want: 2 },
  ];
  for (const c of cases) test(c.name, () => assert.equal(ratesBetween(c.prev, c.next).connections, c.want));

  test('bucketDelta keeps only what was observed in between', () => {
    assert.deepEqual([...bucketDelta(buckets([[1, 5], [Infinity, 6]]), buckets([[1, 8], [Infinity, 10]]))], [[1, 3], [Infinity, 4]]);
  });
});

const state = (over: Partial<RouterState> = {}): RouterState => ({
  ready: true, draining: false, activeConnections: 2, table: { id: 'prod', version: 7, expiresAt: 1_800_000_000_000 },
  lastRejection: { code: 'ERR_TABLE_SIGNATURE', message: 'bad', at: '2025-01-01T00:00:00.000Z' }, ...over,
});

test('router and CLI agree on the heartbeat keys and the TTL attribute', () => {
  // One definition (router/contracts/dynamodb-keys.ts) for all; these are the names the table's TTL and IAM use.
  assert.equal(fleetPartitionKey('prod', 'eu-west-1'), 'FLEET#prod#eu-west-1');
  assert.equal(TTL_ATTRIBUTE, 'expires_at');
});

test('a heartbeat item reads back as the same report in the CLI', () => {
  const report: FleetReport = {
    ...state(), region: 'eu-west-1', instance: 'i-1', routerVersion: '0.1.0', startedAt: 1000, at: 1_700_000_000_000, intervalMs: 5000,
    counters: { connections: 10, logins: 4, transfers: 3, errors: 1, rateLimited: 2 },
    rates: { connections: 2, logins: 0.8, transfers: 0.6, errors: 0.2, rateLimited: 0.4 },
    p99LoginSeconds: 0.25,
  };
  const item = heartbeatItem('prod', report);
  // One partition per region: IAM LeadingKeys can then let a region's tasks write only their own items.
  assert.equal(item.pk.S, 'FLEET#prod#eu-west-1');
  assert.equal(heartbeatItem('prod', { ...report, region: 'us-east-1' }).pk.S, 'FLEET#prod#us-east-1');
  assert.equal(item.sk.S, 'INSTANCE#eu-west-1#i-1');
  // 3 intervals plus a 10-minute margin, in unix seconds.
  assert.equal(item.expires_at.N, String(Math.ceil((report.at + 15_000 + 600_000) / 1000)));
  const back = reportFromItem(item)!;
  assert.deepEqual(
    { region: back.region, instance: back.instance, at: back.at, ready: back.ready, table: back.table, rates: back.rates, p99: back.p99LoginSeconds, rejection: back.lastRejection?.code },
    { region: 'eu-west-1', instance: 'i-1', at: report.at, ready: true, table: { id: 'prod', version: 7, expiresAt: 1_800_000_000_000 }, rates: report.rates, p99: 0.25, rejection: 'ERR_TABLE_SIGNATURE' },
  );
  const bare = heartbeatItem('prod', { ...report, table: null, lastRejection: null, p99LoginSeconds: null });
  assert.equal(bare.table_version, undefined);
  assert.equal(reportFromItem(bare)!.table, null);
});

describe('FleetReporter', () => {
  const logLines = (): { log: pino.Logger; lines: string[] } => {
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (s: string) => lines.push(s) });
    return { log, lines };
  };

  test('a failing sink is counted per beat, logged once per distinct error, and never throws', async () => {
    const metrics = new RouterMetrics({ defaultMetrics: false });
    const { log, lines } = logLines();
    let calls = 0;
    const sink: HeartbeatSink = {
      description: 'fake',
      put: async () => {
        calls++;
        throw Object.assign(new Error(calls <= 3 ? 'connect ECONNREFUSED' : 'throttled'), { name: calls <= 3 ? 'Error' : 'ThrottlingException' });
      },
    };
    const reporter = new FleetReporter({ metrics, state: () => state(), region: 'r', instance: 'i', intervalMs: 1000, routerVersion: 't', sink, log });
    for (let i = 0; i < 5; i++) assert.ok((await reporter.beat()) !== undefined);
    assert.equal(reporter.status().heartbeat.failures, 5);
    assert.equal(reporter.status().heartbeat.lastError, 'ThrottlingException: throttled');
    assert.equal(lines.filter((l) => l.includes('fleet heartbeat failed')).length, 2);
    const failures = (await metrics.registry.getSingleMetric('passage_fleet_heartbeat_failures_total')!.get()).values;
    assert.deepEqual(failures.map((v) => [v.labels.kind, v.value]).sort(), [['Error', 3], ['ThrottlingException', 2]]);
  });

  test('rates come from the metrics between beats; stop sends a last beat that says draining', async () => {
    const metrics = new RouterMetrics({ defaultMetrics: false });
    let now = 10_000;
    const puts: FleetReport[] = [];
    const sink: HeartbeatSink = { description: 'fake', put: async (r) => void puts.push(r) };
    const reporter = new FleetReporter({ metrics, state: () => state(), region: 'r', instance: 'i', intervalMs: 1000, routerVersion: 't', sink, log: pino({ level: 'silent' }), now: () => now });
    await reporter.beat();
    metrics.connectionsTotal.inc({ intent: 'login' }, 20);
    for (const s of [0.01, 0.02, 0.03]) metrics.authDuration.observe({ result: 'ok' }, s);
    metrics.rateLimitExceeded.inc({ budget: 'login' }, 4);
    now += 2000;
    const r = (await reporter.beat())!;
    assert.deepEqual(r.rates, { connections: 10, logins: 1.5, transfers: 0, errors: 0, rateLimited: 2 });
    assert.ok(r.p99LoginSeconds !== null && r.p99LoginSeconds > 0.025 && r.p99LoginSeconds <= 0.05, String(r.p99LoginSeconds));
    now += 1000;
    assert.equal((await reporter.beat())!.p99LoginSeconds, null, 'no logins since the last beat');
    await reporter.stop();
    const last = puts[puts.length - 1];
    assert.deepEqual([last.draining, last.ready], [true, false]);
    assert.equal(reporter.status().heartbeat.beats, 4);
  });
});
