// The relay keys of a route (passthrough routes and the old-client fallback of transfer routes).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse as parseToml } from 'smol-toml';
import { TableValidationError } from '../../router/table/errors.ts';
import { parseRoutingTable } from '../../router/table/schema.ts';

function doc(route: Record<string, unknown>): Record<string, unknown> {
  return { table_id: 't', version: 1, routes: [{ id: 'r', hosts: ['play.test'], targets: [{ id: 'a', address: '10.0.0.1:25565' }], ...route }] };
}

function problems(route: Record<string, unknown>): { path: string; message: string }[] {
  try {
    parseRoutingTable(doc(route));
  } catch (err) {
    assert.ok(err instanceof TableValidationError);
    return [...err.problems];
  }
  assert.fail('accepted');
}

describe('route relay options', () => {
  test('a passthrough route reads every relay key of the issue, durations in seconds or with units', () => {
    const toml = `
table_id = "t"
version = 1
[[routes]]
id = "survival"
hosts = ["survival.example.com"]
mode = "passthrough"
send_proxy_protocol = true
domain_rewrite = { explicit = "survival.internal" }
max_players = 200
disconnect_message = "Survival is restarting"
timeouts = { connect = "2s", read = 45, write = "500ms" }
[[routes.targets]]
id = "s1"
address = "10.0.0.9:25565"
`;
    const [route] = parseRoutingTable(parseToml(toml)).routes;
    assert.equal(route!.mode, 'passthrough');
    assert.equal(route!.sendProxyProtocol, true);
    assert.deepEqual(route!.domainRewrite, { explicit: 'survival.internal' });
    assert.equal(route!.maxPlayers, 200);
    assert.equal(route!.disconnectMessage, 'Survival is restarting');
    assert.deepEqual(route!.timeouts, { connect: 2000, read: 45_000, write: 500 });
  });

  test('domain_rewrite takes "none" and "from_backend"; a JSON disconnect_message is a text component', () => {
    assert.equal(parseRoutingTable(doc({ domain_rewrite: 'none' })).routes[0]!.domainRewrite, 'none');
    assert.equal(parseRoutingTable(doc({ domain_rewrite: 'from_backend' })).routes[0]!.domainRewrite, 'from_backend');
    assert.deepEqual(parseRoutingTable(doc({ disconnect_message: '{"text":"Down","color":"red"}' })).routes[0]!.disconnectMessage, { text: 'Down', color: 'red' });
  });

  test('routes without relay keys carry none of them', () => {
    const route = parseRoutingTable(doc({})).routes[0]!;
    for (const key of ['sendProxyProtocol', 'domainRewrite', 'maxPlayers', 'disconnectMessage', 'timeouts', 'fallback'] as const) {
      assert.equal(route[key], undefined, key);
    }
  });

  test('a transfer route may fall back to passthrough; a passthrough route may not', () => {
    assert.equal(parseRoutingTable(doc({ fallback: 'passthrough' })).routes[0]!.fallback, 'passthrough');
    assert.deepEqual(problems({ mode: 'passthrough', fallback: 'passthrough' }).map((p) => p.path), ['routes[0].fallback']);
    assert.deepEqual(problems({ fallback: 'transfer' }).map((p) => p.path), ['routes[0].fallback']);
  });

  test('wrong values are reported with their path', () => {
    const found = problems({
      send_proxy_protocol: 'yes',
      domain_rewrite: { explicit: '' },
      max_players: -1,
      timeouts: { connect: '5 parsecs', read: '10ms', idle: '1s' },
    });
    assert.deepEqual(found.map((p) => p.path).sort(), [
      'routes[0].domain_rewrite.explicit',
      'routes[0].max_players',
      'routes[0].send_proxy_protocol',
      'routes[0].timeouts.connect',
      'routes[0].timeouts.idle',
      'routes[0].timeouts.read',
    ]);
    assert.match(found.find((p) => p.path === 'routes[0].timeouts.read')!.message, /from 100ms to 24h, got "10ms"/);
    assert.match(problems({ domain_rewrite: 'backend' })[0]!.message, /"none", "from_backend" or \{ explicit = "host" \}/);
  });
});
