import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConfig, ConfigError, loadConfigFile } from '../../router/config/load.ts';
import { parseDuration } from '../../router/config/duration.ts';

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${err}`);
    return err.problems.map((p) => `${p.key}: ${p.message}`);
  }
  assert.fail('no error');
}

test('durations accept seconds and unit strings', () => {
  const cases: [unknown, number | undefined][] = [
    [120, 120_000], ['5s', 5000], ['2m', 120_000], ['6h', 21_600_000], ['7d', 604_800_000], ['500ms', 500], ['1m30s', 90_000], ['45', 45_000],
    ['5 minutes', undefined], ['-1s', undefined], [-3, undefined], [1.5, undefined], [true, undefined], ['', undefined],
  ];
  for (const [input, want] of cases) assert.equal(parseDuration(input), want, JSON.stringify(input));
});

test('an empty config gets the documented defaults', () => {
  const c = buildConfig({}, '/etc/passage/passage.toml');
  assert.deepEqual(c.address, { host: '0.0.0.0', port: 25565 });
  assert.equal(c.timeoutMs, 120_000);
  assert.equal(c.rateLimiter.size, 60);
  assert.equal(c.auth.mode, 'online');
  assert.equal(c.auth.cookieTtlMs, 6 * 3600_000);
  assert.equal(c.table.path, '/etc/passage/routes.toml');
  assert.equal(c.table.pollIntervalMs, 10_000);
});

test('unknown keys, wrong types and bad values are each reported with their key', () => {
  const problems = problemsOf(() =>
    buildConfig(
      {
        adress: '0.0.0.0:1',
        timeout: 'soon',
        rate_limiter: { size: 'ten' },
        auth: { mode: 'maybe', sesion_server: 'x' },
        proxy_protocol: { trusted_proxies: ['10.0.0.0/33'] },
        admin: { address: 'localhost' },
        table: 'routes.toml',
      },
      'p.toml',
    ),
  );
  const text = problems.join('\n');
  assert.match(text, /^adress: unknown key/m);
  assert.match(text, /^timeout: expected a duration.*got string "soon"/m);
  assert.match(text, /^rate_limiter\.size: expected an integer, got string "ten"/m);
  assert.match(text, /^auth\.mode: expected one of "online", "offline", got "maybe"/m);
  assert.match(text, /^auth\.sesion_server: unknown key/m);
  assert.match(text, /^proxy_protocol\.trusted_proxies: not a CIDR: "10\.0\.0\.0\/33"/m);
  assert.match(text, /^admin\.address: expected "host:port"/m);
  assert.match(text, /^table: expected a table/m);
});

test('[table] max_bytes is bounded both ways (at most 1 GiB)', () => {
  assert.equal(buildConfig({ table: { max_bytes: 1024 ** 3 } }, 'p.toml').table.maxBytes, 1024 ** 3);
  assert.deepEqual(problemsOf(() => buildConfig({ table: { max_bytes: 1024 ** 3 + 1 } }, 'p.toml')), ['table.max_bytes: must be at most 1073741824, got 1073741825']);
  assert.deepEqual(problemsOf(() => buildConfig({ table: { max_bytes: 1023 } }, 'p.toml')), ['table.max_bytes: must be at least 1024, got 1023']);
});

test('file errors name the file: missing, and invalid TOML with its line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'passage-config-'));
  assert.throws(() => loadConfigFile(join(dir, 'nope.toml')), (e: Error) => e instanceof ConfigError && /nope\.toml: file not found/.test(e.message));
  writeFileSync(join(dir, 'bad.toml'), 'address = "0.0.0.0:25565"\ntimeout = = 3\n');
  assert.throws(() => loadConfigFile(join(dir, 'bad.toml')), (e: Error) => e instanceof ConfigError && /bad\.toml: invalid TOML \(line 2/.test(e.message));
});

test('the bundled example config is valid', () => {
  // Validity only: operators edit passage.toml (auth mode, addresses…), and npm test must keep passing.
  const c = loadConfigFile(join(import.meta.dirname, '../../passage.toml'));
  assert.equal(c.file, join(import.meta.dirname, '../../passage.toml'));
});

test('a section\'s check across its keys runs once its keys read cleanly, and names the key it is about', () => {
  // source = "http" needs a url and trusted keys: both reported, under [table].
  const both = problemsOf(() => buildConfig({ table: { source: 'http' } }, 'p.toml'));
  assert.deepEqual(both.map((p) => p.split(':')[0]), ['table.url', 'table.public_keys']);
  // A key of the section that does not read is reported alone: the check would reason about a value that is not there.
  const typeOnly = problemsOf(() => buildConfig({ table: { source: 'http', poll_interval: 'often' } }, 'p.toml'));
  assert.deepEqual(typeOnly.map((p) => p.split(':')[0]), ['table.poll_interval']);
});
