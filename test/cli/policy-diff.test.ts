// `passagectl table diff` shows edge-policy changes as one readable line each.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diffTables, formatDiff } from '../../cli/tables/diff.ts';
import { parseRoutingTable } from '../../router/table/schema.ts';

const table = (version: number, extra: Record<string, unknown>) => parseRoutingTable({ table_id: 't', version, routes: [{ id: 'lobby', hosts: ['*'], ...extra }] });

test('access lists, filters and hooks show as added and removed lines, hook URLs redacted', () => {
  const from = table(1, { access: { deny_players: ['Griefer', 'Old'] }, target_filter: [{ key: 'status', op: 'equals', value: 'online' }] });
  const to = table(2, {
    auth: 'offline',
    maintenance_bypass: ['Notch'],
    access: { deny_players: ['Griefer', 'New'], deny_ips: ['203.0.113.0/24'] },
    target_filter: [{ key: 'region', op: 'in', value: ['eu', 'us'] }],
    login_hook: { url: 'https://bans.internal/login?token=s3cret', timeout: '2s', on_error: 'deny' },
  });
  const text = formatDiff(diffTables(from, to));
  for (const line of [
    '~ route lobby',
    '    auth: (passage.toml) → offline',
    '    maintenance_bypass + Notch',
    '    access.deny_players + New',
    '    access.deny_players - Old',
    '    access.deny_ips + 203.0.113.0/24',
    '    target_filter + region in ["eu", "us"]',
    '    target_filter - status equals "online"',
    '    login_hook: (none) → POST https://bans.internal/login, timeout 2000ms, on_error deny',
  ]) assert.ok(text.split('\n').includes(line), `missing ${JSON.stringify(line)} in\n${text}`);
  assert.ok(!text.includes('s3cret'));
});

test('a table whose policy is unchanged has no policy lines', () => {
  const doc = { access: { deny_players: ['Griefer'] } };
  assert.equal(diffTables(table(1, doc), table(2, doc)).identical, true);
});
