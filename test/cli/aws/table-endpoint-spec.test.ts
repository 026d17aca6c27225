// The table endpoint's WAF sizing and custom domain in the regions file: a rate limit must let a whole
// fleet poll from one NAT address (the arithmetic is in the refusal), and a custom domain needs a
// us-east-1 certificate.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRegionsFile, RegionsFileError } from '../../../router/contracts/regions-file.ts';
import { minimumRateLimit } from '../../../router/contracts/table-endpoint-spec.ts';

const file = (waf: string, extra = ''): string => `
home_region = "eu-west-1"
domain = "play.example.com"
hosted_zone = "example.com"
table_id = "prod"
${extra}
[waf]
${waf}

[[waf.rate_rules]]
name = "per-ip"
limit = 600
window = 300

[regions.eu-west-1]
continents = ["EU"]
desired_count = 2
max_count = 10
`;

test('the smallest rate limit is polls per window times routers behind one address times two', () => {
  // 300 s / 10 s = 30 polls per router per window; 10 routers; 2x headroom.
  assert.equal(minimumRateLimit({ routersPerAddress: 10, pollIntervalSeconds: 10 }, 300), 600);
  assert.equal(minimumRateLimit({ routersPerAddress: 3, pollIntervalSeconds: 7 }, 60), 54);
});

test('by default the routers behind one address are the largest max_count, polling every 10 s', () => {
  const parsed = parseRegionsFile(file(''));
  assert.deepEqual(parsed.tablePollers, { routersPerAddress: 10, pollIntervalSeconds: 10 });
  assert.equal(parsed.tableEndpoint, undefined);
});

test('a fleet bigger than the limit allows is refused with the arithmetic and the limit to set', () => {
  assert.throws(() => parseRegionsFile(file('routers_per_address = 50')), (err: unknown) => {
    assert.ok(err instanceof RegionsFileError);
    assert.equal(err.key, 'waf.rate_rules[0].limit');
    assert.match(err.message, /50 routers \(waf\.routers_per_address\) polling every 10 s send 1500 requests per window; set limit to at least 3000/);
    return true;
  });
  // A slower poll fits the same limit.
  assert.deepEqual(parseRegionsFile(file('routers_per_address = 50\nrouter_poll_interval = "1m"')).tablePollers, { routersPerAddress: 50, pollIntervalSeconds: 60 });
});

test('a custom table domain comes with its us-east-1 certificate', () => {
  const arn = 'arn:aws:acm:us-east-1:123456789012:certificate/0b1c2d3e-aaaa-bbbb-cccc-1234567890ab';
  const parsed = parseRegionsFile(file('', `[table_endpoint]\ndomain = "Tables.Example.com"\ncertificate_arn = "${arn}"\n`));
  assert.deepEqual(parsed.tableEndpoint, { domain: 'tables.example.com', certificateArn: arn });
});
