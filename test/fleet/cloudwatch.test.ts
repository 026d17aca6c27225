// The router's CloudWatch metrics for the shipped alarms: one embedded-metric-format line a minute,
// shaped as the EMF specification requires (every metric and dimension a root member), carrying the
// table's time left, its version and the heartbeats that failed since the last line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { buildConfig } from '../../router/config/load.ts';
import { CLOUDWATCH_DIMENSIONS, CLOUDWATCH_NAMESPACE, CloudWatchEmitter, emfLine } from '../../router/fleet/cloudwatch.ts';
import { FleetReporter, type FleetReport, type HeartbeatSink } from '../../router/fleet/heartbeat.ts';
import { RouterMetrics } from '../../router/metrics/registry.ts';

const AT = 1_700_000_000_000;
const report = (over: Partial<FleetReport> = {}): FleetReport => ({
  ready: true, draining: false, activeConnections: 0, table: { id: 'prod', version: 9, expiresAt: AT + 7200_000 }, lastRejection: null,
  region: 'eu-west-1', instance: 'task-1', routerVersion: 't', startedAt: AT - 1000, at: AT, intervalMs: 5000,
  counters: { connections: 0, logins: 0, transfers: 0, errors: 0, rateLimited: 0 }, rates: { connections: 0, logins: 0, transfers: 0, errors: 0, rateLimited: 0 },
  p99LoginSeconds: null, ...over,
});

/** The EMF rules CloudWatch applies: a directive under _aws, and every name it lists present at the root. */
function metricsOf(line: string): Record<string, number> {
  const doc = JSON.parse(line) as Record<string, any>;
  assert.equal(typeof doc._aws.Timestamp, 'number');
  const [directive] = doc._aws.CloudWatchMetrics;
  assert.equal(directive.Namespace, CLOUDWATCH_NAMESPACE);
  assert.deepEqual(directive.Dimensions, [[...CLOUDWATCH_DIMENSIONS]]);
  for (const d of directive.Dimensions[0]) assert.equal(typeof doc[d], 'string', `dimension ${d}`);
  const out: Record<string, number> = {};
  for (const m of directive.Metrics) {
    assert.equal(typeof doc[m.Name], 'number', `metric ${m.Name}`);
    out[m.Name] = doc[m.Name];
  }
  return out;
}

test('an EMF line carries the time left on the table, whether it expired, its version and failed heartbeats', () => {
  assert.deepEqual(metricsOf(emfLine('prod', report(), 2)), { HeartbeatFailures: 2, TableVersion: 9, TableExpirySeconds: 7200, TableExpired: 0 });
  assert.deepEqual(metricsOf(emfLine('prod', report({ table: { id: 'prod', version: 9, expiresAt: AT - 5000 } }), 0)), { HeartbeatFailures: 0, TableVersion: 9, TableExpirySeconds: -5, TableExpired: 1 });
  // No table yet: no table metrics at all (an alarm must not read a missing table as version 0).
  assert.deepEqual(metricsOf(emfLine('prod', report({ table: null }), 0)), { HeartbeatFailures: 0 });
  const doc = JSON.parse(emfLine('prod', report(), 0));
  assert.deepEqual([doc.TableId, doc.Region], ['prod', 'eu-west-1']);
});

test('the emitter writes one line per minute, with the failures since the previous line', () => {
  const lines: string[] = [];
  const emitter = new CloudWatchEmitter('prod', (l) => lines.push(l));
  emitter.report(report({ at: AT }), 1);
  emitter.report(report({ at: AT + 30_000 }), 3);
  emitter.report(report({ at: AT + 60_000 }), 4);
  assert.equal(lines.length, 2);
  assert.ok(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n')), 'one line each');
  assert.deepEqual(lines.map((l) => metricsOf(l).HeartbeatFailures), [1, 3]);
  // A broken stdout does not reach the router.
  assert.doesNotThrow(() => new CloudWatchEmitter('prod', () => { throw new Error('EPIPE'); }).report(report(), 0));
});

test('a reporter whose heartbeats fail tells CloudWatch how many failed', async () => {
  const lines: string[] = [];
  const emitter = new CloudWatchEmitter('prod', (l) => lines.push(l), 0);
  const sink: HeartbeatSink = { description: 'fake', put: async () => { throw new Error('AccessDeniedException'); } };
  let now = AT;
  const reporter = new FleetReporter({
    metrics: new RouterMetrics({ defaultMetrics: false }), state: () => ({ ready: true, draining: false, activeConnections: 0, table: null, lastRejection: null }),
    region: 'eu-west-1', instance: 'i', intervalMs: 1000, routerVersion: 't', sink, log: pino({ level: 'silent' }), now: () => (now += 1000),
    onReport: (r, failures) => emitter.report(r, failures),
  });
  await reporter.beat();
  await reporter.beat();
  assert.deepEqual(lines.map((l) => metricsOf(l).HeartbeatFailures), [1, 1]);
});

test('[fleet] cloudwatch_metrics is off unless the config turns it on', () => {
  assert.equal(buildConfig({}, '/x/passage.toml', {}).fleet.cloudwatchMetrics, false);
  assert.equal(buildConfig({ fleet: { cloudwatch_metrics: true } }, '/x/passage.toml', {}).fleet.cloudwatchMetrics, true);
});
