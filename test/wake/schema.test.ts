import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRoutingTable } from '../../router/table/schema.ts';

const table = (route: Record<string, unknown>, target: Record<string, unknown>) => ({
  table_id: 't', version: 1, routes: [{ id: 'r', hosts: ['play.test'], ...route, targets: [{ id: 'r-1', address: '10.0.0.1:25565', ...target }] }],
});
const problems = (doc: unknown): string => {
  try {
    parseRoutingTable(doc);
    return '';
  } catch (err) {
    return (err as Error).message;
  }
};

test('a Kubernetes and an ECS wake are read with their defaults, and wake_timeout in milliseconds', () => {
  const k = parseRoutingTable(table({ wake_timeout: '90s' }, { wake: { kind: 'kubernetes', resource: 'statefulsets/survival', namespace: 'minecraft' } }));
  assert.equal(k.routes[0]!.wakeTimeout, 90_000);
  assert.deepEqual(k.routes[0]!.targets[0]!.wake, { kind: 'kubernetes', resource: 'statefulsets', name: 'survival', namespace: 'minecraft', timeout: 5000 });
  const e = parseRoutingTable(table({}, { wake: { kind: 'ecs', cluster: 'passage-games', service: 'survival' } }));
  assert.deepEqual(e.routes[0]!.targets[0]!.wake, { kind: 'ecs', cluster: 'passage-games', service: 'survival', timeout: 5000 });
});

test('wake values out of bounds are refused with their path', () => {
  assert.match(problems(table({ wake_timeout: '11m' }, {})), /routes\[0\]\.wake_timeout: must be a duration from 1s to 10m/);
  assert.match(problems(table({}, { wake: { kind: 'kubernetes', resource: 'pods/x' } })), /routes\[0\]\.targets\[0\]\.wake\.resource/);
  assert.match(problems(table({}, { wake: { kind: 'ecs', cluster: 'a/b', service: 's' } })), /wake\.cluster/);
  assert.match(problems(table({}, { wake: { kind: 'lambda' } })), /wake\.kind: must be "kubernetes" or "ecs"/);
  assert.match(problems(table({}, { wake: { kind: 'ecs', cluster: 'c', service: 's', timeout: '2m' } })), /wake\.timeout/);
});

test('a table cannot name credentials, token files or AWS endpoints for a wake', () => {
  assert.match(problems(table({}, { wake: { kind: 'kubernetes', resource: 'statefulsets/x', token_file: '/etc/passwd' } })), /wake\.token_file: is not allowed in a routing table/);
  assert.match(problems(table({}, { wake: { kind: 'ecs', cluster: 'c', service: 's', endpoint: 'https://evil.example' } })), /wake\.endpoint: is not allowed in a routing table/);
});

test('only targets of transfer routes can be woken', () => {
  assert.match(problems(table({ mode: 'passthrough' }, { wake: { kind: 'ecs', cluster: 'c', service: 's' } })), /routes\[0\]\.targets\[0\]\.wake: only targets of transfer routes/);
});
