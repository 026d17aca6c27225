// The router's config as tools render it: a typed document, TOML from the same library the router
// parses with, and the router's own loader as the judge.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'smol-toml';
import { ConfigError, parseConfigText } from '../../router/config/load.ts';
import { renderCheckedPassageToml, renderPassageToml, type PassageConfigDocument } from '../../router/contracts/router-config.ts';
import { localRouterConfig, writeRouterConfig } from '../../cli/deploy/local-fleet.ts';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';

const DOC: PassageConfigDocument = {
  address: '127.0.0.1:0',
  drain_timeout: '10s',
  proxy_protocol: { enabled: true, trusted_proxies: ['10.80.0.0/24', '10.80.1.0/24'] },
  admin: { address: '127.0.0.1:0' },
  auth: { mode: 'offline' },
  table: {
    source: 'dynamodb',
    dynamodb: { table: 'passage', id: 'prod', region: 'eu-west-1' },
    public_keys: ['/etc/passage/keys/a.pub'],
    poll_interval: '10s',
    min_version: 42,
  },
  log: { level: 'warn' },
};

describe('renderPassageToml', () => {
  test('a document renders to text the router loads with the same values', () => {
    const config = parseConfigText(renderPassageToml(DOC), '/etc/passage/passage.toml', {});
    assert.deepEqual(config.address, { host: '127.0.0.1', port: 0 });
    assert.equal(config.drainTimeoutMs, 10_000);
    assert.deepEqual(config.proxyProtocol.trustedProxies, ['10.80.0.0/24', '10.80.1.0/24']);
    assert.equal(config.auth.mode, 'offline');
    assert.deepEqual(config.table.dynamodb, { table: 'passage', id: 'prod', region: 'eu-west-1', endpoint: '' });
    assert.deepEqual(config.table.publicKeys, ['/etc/passage/keys/a.pub']);
    assert.equal(config.table.minVersion, 42);
    assert.equal(config.log.level, 'warn');
  });

  test('strings with quotes, backslashes and newlines survive as the same strings', () => {
    const path = 'C:\\tables\\"odd" name\nwith a newline,\ta tab, \u0000 a NUL and \u007f a DEL.toml';
    const text = renderPassageToml({ table: { path, cache_file: '#not-a-comment' } });
    const raw = parse(text) as { table: { path: string; cache_file: string } };
    assert.equal(raw.table.path, path);
    assert.equal(raw.table.cache_file, '#not-a-comment');
  });

  test('top-level tables are sections and deeper tables inline, as operators write them', () => {
    const text = renderPassageToml(DOC);
    assert.match(text, /^address = "127\.0\.0\.1:0"\ndrain_timeout = "10s"\n\n\[proxy_protocol\]\n/);
    assert.match(text, /\n\[table\]\nsource = "dynamodb"\ndynamodb = \{ table = "passage", id = "prod", region = "eu-west-1" \}\npublic_keys = \["\/etc\/passage\/keys\/a\.pub"\]\n/);
    assert.doesNotMatch(renderPassageToml({ admin: {}, log: { level: undefined } }), /\[/, 'an empty table is left out');
  });

  test('the comment block is TOML comments and changes no value', () => {
    const text = renderPassageToml(DOC, { comment: ['Rendered by a test.', '', 'address = "0.0.0.0:1"'] });
    assert.match(text, /^# Rendered by a test\.\n#\n# address = "0\.0\.0\.0:1"\n/);
    assert.deepEqual(parse(text), parse(renderPassageToml(DOC)));
  });

  test('renderCheckedPassageToml refuses a document the router would refuse, naming the key', () => {
    assert.throws(
      () => renderCheckedPassageToml({ table: { source: 'dynamodb' } }, 'passage.toml'),
      (err: unknown) => err instanceof ConfigError && err.problems.some((p) => p.key === 'table.public_keys'),
    );
    assert.equal(renderCheckedPassageToml(DOC, 'passage.toml').config.table.minVersion, 42);
  });

  test('a key the schema does not have does not compile', () => {
    // @ts-expect-error: `adress` is not a passage.toml key
    const typo: PassageConfigDocument = { adress: '0.0.0.0:25565' };
    // @ts-expect-error: `auth.mode` is "online" or "offline"
    const wrongChoice: PassageConfigDocument = { auth: { mode: 'maybe' } };
    // At run time the loader refuses both as well.
    assert.throws(() => parseConfigText(renderPassageToml(typo), 'x.toml', {}), /adress: unknown key/);
    assert.throws(() => parseConfigText(renderPassageToml(wrongChoice), 'x.toml', {}), /auth\.mode: expected one of "online", "offline"/);
  });
});

describe('the local fleet config', () => {
  test('deploy --local writes a config the router loads: loopback port 0, offline auth, the unsigned routes file it was given', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'passage-local-config-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const spec = { id: 'r1', dir, routesFile: 'test/fixtures/routes/dev.toml' };
    const file = await writeRouterConfig(spec);
    const text = await readFile(file, 'utf8');
    assert.equal(text, renderCheckedPassageToml(localRouterConfig(spec), file, { comment: ['Written by passagectl deploy --local (cli/deploy/local-fleet.ts).'] }).text);
    const config = parseConfigText(text, file, {});
    assert.deepEqual([config.address, config.admin.address], [{ host: '127.0.0.1', port: 0 }, { host: '127.0.0.1', port: 0 }]);
    assert.equal(config.auth.mode, 'offline');
    assert.equal(config.rateLimiter.enabled, false);
    assert.equal(config.table.allowUnsigned, true);
    assert.equal(config.table.path, join(process.cwd(), 'test/fixtures/routes/dev.toml'));
    assert.equal(config.table.cacheFile, join(dir, 'r1-cache.json'));
  });
});
