// `[fleet]`: who a router is in `passagectl status`, and how often it heartbeats.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { buildConfig, ConfigError } from '../../router/config/load.ts';

test('defaults: 5 s beats, region from AWS_REGION else "local", instance hostname-pid', () => {
  assert.deepEqual(buildConfig({}, 'passage.toml', { AWS_REGION: 'eu-west-1' }).fleet, { heartbeatIntervalMs: 5000, region: 'eu-west-1', instance: `${hostname()}-${process.pid}`, cloudwatchMetrics: false });
  assert.equal(buildConfig({}, 'passage.toml', {}).fleet.region, 'local');
});

test('explicit keys win over the environment', () => {
  const c = buildConfig({ fleet: { heartbeat_interval: '2s', region: 'us-east-1', instance: 'task-1' } }, 'passage.toml', { AWS_REGION: 'eu-west-1' });
  assert.deepEqual(c.fleet, { heartbeatIntervalMs: 2000, region: 'us-east-1', instance: 'task-1', cloudwatchMetrics: false });
});

test('a zero or malformed interval names the key', () => {
  assert.throws(() => buildConfig({ fleet: { heartbeat_interval: 0 } }, 'passage.toml', {}), (e: ConfigError) => /fleet\.heartbeat_interval: must be longer than 0/.test(e.message));
  assert.throws(() => buildConfig({ fleet: { heartbeat_interval: 'often' } }, 'passage.toml', {}), (e: ConfigError) => /fleet\.heartbeat_interval: expected a duration/.test(e.message));
});
