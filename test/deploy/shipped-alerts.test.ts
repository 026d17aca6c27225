// The shipped Prometheus alert rules, evaluated against what routers really export: a fresh router on
// an unsigned local table must not page anyone, and the expiry alerts must fire when a signed table is
// about to expire. Expressions run through test/helpers/promql.ts (no Prometheus server needed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { events, publish } from '../../router/events.ts';
import { Registry } from 'prom-client';
import { RouterMetrics } from '../../router/metrics/registry.ts';
import { supervisorMetrics } from '../../router/workers/supervisor-metrics.ts';
import { evaluate, parseExposition, type Scrapes } from '../helpers/promql.ts';
import { startTestRouter, transferRoutes } from '../helpers/router.ts';

const ALERTS = new URL('../../deploy/prometheus/passage-alerts.yml', import.meta.url);
const TARGET = { job: 'passage', instance: 'router-1:9565' };

interface Rule {
  readonly alert: string;
  readonly expr: string;
  readonly labels: { readonly severity: string };
}

function rules(): Rule[] {
  const doc = parseYaml(readFileSync(ALERTS, 'utf8')) as { groups: { rules: Rule[] }[] };
  return doc.groups.flatMap((g) => g.rules);
}

/** The alerts whose expression yields a series: what Prometheus would hold pending (then firing). */
function firing(data: Scrapes): string[] {
  return rules().filter((r) => evaluate(r.expr, data).length > 0).map((r) => r.alert);
}

test('a fresh router on an unsigned routes file fires none of the shipped alerts', async () => {
  const router = await startTestRouter({ routes: transferRoutes([{ id: 'a', port: 25599 }]) });
  try {
    const scrape = async () => parseExposition(await (await fetch(`${router.adminUrl}/metrics`)).text(), TARGET);
    const before = await scrape();
    const after = await scrape();
    // Nothing expires, so there is no expiry sample at all (a 0 here fired the critical alert).
    assert.equal(after.filter((s) => s.labels.__name__ === 'passage_table_expiry_seconds').length, 0);
    assert.ok(after.some((s) => s.labels.__name__ === 'passage_table_version' && s.value === 1), 'the table is in use');
    assert.deepEqual(firing({ before, after, seconds: 60 }), []);
  } finally {
    await router.stop(0);
  }
});

async function scrapeWithTable(expiresInMs: number | undefined): Promise<Scrapes> {
  const now = 1_750_000_000_000;
  const metrics = new RouterMetrics({ defaultMetrics: false, now: () => now });
  const source = {};
  metrics.attach(source);
  publish(events.tableApplied, source, { tableId: 'prod', version: 7, issuedAt: now - 60_000, ...(expiresInMs === undefined ? {} : { expiresAt: now + expiresInMs }), origin: 'source' });
  const text = await metrics.registry.metrics();
  return { before: parseExposition(text, TARGET), after: parseExposition(text, TARGET), seconds: 60 };
}

test('a signed table 30 minutes from expiry fires the warning and the critical expiry alerts; a week away fires neither', async () => {
  const soon = await scrapeWithTable(30 * 60_000);
  const fired = firing(soon);
  assert.ok(fired.includes('PassageTableExpiresSoon'), fired.join(', '));
  assert.ok(fired.includes('PassageTableExpiryImminent'), fired.join(', '));
  const week = await scrapeWithTable(7 * 86_400_000);
  assert.deepEqual(firing(week).filter((a) => a.startsWith('PassageTableExpir')), []);
});

test('a table that never expires exports no expiry series, also after one that did', async () => {
  const now = 1_750_000_000_000;
  const metrics = new RouterMetrics({ defaultMetrics: false, now: () => now });
  const source = {};
  metrics.attach(source);
  const series = async () => (await metrics.registry.getSingleMetric('passage_table_expiry_seconds')!.get()).values.length;
  assert.equal(await series(), 0, 'no table yet');
  publish(events.tableApplied, source, { tableId: 'prod', version: 1, issuedAt: now, expiresAt: now + 3_600_000, origin: 'source' });
  assert.equal(await series(), 1);
  publish(events.tableApplied, source, { tableId: 'prod', version: 2, origin: 'source' });
  assert.equal(await series(), 0);
});

test('the Node process metrics are passage_process_* and passage_nodejs_*, never passage_process_process_*', async () => {
  const names = (await new RouterMetrics().registry.getMetricsAsJSON()).map((m) => m.name);
  assert.ok(names.includes('passage_process_cpu_seconds_total'), names.join(' '));
  assert.ok(names.includes('passage_process_resident_memory_bytes'));
  assert.ok(names.includes('passage_nodejs_eventloop_lag_seconds'));
  assert.deepEqual(names.filter((n) => n.includes('process_process') || n.includes('process_nodejs')), []);
});

const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;

test('promtool accepts the rules file (where promtool is installed: apt-get install prometheus)', { skip: !promtool && 'promtool not installed' }, () => {
  const r = spawnSync('promtool', ['check', 'rules', fileURLToPath(ALERTS)], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, new RegExp(`SUCCESS: ${rules().length} rules found`));
});

test('workers replaced three times in 15 minutes fire PassageWorkersRestarting, by how they ended; one replacement does not', async () => {
  const exposition = (stalled: number, exits: number): Promise<string> => {
    const registry = new Registry();
    const { restarts } = supervisorMetrics(registry, 2);
    restarts.inc({ how: 'table_stalled' }, stalled);
    restarts.inc({ how: 'exit' }, exits);
    return registry.metrics();
  };
  const scrapes = async (from: [number, number], to: [number, number]): Promise<Scrapes> => ({
    before: parseExposition(await exposition(...from), TARGET),
    after: parseExposition(await exposition(...to), TARGET),
    seconds: 600,
  });
  assert.deepEqual(firing(await scrapes([0, 0], [0, 0])), []);
  assert.deepEqual(firing(await scrapes([0, 0], [1, 0])), [], 'one replacement');
  const crashLoop = await scrapes([0, 1], [0, 4]);
  assert.deepEqual(firing(crashLoop), ['PassageWorkersRestarting']);
  const rule = rules().find((r) => r.alert === 'PassageWorkersRestarting')!;
  assert.deepEqual(evaluate(rule.expr, crashLoop).map((s) => [s.labels.how, s.value]), [['exit', 3]]);
});
