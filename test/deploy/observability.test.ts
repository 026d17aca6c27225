// The Grafana dashboard and the Prometheus alert rules parse, have the expected shape, and name only
// metrics a router really exports (read from a live registry, so a renamed metric fails here).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { parse as parseYaml } from 'yaml';
import { supervisorMetrics } from '../../router/workers/supervisor-metrics.ts';
import { RouterMetrics } from '../../router/metrics/registry.ts';
import { FleetReporter } from '../../router/fleet/heartbeat.ts';

const DASHBOARD = new URL('../../deploy/grafana/passage-dashboard.json', import.meta.url);
const ALERTS = new URL('../../deploy/prometheus/passage-alerts.yml', import.meta.url);

async function exportedNames(): Promise<Set<string>> {
  const metrics = new RouterMetrics();
  // With workers > 1 the supervisor adds its own to the same registry.
  supervisorMetrics(metrics.registry, 2);
  new FleetReporter({ metrics, state: () => ({ ready: false, draining: false, activeConnections: 0, table: null, lastRejection: null }), region: 'r', instance: 'i', intervalMs: 1000, routerVersion: 't', log: pino({ level: 'silent' }) });
  const names = new Set<string>();
  for (const m of await metrics.registry.getMetricsAsJSON()) {
    names.add(m.name);
    if (String(m.type) === 'histogram') for (const suffix of ['_bucket', '_count', '_sum']) names.add(m.name + suffix);
  }
  return names;
}

function metricNames(expr: string): string[] {
  return [...new Set(expr.match(/\bpassage_[a-z0-9_]+/g) ?? [])];
}

test('every dashboard panel queries only exported metrics', async () => {
  const names = await exportedNames();
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { uid: string; panels: { title: string; targets: { expr: string }[] }[] };
  assert.equal(dashboard.uid, 'passage-routers');
  const titles = dashboard.panels.map((p) => p.title);
  for (const want of ['Connection rate', 'Logins', 'Transfers', 'Errors', 'p99 login latency', 'Table version per instance']) assert.ok(titles.includes(want), want);
  for (const panel of dashboard.panels) {
    assert.ok(panel.targets.length > 0, `${panel.title} has no query`);
    for (const { expr } of panel.targets) {
      const used = metricNames(expr);
      assert.ok(used.length > 0, `${panel.title}: ${expr}`);
      for (const name of used) assert.ok(names.has(name), `${panel.title}: ${name} is not exported by the router`);
    }
  }
});

test('every alert rule is complete and uses only exported metrics', async () => {
  const names = await exportedNames();
  const doc = parseYaml(readFileSync(ALERTS, 'utf8')) as { groups: { name: string; rules: Record<string, any>[] }[] };
  const rules = doc.groups.flatMap((g) => g.rules);
  const alerts = rules.map((r) => r.alert);
  for (const want of ['PassageHighErrorRate', 'PassageHighLoginLatency', 'PassageTableExpiresSoon', 'PassageInstanceOnOldTable']) assert.ok(alerts.includes(want), want);
  for (const rule of rules) {
    assert.match(rule.alert, /^Passage[A-Za-z]+$/);
    assert.equal(typeof rule.expr, 'string');
    assert.match(rule.for, /^\d+[smh]$/, `${rule.alert}: for`);
    assert.ok(['info', 'warning', 'critical'].includes(rule.labels?.severity), `${rule.alert}: severity`);
    assert.ok(typeof rule.annotations?.summary === 'string' && rule.annotations.summary.length > 0, `${rule.alert}: summary`);
    for (const name of metricNames(rule.expr)) assert.ok(names.has(name), `${rule.alert}: ${name} is not exported by the router`);
  }
  assert.equal(new Set(alerts).size, alerts.length, 'alert names are unique');
});

test('the table-expiry alert uses the expiry gauge the router exports', async () => {
  const names = await exportedNames();
  assert.ok(names.has('passage_table_expiry_seconds'));
  assert.ok(names.has('passage_table_version'));
});

test('an expired table in use (a frozen source) has a critical alert on the passage_table_expired gauge', async () => {
  const names = await exportedNames();
  assert.ok(names.has('passage_table_expired'));
  const doc = parseYaml(readFileSync(ALERTS, 'utf8')) as { groups: { rules: Record<string, any>[] }[] };
  const rule = doc.groups.flatMap((g) => g.rules).find((r) => r.alert === 'PassageTableExpiredInUse');
  assert.ok(rule, 'PassageTableExpiredInUse exists');
  assert.deepEqual(metricNames(rule.expr), ['passage_table_expired']);
  assert.equal(rule.labels.severity, 'critical');
});
