// The edge-policy keys of a route: what the schema accepts, and every bound it holds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRoutingTable } from '../../router/table/schema.ts';
import { TableValidationError } from '../../router/table/errors.ts';
import { MAX_DENY_IPS, MAX_PLAYER_LIST_ENTRIES, MAX_TARGET_FILTERS } from '../../router/table/schema-policy.ts';

function problems(route: Record<string, unknown>): string[] {
  try {
    parseRoutingTable({ table_id: 't', version: 1, routes: [{ id: 'r', hosts: ['*'], ...route }] });
    return [];
  } catch (err) {
    if (!(err instanceof TableValidationError)) throw err;
    return err.problems.map((p) => `${p.path}: ${p.message}`);
  }
}

test('the contract example parses into the route model', () => {
  const table = parseRoutingTable({ table_id: 't', version: 1, routes: [{
    id: 'lobby', hosts: ['play.example.com'], auth: 'online',
    maintenance_bypass: ['Notch', '069a79f4-44e9-4726-a5be-fca90e38aaf5'],
    target_filter: [{ key: 'status', op: 'equals', value: 'online' }],
    access: { allow_players: [], deny_players: ['Griefer'], deny_ips: ['203.0.113.0/24'], message: 'You are not allowed on this server.' },
    login_hook: { url: 'https://bans.internal/passage/login', timeout: '1s', on_error: 'allow' },
  }] });
  const r = table.routes[0];
  assert.equal(r.auth, 'online');
  assert.deepEqual(r.access?.denyIps, ['203.0.113.0/24']);
  assert.deepEqual(r.loginHook, { url: 'https://bans.internal/passage/login', timeout: 1000, onError: 'allow' });
});

test('bad policy values are refused with the path of the key', () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ auth: 'cracked' }, /^routes\[0\]\.auth: must be one of/],
    [{ maintenance_bypass: ['has space'] }, /maintenance_bypass\[0\]: must be a player name/],
    [{ maintenance_bypass: ['a'.repeat(17)] }, /maintenance_bypass\[0\]/],
    [{ maintenance_bypass: Array(MAX_PLAYER_LIST_ENTRIES + 1).fill('x') }, /the limit is 10000/],
    [{ access: { deny_ips: ['203.0.113.0/33'] } }, /deny_ips\[0\]: must be a CIDR/],
    [{ access: { deny_ips: Array(MAX_DENY_IPS + 1).fill('10.0.0.1') } }, /the limit is 1000/],
    [{ access: { allow_players: ['.*'] } }, /allow_players\[0\]/],
    [{ access: { message: 'x'.repeat(1025) } }, /message: is 1025 characters/],
    [{ access: { deny: [] } }, /access\.deny: unknown key/],
    [{ target_filter: [{ key: 'status', op: 'matches', value: '.*' }] }, /op: must be one of/],
    [{ target_filter: [{ key: 'status', op: 'exists', value: 'x' }] }, /value: does not apply to op "exists"/],
    [{ target_filter: [{ key: 'status', op: 'equals' }] }, /value: is required for op "equals"/],
    [{ target_filter: [{ key: 'status', op: 'equals', value: ['a'] }] }, /must be one string/],
    [{ target_filter: [{ key: 'k', op: 'in', value: Array(65).fill('v') }] }, /the limit is 64/],
    [{ target_filter: Array(MAX_TARGET_FILTERS + 1).fill({ key: 'k', op: 'exists' }) }, /the limit is 32/],
    [{ login_hook: { timeout: '1s' } }, /login_hook: needs exactly one of url/],
    [{ login_hook: { url: 'https://a.example/x', address: '10.0.0.1:1' } }, /needs exactly one/],
    [{ login_hook: { url: 'file:///etc/passwd' } }, /url: must be an http or https URL/],
    [{ login_hook: { url: 'https://a.example/', timeout: '1m' } }, /timeout: must be a duration from 100ms to 30s/],
    [{ login_hook: { url: 'https://a.example/', on_error: 'maybe' } }, /on_error: must be one of/],
    [{ mode: 'passthrough', access: { deny_players: ['x'] }, targets: [{ id: 'a', address: '10.0.0.1:25565' }] }, /access\.deny_players: does not apply to passthrough routes/],
    [{ fallback: 'passthrough', login_hook: { url: 'https://a.example/' } }, /login_hook: cannot be combined with fallback/],
  ];
  for (const [route, want] of cases) {
    const found = problems(route);
    assert.ok(found.some((p) => want.test(p)), `${JSON.stringify(route).slice(0, 80)} → ${found.join(' | ') || 'accepted'}`);
  }
});

test('a passthrough route may deny IPs', () => {
  assert.deepEqual(problems({ mode: 'passthrough', access: { deny_ips: ['10.0.0.0/8'] }, targets: [{ id: 'a', address: '10.0.0.1:25565' }] }), []);
});
