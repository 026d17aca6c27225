import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse as parseToml } from 'smol-toml';
import { TableValidationError, type TableProblem } from '../../router/table/errors.ts';
import { DEFAULT_MOTD, parseRoutingTable } from '../../router/table/schema.ts';
import { parseEndpoint, parseRfc3339 } from '../../router/table/syntax.ts';
import type { Target } from '../../router/table/types.ts';
import { EXAMPLE_FAVICON, exampleDocument } from './fixtures.ts';

/** Runs the parser expecting a validation error and returns its problems. */
function problemsOf(doc: unknown, opts?: { requireExpiry?: boolean }): TableProblem[] {
  try {
    parseRoutingTable(doc, opts);
  } catch (error) {
    assert.ok(error instanceof TableValidationError, `expected TableValidationError, got ${String(error)}`);
    assert.equal(error.code, 'ERR_TABLE_INVALID');
    return [...error.problems];
  }
  assert.fail('the document was accepted');
}

function pathsOf(doc: unknown, opts?: { requireExpiry?: boolean }): string[] {
  return problemsOf(doc, opts).map((p) => p.path);
}

/** The example document with one route edited. */
function withRoute(index: number, edit: (route: Record<string, any>) => void): Record<string, unknown> {
  const doc = exampleDocument();
  edit((doc.routes as Record<string, any>[])[index]!);
  return doc;
}

describe('parseRoutingTable', () => {
  it('turns the documented example into the model, splitting addresses and filling defaults', () => {
    const table = parseRoutingTable(exampleDocument());
    assert.equal(table.tableId, 'prod');
    assert.equal(table.version, 7);
    assert.equal(table.issuedAt, undefined);
    const [lobby, fallback] = table.routes;
    assert.deepEqual(lobby!.status, { motd: 'Welcome', maxPlayers: 1000, favicon: EXAMPLE_FAVICON });
    assert.deepEqual(lobby!.targets[0], {
      id: 'lobby-1',
      address: '10.0.0.5:25565',
      host: '10.0.0.5',
      port: 25565,
      priority: 0,
      meta: { players: '12' },
    });
    assert.equal(lobby!.targets[1]!.host, '2001:db8::7');
    assert.equal(lobby!.targets[1]!.port, 25566);
    assert.equal(fallback!.mode, 'transfer');
    assert.equal(fallback!.strategy, 'priority');
    assert.deepEqual(fallback!.status, { motd: DEFAULT_MOTD, maxPlayers: 0 });
    assert.deepEqual(fallback!.targets[0]!.meta, {});
    assert.equal(fallback!.targets[0]!.priority, 0);
  });

  it('accepts the TOML of the configuration contract as smol-toml parses it', () => {
    const toml = `
table_id = "local"
version = 1
[[routes]]
id = "lobby"
hosts = ["play.example.com", "*.example.com"]
mode = "transfer"
strategy = "priority"
[routes.status]
motd = "Welcome"
max_players = 1000
favicon = "favicon.png"
[[routes.targets]]
id = "lobby-1"
address = "10.0.0.5:25565"
priority = 0
meta = { players = "12", max_players = 100 }
`;
    const table = parseRoutingTable(parseToml(toml));
    assert.equal(table.routes[0]!.targets[0]!.meta.max_players, '100');
  });

  it('lower-cases hosts and accepts "*", wildcards, IPv4 and IPv6 literals', () => {
    const doc = withRoute(0, (r) => (r.hosts = ['Play.Example.COM', '*.Example.org', '192.0.2.1', '2001:db8::1']));
    assert.deepEqual(parseRoutingTable(doc).routes[0]!.hosts, ['play.example.com', '*.example.org', '192.0.2.1', '2001:db8::1']);
  });

  it('collects every problem with its path and lists them all in the message', () => {
    const doc = exampleDocument();
    doc.table_id = 'Prod!';
    doc.version = -1;
    const routes = doc.routes as Record<string, any>[];
    routes.push({ id: 'third', hosts: ['third.example.com'], targets: [{ id: 't', address: 'host:70000' }] });
    try {
      parseRoutingTable(doc);
      assert.fail('accepted');
    } catch (error) {
      assert.ok(error instanceof TableValidationError);
      assert.deepEqual(
        error.problems.map((p) => p.path),
        ['table_id', 'version', 'routes[2].targets[0].address'],
      );
      for (const problem of error.problems) assert.ok(error.message.includes(`${problem.path}: ${problem.message}`));
      assert.match(error.message, /3 problems/);
    }
  });

  it('reports unknown keys at every level, naming the known ones', () => {
    const doc = withRoute(0, (r) => {
      r.stauts = {};
      r.status.max_player = 3;
      r.targets[0].adress = 'x';
    });
    doc.extra = true;
    const problems = problemsOf(doc);
    assert.deepEqual(
      problems.map((p) => p.path),
      ['extra', 'routes[0].stauts', 'routes[0].status.max_player', 'routes[0].targets[0].adress'],
    );
    assert.ok(problems.every((p) => p.message.startsWith('unknown key')));
    assert.match(problems[1]!.message, /status/);
  });

  it('treats a "__proto__" key as an unknown key, not as a prototype', () => {
    const doc = JSON.parse('{"table_id":"prod","version":1,"routes":[],"__proto__":{"polluted":true}}');
    assert.deepEqual(pathsOf(doc), ['__proto__']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('reports missing required keys', () => {
    assert.deepEqual(pathsOf({ routes: [{ targets: [{}] }] }), [
      'table_id',
      'version',
      'routes[0].id',
      'routes[0].hosts',
      'routes[0].targets[0].id',
      'routes[0].targets[0].address',
    ]);
  });

  it('rejects a host that appears in two routes, naming the first one', () => {
    const doc = withRoute(1, (r) => (r.hosts = ['*', 'PLAY.example.com']));
    const problems = problemsOf(doc);
    assert.deepEqual(problems.map((p) => p.path), ['routes[1].hosts[1]']);
    assert.match(problems[0]!.message, /duplicate host "play\.example\.com".*routes\[0\]\.hosts\[0\]/);
  });

  it('names where a duplicate host was first listed, however deep in the table', () => {
    const route = (i: number, hosts: string[]): Record<string, unknown> => ({ id: `r${i}`, hosts, targets: [{ id: 'a', address: '10.0.0.1:25565' }] });
    const routes = Array.from({ length: 40 }, (_, i) => route(i, [`a${i}.example.com`, `b${i}.example.com`, `c${i}.example.com`, `d${i}.example.com`]));
    routes[37] = route(37, ['fresh.example.com', 'C23.example.com']);
    const problems = problemsOf({ table_id: 'prod', version: 1, routes });
    assert.deepEqual(problems, [{ path: 'routes[37].hosts[1]', message: 'duplicate host "c23.example.com" (already listed at routes[23].hosts[2])' }]);
  });

  it('rejects a host listed twice in one route', () => {
    assert.deepEqual(pathsOf(withRoute(0, (r) => r.hosts.push('play.example.com'))), ['routes[0].hosts[2]']);
  });

  it('rejects duplicate route ids and duplicate target ids within a route, but not across routes', () => {
    const doc = exampleDocument();
    const routes = doc.routes as Record<string, any>[];
    routes[1]!.targets[0].id = 'lobby-1'; // same id in another route: fine
    routes[0]!.targets[1].id = 'lobby-1';
    routes.push({ id: 'lobby', hosts: ['other.example.net'] });
    assert.deepEqual(pathsOf(doc), ['routes[0].targets[1].id', 'routes[2].id']);
  });

  it('rejects malformed hosts: empty list, bad characters, trailing dot, more than 255 characters', () => {
    const long = `${'a'.repeat(63)}.`.repeat(4) + 'com';
    const doc = exampleDocument();
    const routes = doc.routes as Record<string, any>[];
    routes[0]!.hosts = ['bad host', 'example.com.', long, '*.*.example.com', 42];
    routes[1]!.hosts = [];
    assert.equal(long.length, 259);
    const problems = problemsOf(doc);
    assert.deepEqual(problems.map((p) => p.path), [
      'routes[0].hosts[0]',
      'routes[0].hosts[1]',
      'routes[0].hosts[2]',
      'routes[0].hosts[3]',
      'routes[0].hosts[4]',
      'routes[1].hosts',
    ]);
    assert.match(problems[2]!.message, /259 characters, the limit is 255/);
  });

  it('rejects unknown modes and strategies, listing the allowed values', () => {
    const doc = withRoute(0, (r) => {
      r.mode = 'proxy';
      r.strategy = 'fastest';
    });
    const problems = problemsOf(doc);
    assert.deepEqual(problems.map((p) => p.path), ['routes[0].mode', 'routes[0].strategy']);
    assert.match(problems[1]!.message, /"least_players"/);
  });

  it('checks target addresses: port range, IPv6 brackets, a host before the port', () => {
    for (const bad of ['10.0.0.5', '10.0.0.5:0', '10.0.0.5:65536', '::1:25565', '[::1]25565', '[nope]:1', ':25565', 'a b:1', '10.0.0.5:+80']) {
      assert.equal(typeof parseEndpoint(bad), 'string', bad);
    }
    assert.deepEqual(parseEndpoint('[::1]:25565'), { address: '[::1]:25565', host: '::1', port: 25565 });
    assert.deepEqual(parseEndpoint('Backend.Internal:1'), { address: 'Backend.Internal:1', host: 'Backend.Internal', port: 1 });
  });

  it('reads a motd that parses as a JSON object or array as a text component, anything else as text', () => {
    const motdOf = (motd: unknown) => parseRoutingTable(withRoute(0, (r) => (r.status.motd = motd))).routes[0]!.status.motd;
    assert.deepEqual(motdOf('{"text":"Hi","color":"gold"}'), { text: 'Hi', color: 'gold' });
    assert.deepEqual(motdOf('[{"text":"a"},"b"]'), [{ text: 'a' }, 'b']);
    assert.equal(motdOf('[EU] Survival'), '[EU] Survival');
    assert.equal(motdOf('{broken'), '{broken');
    assert.deepEqual(motdOf({ text: 'object' }), { text: 'object' });
    assert.deepEqual(pathsOf(withRoute(0, (r) => (r.status.motd = 5))), ['routes[0].status.motd']);
  });

  it('keeps a PNG data URI or a relative favicon path, and rejects other data URIs', () => {
    const faviconOf = (favicon: string) => parseRoutingTable(withRoute(0, (r) => (r.status.favicon = favicon))).routes[0]!.status.favicon;
    assert.equal(faviconOf('data:image/png;base64,iVBORw0KGgo='), 'data:image/png;base64,iVBORw0KGgo=');
    assert.equal(faviconOf('icons/lobby.png'), 'icons/lobby.png');
    assert.deepEqual(pathsOf(withRoute(0, (r) => (r.status.favicon = 'data:image/jpeg;base64,AAAA'))), ['routes[0].status.favicon']);
    assert.deepEqual(pathsOf(withRoute(0, (r) => (r.status.favicon = 'data:image/png;base64,@@'))), ['routes[0].status.favicon']);
  });

  it('stringifies numeric meta values and rejects other kinds', () => {
    const doc = withRoute(0, (r) => (r.targets[0].meta = { players: 12, weight: 0.5, on: true }));
    assert.deepEqual(pathsOf(doc), ['routes[0].targets[0].meta.on']);
    delete ((doc.routes as any)[0].targets[0].meta as Record<string, unknown>).on;
    assert.deepEqual(parseRoutingTable(doc).routes[0]!.targets[0]!.meta, { players: '12', weight: '0.5' });
  });

  it('requires non-negative safe integers for version and max_players, and integers for priority', () => {
    for (const version of [-1, 1.5, 2 ** 53, '1']) assert.deepEqual(pathsOf({ ...exampleDocument(), version }), ['version']);
    assert.deepEqual(pathsOf(withRoute(0, (r) => (r.status.max_players = -5))), ['routes[0].status.max_players']);
    assert.deepEqual(pathsOf(withRoute(0, (r) => (r.targets[0].priority = 0.5))), ['routes[0].targets[0].priority']);
  });

  it('requires issued_at and expires_at only when asked to', () => {
    assert.deepEqual(pathsOf(exampleDocument(), { requireExpiry: true }), ['issued_at', 'expires_at']);
    const doc = { ...exampleDocument(), issued_at: '2025-06-01T12:00:00Z', expires_at: '2025-06-01T14:00:00+02:00' };
    assert.deepEqual(pathsOf(doc, { requireExpiry: true }), ['expires_at']); // 14:00+02:00 is 12:00Z
    doc.expires_at = '2025-06-01T13:00:00.5Z';
    const table = parseRoutingTable(doc, { requireExpiry: true });
    assert.equal(table.issuedAt, Date.parse('2025-06-01T12:00:00Z'));
    assert.equal(table.expiresAt, Date.parse('2025-06-01T13:00:00.500Z'));
  });

  it('tells the operator to quote a TOML date', () => {
    const problems = problemsOf(parseToml('table_id = "x"\nversion = 1\nroutes = []\nissued_at = 2025-06-01T12:00:00Z\n'));
    assert.deepEqual(problems.map((p) => p.path), ['issued_at']);
    assert.match(problems[0]!.message, /quote/);
  });

  it('rejects a document that is not a table', () => {
    for (const doc of [null, [], 'x', 3]) assert.deepEqual(pathsOf(doc), ['']);
  });

  it('gives targets with equal meta one shared meta object, and targets with other meta their own', () => {
    const target = (id: string, meta: Record<string, string>) => ({ id, address: `${id}.example.net:25565`, meta });
    const table = parseRoutingTable({
      table_id: 'big',
      version: 1,
      routes: [
        { id: 'r1', hosts: ['one.example.com'], targets: [target('a', { tier: 'gold', region: 'eu' }), target('b', { tier: 'gold' })] },
        { id: 'r2', hosts: ['two.example.com'], targets: [target('c', { tier: 'gold', region: 'eu' }), target('d', { region: 'eu', tier: 'gold' })] },
      ],
    });
    const [[a, b], [c, d]] = table.routes.map((r) => r.targets) as [[Target, Target], [Target, Target]];
    assert.equal(a.meta, c.meta);
    assert.notEqual(a.meta, b.meta);
    // Same entries in another order: another object (its keys enumerate in another order).
    assert.notEqual(a.meta, d.meta);
    assert.deepEqual(Object.keys(d.meta), ['region', 'tier']);
    assert.deepEqual({ ...a }, { id: 'a', priority: 0, meta: { tier: 'gold', region: 'eu' }, address: 'a.example.net:25565', host: 'a.example.net', port: 25565 });
  });
});

describe('parseRfc3339', () => {
  it('parses offsets, fractions and a space separator', () => {
    assert.equal(parseRfc3339('2025-01-31T12:00:00Z'), Date.UTC(2025, 0, 31, 12));
    assert.equal(parseRfc3339('2025-01-31t13:30:00+01:30'), Date.UTC(2025, 0, 31, 12));
    assert.equal(parseRfc3339('2025-01-31 12:00:00.123456-00:00'), Date.UTC(2025, 0, 31, 12, 0, 0, 123));
    assert.equal(parseRfc3339('2024-02-29T00:00:00Z'), Date.UTC(2024, 1, 29));
  });

  it('rejects impossible dates and other formats', () => {
    for (const text of ['2025-02-29T00:00:00Z', '2025-13-01T00:00:00Z', '2025-01-01T24:00:00Z', '2025-01-01T00:00:00', '2025-01-01', 'tomorrow', '2025-01-01T00:00:00+2:00']) {
      assert.equal(parseRfc3339(text), undefined, text);
    }
  });
});
