// Access decisions and target filters are pure: one table of cases each.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ipAccess, normalizeUuid, playerAccess } from '../../router/routing/access.ts';
import { filterTargets } from '../../router/routing/target-filter.ts';
import { parseRoutingTable } from '../../router/table/schema.ts';
import type { Route } from '../../router/table/types.ts';

function routeOf(extra: Record<string, unknown>): Route {
  return parseRoutingTable({ table_id: 't', version: 1, routes: [{ id: 'r', hosts: ['*'], ...extra }] }).routes[0];
}

const UUID = '069a79f4-44e9-4726-a5be-fca90e38aaf5';

test('player access: deny beats allow, the whitelist refuses strangers, maintenance lets only bypass entries in', () => {
  const cases: [Record<string, unknown>, { name: string; id: string }, string | undefined][] = [
    [{ access: { deny_players: ['Griefer'] } }, { name: 'GRIEFER', id: '00000000000000000000000000000001' }, 'deny_player'],
    [{ access: { deny_players: [UUID] } }, { name: 'x', id: UUID.replaceAll('-', '') }, 'deny_player'],
    [{ access: { deny_players: [UUID.replaceAll('-', '').toUpperCase()] } }, { name: 'x', id: UUID }, 'deny_player'],
    [{ access: { allow_players: ['Notch'], deny_players: ['Notch'] } }, { name: 'notch', id: UUID }, 'deny_player'],
    [{ access: { allow_players: ['Notch'] } }, { name: 'Jeb', id: UUID }, 'not_allowed'],
    [{ access: { allow_players: [UUID] } }, { name: 'Renamed', id: UUID }, undefined],
    [{ access: { allow_players: [] } }, { name: 'Anyone', id: UUID }, undefined],
    [{ maintenance: true, maintenance_bypass: ['Staff'] }, { name: 'staff', id: UUID }, undefined],
    [{ maintenance: true, maintenance_bypass: ['Staff'] }, { name: 'Guest', id: UUID }, 'maintenance'],
    [{ maintenance: false, maintenance_bypass: ['Staff'] }, { name: 'Guest', id: UUID }, undefined],
  ];
  for (const [extra, player, want] of cases) assert.equal(playerAccess(routeOf(extra), player), want, JSON.stringify([extra, player]));
});

test('ip access: CIDRs and bare addresses of both families match, IPv4-mapped addresses included', () => {
  const route = routeOf({ access: { deny_ips: ['203.0.113.0/24', '198.51.100.9', '2001:db8::/32'] } });
  const cases: [string, string | undefined][] = [
    ['203.0.113.200', 'deny_ip'], ['203.0.114.1', undefined], ['198.51.100.9', 'deny_ip'], ['198.51.100.10', undefined],
    ['::ffff:203.0.113.5', 'deny_ip'], ['2001:db8:1::1', 'deny_ip'], ['2001:db9::1', undefined],
  ];
  for (const [ip, want] of cases) assert.equal(ipAccess(route, ip), want, ip);
});

test('UUIDs normalize with or without dashes, and nothing else is a UUID', () => {
  assert.equal(normalizeUuid(UUID), '069a79f444e94726a5befca90e38aaf5');
  assert.equal(normalizeUuid('069A79F444E94726A5BEFCA90E38AAF5'), '069a79f444e94726a5befca90e38aaf5');
  assert.equal(normalizeUuid('069a79f4-44e9'), undefined);
  assert.equal(normalizeUuid('-'.repeat(4) + '069a79f444e94726a5befca90e38aaf5'), undefined);
});

test('each target_filter op keeps the targets whose meta meets it', () => {
  const route = routeOf({ targets: [
    { id: 'a', address: '10.0.0.1:25565', meta: { status: 'online', region: 'eu' } },
    { id: 'b', address: '10.0.0.2:25565', meta: { status: 'draining' } },
    { id: 'c', address: '10.0.0.3:25565' },
  ] });
  const cases: [Record<string, unknown>, string[]][] = [
    [{ key: 'status', op: 'equals', value: 'online' }, ['a']],
    [{ key: 'status', op: 'not_equals', value: 'online' }, ['b', 'c']],
    [{ key: 'region', op: 'exists' }, ['a']],
    [{ key: 'region', op: 'not_exists' }, ['b', 'c']],
    [{ key: 'status', op: 'in', value: ['online', 'draining'] }, ['a', 'b']],
    [{ key: 'status', op: 'in', value: 'draining' }, ['b']],
    [{ key: 'status', op: 'not_in', value: ['online'] }, ['b', 'c']],
    [{ key: 'constructor', op: 'exists' }, []],
  ];
  for (const [filter, want] of cases) {
    const filters = routeOf({ target_filter: [filter] }).targetFilter;
    assert.deepEqual(filterTargets(filters, route.targets).map((t) => t.id), want, JSON.stringify(filter));
  }
  assert.equal(filterTargets(undefined, route.targets), route.targets);
});
