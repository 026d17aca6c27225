import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  addRegion,
  addRegionToFile,
  loadRegionsFile,
  parseRegionsFile,
  RegionsFileError,
  removeRegion,
  removeRegionFromFile,
} from '../../../router/contracts/regions-file.ts';

const BASE = `# operator comment that must survive
home_region = "eu-west-1"
domain = "play.example.com"
hosted_zone = "example.com"
table_id = "prod"

[[waf.rate_rules]]
name = "per-ip"
limit = 600

[regions.eu-west-1]
continents = ["EU"]
desired_count = 2
cpu = 512
memory = 1024

# the Americas
[regions.us-east-1]
continents = ["NA"]
countries = ["BR", "US-CA"]
`;

describe('parseRegionsFile', () => {
  test('reads regions, locations, sizes and defaults', () => {
    const file = parseRegionsFile(BASE);
    assert.equal(file.homeRegion, 'eu-west-1');
    assert.equal(file.defaultRegion, 'eu-west-1');
    assert.equal(file.tableName, 'passage');
    assert.deepEqual(file.publicKeys, []);
    assert.deepEqual(file.rateRules, [{ name: 'per-ip', limit: 600, windowSeconds: 300, aggregation: 'IP' }]);
    assert.deepEqual(
      file.regions.map((r) => r.name),
      ['eu-west-1', 'us-east-1'],
    );
    const us = file.regions[1];
    assert.deepEqual(us.locations, [
      { kind: 'continent', code: 'NA' },
      { kind: 'country', code: 'BR' },
      { kind: 'subdivision', country: 'US', code: 'CA' },
    ]);
    assert.deepEqual([us.desiredCount, us.maxCount, us.cpu, us.memory], [2, 8, 512, 1024]);
  });

  test('parses the repository regions file', async () => {
    const file = await loadRegionsFile(new URL('../../../passage.regions.toml', import.meta.url).pathname);
    assert.ok(file.regions.some((r) => r.name === file.homeRegion));
  });

  const invalid: [string, string, string | RegExp][] = [
    ['missing home region', BASE.replace('home_region = "eu-west-1"\n', ''), 'home_region'],
    ['home region without a table', BASE.replace('home_region = "eu-west-1"', 'home_region = "eu-north-1"'), 'home_region'],
    ['bad region name', BASE.replace('[regions.us-east-1]', '[regions.mars-1]'), 'regions.mars-1'],
    ['unknown continent', BASE.replace('continents = ["EU"]', 'continents = ["XX"]'), 'regions.eu-west-1.continents[0]'],
    ['bad country code', BASE.replace('"BR"', '"Brazil"'), 'regions.us-east-1.countries[0]'],
    ['a location served twice', BASE.replace('continents = ["NA"]', 'continents = ["NA", "EU"]'), 'regions.us-east-1'],
    ['cpu that Fargate lacks', BASE.replace('cpu = 512', 'cpu = 300'), 'regions.eu-west-1.cpu'],
    ['memory that does not fit the cpu', BASE.replace('memory = 1024', 'memory = 512'), 'regions.eu-west-1.memory'],
    ['count as a string', BASE.replace('desired_count = 2', 'desired_count = "2"'), 'regions.eu-west-1.desired_count'],
    ['max below desired', BASE.replace('desired_count = 2', 'desired_count = 2\nmax_count = 1'), 'regions.eu-west-1.max_count'],
    ['unknown key', BASE.replace('cpu = 512', 'cpus = 512'), 'regions.eu-west-1.cpus'],
    ['domain outside the zone', BASE.replace('domain = "play.example.com"', 'domain = "play.example.org"'), 'domain'],
    ['rate window WAF lacks', BASE.replace('limit = 600', 'limit = 600\nwindow = 30'), 'waf.rate_rules[0].window'],
    ['rate limit below WAF minimum', BASE.replace('limit = 600', 'limit = 5'), 'waf.rate_rules[0].limit'],
    ['bad aggregation', BASE.replace('limit = 600', 'limit = 600\naggregation = "COOKIE"'), 'waf.rate_rules[0].aggregation'],
    ['rate keys from X-Forwarded-For', BASE.replace('limit = 600', 'limit = 600\naggregation = "FORWARDED_IP"'), 'waf.rate_rules[0].aggregation'],
    ['a forwarded header', BASE.replace('limit = 600', 'limit = 600\nforwarded_header = "X-Real-IP"'), 'waf.rate_rules[0].forwarded_header'],
    ['a rate limit that would block the routers behind one NAT', BASE.replace('limit = 600', 'limit = 100'), 'waf.rate_rules[0].limit'],
    ['a custom table domain with a certificate outside us-east-1', BASE.replace('[regions.eu-west-1]', '[table_endpoint]\ndomain = "tables.example.com"\ncertificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/abc-123"\n\n[regions.eu-west-1]'), 'table_endpoint.certificate_arn'],
    ['a custom table domain without a certificate', BASE.replace('[regions.eu-west-1]', '[table_endpoint]\ndomain = "tables.example.com"\n\n[regions.eu-west-1]'), 'table_endpoint.certificate_arn'],
    ['default region without a table', BASE.replace('table_id = "prod"', 'table_id = "prod"\ndefault_region = "sa-east-1"'), 'default_region'],
    ['not TOML', 'home_region = ', ''],
  ];
  for (const [name, text, key] of invalid) {
    test(`rejects ${name}, naming the key`, () => {
      assert.throws(
        () => parseRegionsFile(text),
        (error: unknown) => {
          assert.ok(error instanceof RegionsFileError, String(error));
          assert.equal(error.code, 'PASSAGE_REGIONS_INVALID');
          assert.equal(error.key, key);
          if (key) assert.ok(error.message.startsWith(`${key}: `), error.message);
          return true;
        },
      );
    });
  }
});

describe('addRegion / removeRegion', () => {
  test('appends a region table and keeps the comments', () => {
    const next = addRegion(BASE, { name: 'ap-southeast-1', continents: ['AS', 'OC'], desiredCount: 1, cpu: 1024, memory: 2048 });
    assert.ok(next.startsWith('# operator comment that must survive\n'));
    assert.match(next, /\n\n\[regions\.ap-southeast-1\]\ncontinents = \["AS", "OC"\]\ncountries = \[\]\ndesired_count = 1\ncpu = 1024\nmemory = 2048\n$/);
    const region = parseRegionsFile(next).regions.at(-1);
    assert.equal(region?.name, 'ap-southeast-1');
    assert.equal(region?.maxCount, 4);
  });

  test('a country and a continent with the same code are different locations (SA vs SA)', () => {
    const withSouthAmerica = addRegion(BASE, { name: 'sa-east-1', continents: ['SA'] });
    const next = addRegion(withSouthAmerica, { name: 'me-central-1', countries: ['SA'] });
    assert.equal(parseRegionsFile(next).regions.at(-1)?.name, 'me-central-1');
  });

  test('refuses a region that exists or that makes the file invalid', () => {
    assert.throws(() => addRegion(BASE, { name: 'us-east-1' }), { key: 'regions.us-east-1' });
    assert.throws(() => addRegion(BASE, { name: 'ap-south-1', continents: ['EU'] }), { key: 'regions.ap-south-1' });
  });

  test('removes a region table and nothing else', () => {
    const next = removeRegion(BASE, 'us-east-1');
    assert.doesNotMatch(next, /us-east-1|US-CA/);
    assert.match(next, /# operator comment that must survive/);
    assert.deepEqual(parseRegionsFile(next).regions.map((r) => r.name), ['eu-west-1']);
    // Removing a region in the middle keeps the comment that introduces the next table.
    const three = addRegion(BASE.replace('# the Americas\n', ''), { name: 'ap-south-1', continents: ['AS'] }).replace(
      '[regions.ap-south-1]',
      '# Asia\n[regions.ap-south-1]',
    );
    const middle = removeRegion(three, 'us-east-1');
    assert.match(middle, /memory = 1024\n\n# Asia\n\[regions\.ap-south-1\]/);
  });

  test('refuses to remove the home region, the default region or a missing one', () => {
    assert.throws(() => removeRegion(BASE, 'eu-west-1'), { key: 'home_region' });
    assert.throws(() => removeRegion(BASE.replace('table_id = "prod"', 'table_id = "prod"\ndefault_region = "us-east-1"'), 'us-east-1'), {
      key: 'default_region',
    });
    assert.throws(() => removeRegion(BASE, 'sa-east-1'), { key: 'regions.sa-east-1' });
  });

  test('rewrites the file on disk', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'passage-regions-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'passage.regions.toml');
    await writeFile(path, BASE);
    const added = await addRegionToFile(path, { name: 'sa-east-1', continents: ['SA'] });
    assert.equal(added.regions.length, 3);
    const removed = await removeRegionFromFile(path, 'sa-east-1');
    assert.equal(removed.regions.length, 2);
    assert.equal(await readFile(path, 'utf8'), BASE);
  });

  test('names the file when loading fails', async () => {
    await assert.rejects(loadRegionsFile('/nonexistent/passage.regions.toml'), /does not exist/);
  });
});
