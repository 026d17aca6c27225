// The Ink fleet view: frames and keys through ink-testing-library, with a fake loader.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import React from 'react';
import { cleanup, render } from 'ink-testing-library';
import { instanceColor, StatusView } from '../../../cli/ui/status-view.ts';
import { buildSnapshot, type FleetSnapshot, type InstanceReport } from '../../../cli/fleet/aggregate.ts';
import { eventually } from '../../helpers/tables.ts';

const NOW = Date.parse('2025-06-01T12:00:00Z');
const DOWN = '\u001B[B';
const UP = '\u001B[A';
const ENTER = '\r';

function report(region: string, instance: string, connections: number, over: Partial<InstanceReport> = {}): InstanceReport {
  return {
    source: 'dynamodb', region, instance, routerVersion: '0.1.0', startedAt: NOW - 3_600_000, at: NOW - 1000, intervalMs: 5000,
    ready: true, draining: false, activeConnections: 0, table: { id: 'prod', version: 8, expiresAt: NOW + 86_400_000 }, lastRejection: null,
    rates: { connections, logins: 1, transfers: 1, errors: 0, rateLimited: 0 }, p99LoginSeconds: 0.05, expiresAtSeconds: null, error: null, ...over,
  };
}

/** A loader whose every call returns the next connections/s for eu (the sparkline's input). */
function fakeFleet(): { load: () => Promise<FleetSnapshot>; calls: () => number } {
  let calls = 0;
  return {
    calls: () => calls,
    load: async () => {
      calls++;
      return buildSnapshot(
        [report('eu-west-1', 'eu-a', calls * 10), report('eu-west-1', 'eu-b', 0, { table: { id: 'prod', version: 7, expiresAt: null } }), report('us-east-1', 'us-a', 5, { at: NOW - 60_000 })],
        { id: 'prod', version: 8, expiresAt: NOW + 7 * 86_400_000 },
        [],
        NOW,
      );
    },
  };
}

const frame = (app: ReturnType<typeof render>): string => app.lastFrame() ?? '';
const mount = (load: () => Promise<FleetSnapshot>, refreshMs = 60_000) => render(React.createElement(StatusView, { load, refreshMs }));

afterEach(() => cleanup());

test('first frame says it is loading, then one row per region with the latest table', async () => {
  const fleet = fakeFleet();
  const app = mount(fleet.load);
  assert.match(frame(app), /Loading fleet status/);
  await eventually(() => /eu-west-1/.test(frame(app)), 2_000, 'region rows');
  const text = frame(app);
  assert.match(text, /latest published v8 \(expires in 7d\)/);
  assert.match(text, /› eu-west-1\s+2\/0\/0\s+v7,v8!\s+1d\s+10\s/);
  assert.match(text, /^\s+us-east-1\s+0\/0\/1\s+-\s+-\s+0\s/m);
  assert.match(text, /q quit/);
});

test('r refreshes at once, and the sparkline grows with each refresh', async () => {
  const fleet = fakeFleet();
  const app = mount(fleet.load);
  await eventually(() => /eu-west-1/.test(frame(app)), 2_000, 'first load');
  assert.equal(fleet.calls(), 1);
  for (let i = 2; i <= 3; i++) {
    app.stdin.write('r');
    await eventually(() => fleet.calls() === i && new RegExp(`eu-west-1\\s+2/0/0\\s+v7,v8!\\s+1d\\s+${i * 10}\\s`).test(frame(app)), 2_000, `refresh ${i}`);
  }
  // 10, 20, 30 connections/s scaled to the max: the last bar is full.
  assert.match(frame(app), /eu-west-1.*[▁▂▃▄]{1}[▄▅▆]█/);
});

test('the view refreshes on its own every refreshMs', async () => {
  const fleet = fakeFleet();
  mount(fleet.load, 30);
  await eventually(() => fleet.calls() >= 3, 2_000, 'three timed refreshes');
});

test('arrows move the selection, Enter shows the instances of the selected region, Esc hides them', async () => {
  const fleet = fakeFleet();
  const app = mount(fleet.load);
  await eventually(() => /eu-west-1/.test(frame(app)), 2_000, 'first load');
  app.stdin.write(ENTER);
  await eventually(() => /Instances in eu-west-1/.test(frame(app)), 2_000, 'eu instances');
  assert.match(frame(app), /eu-a\s+ready\s+v8\s/);
  assert.match(frame(app), /eu-b\s+ready\s+v7!\s/);
  app.stdin.write(DOWN);
  await eventually(() => /› us-east-1/.test(frame(app)) && /Instances in us-east-1/.test(frame(app)), 2_000, 'us selected');
  assert.match(frame(app), /us-a\s+stale\s+v8\s+1m ago/);
  app.stdin.write(DOWN); // already the last row: stays
  app.stdin.write(UP);
  await eventually(() => /› eu-west-1/.test(frame(app)), 2_000, 'back to eu');
  app.stdin.write('\u001B');
  await eventually(() => !/Instances in/.test(frame(app)), 2_000, 'instances hidden');
});

test('q quits: the app unmounts and stops refreshing', async () => {
  const fleet = fakeFleet();
  const app = mount(fleet.load, 20);
  await eventually(() => /eu-west-1/.test(frame(app)), 2_000, 'first load');
  app.stdin.write('q');
  await new Promise((r) => setTimeout(r, 100));
  const calls = fleet.calls();
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(fleet.calls(), calls, 'no refresh after q');
});

test('a failing load is shown, not thrown', async () => {
  const app = mount(async () => {
    throw new Error('dynamodb://passage/prod: UnrecognizedClientException');
  });
  await eventually(() => /Cannot read the fleet: dynamodb:\/\/passage\/prod: UnrecognizedClientException/.test(frame(app)), 2_000, 'failure shown');
});

test('every row fits 80 columns, even with long region and task names, big rates and a long rejection', async () => {
  const task = '3f2b9c0d4e5f60718293a4b5c6d7e8f9';
  const busy = { connections: 98_765, logins: 12_345, transfers: 12_001, errors: 1_234, rateLimited: 56_789 };
  const load = async () =>
    buildSnapshot(
      [
        report('ap-southeast-1', task, 0, { rates: busy, p99LoginSeconds: 0.000_85, lastRejection: { code: 'ERR_TABLE_UNTRUSTED_KEY', message: 'x', at: new Date(NOW).toISOString() } }),
        report('ap-southeast-1', `${task}x`, 0, { rates: busy, table: { id: 'prod', version: 117, expiresAt: NOW + 6 * 86_400_000 + 23 * 3_600_000 } }),
      ],
      { id: 'prod', version: 118, expiresAt: NOW + 7 * 86_400_000 },
      [],
      NOW,
    );
  const app = mount(load);
  await eventually(() => /ap-southeast-1/.test(frame(app)), 2_000, 'region row');
  app.stdin.write(ENTER);
  await eventually(() => /Instances in ap-southeast-1/.test(frame(app)), 2_000, 'instances');
  const text = frame(app);
  assert.match(text, /› ap-southeast-1 +2\/0\/0 +v8,v117! +1d +198k +25k +24k +2\.5k +114k +50ms /, 'every column of the region row is there');
  assert.match(text, /3f2b9c0d4e5f… +ready +v8! +1s ago +99k +12k +12k +1\.2k +850µs +ERR_TABLE_/);
  for (const line of text.split('\n')) assert.ok([...line].length <= 80, `${[...line].length} columns: ${line}`);
});

test('a ready instance whose table lags is yellow, not green; ready and current is green', () => {
  assert.equal(instanceColor({ state: 'ready', behind: true }), 'yellow');
  assert.equal(instanceColor({ state: 'ready', behind: false }), 'green');
  assert.equal(instanceColor({ state: 'stale', behind: true }), 'red');
});
