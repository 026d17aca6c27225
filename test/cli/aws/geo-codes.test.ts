// `regions add` (and every read of the regions file) accepts only locations Route53 knows: ISO 3166-1
// countries, US states as subdivisions, the seven continents. A typo fails before any AWS call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { add } from '../../../cli/commands/regions.ts';
import { CliError } from '../../../cli/context.ts';
import { ROUTE53_COUNTRY_CODES, route53LocationProblem } from '../../../router/contracts/geo-codes.ts';
import { fakeContext } from '../../helpers/tables.ts';

function regionsFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'passage-geo-')), 'passage.regions.toml');
  writeFileSync(file, [
    'home_region = "eu-west-1"', 'domain = "play.test.example"', 'hosted_zone = "test.example"', 'table_id = "prod"', 'table_name = "passage"',
    '[regions.eu-west-1]', 'continents = ["EU"]', 'countries = []', '',
  ].join('\n'));
  return file;
}

test('regions add refuses country and subdivision codes Route53 does not know, saying which and what to use, and writes nothing', async () => {
  const cases: [{ countries?: string[]; continents?: string[] }, RegExp][] = [
    [{ countries: ['UK'] }, /countries\[0\]: "UK" is not an ISO 3166-1 country code Route53 accepts \(did you mean "GB"\?\)/],
    [{ countries: ['BR', 'ZZ'] }, /countries\[1\]: "ZZ" is not an ISO 3166-1 country code/],
    [{ countries: ['DE-BY'] }, /"DE-BY": Route53 has subdivisions for the United States only \(like "US-CA"\); use the country "DE"/],
    [{ countries: ['US-XX'] }, /"US-XX" is not a US state Route53 knows/],
    [{ countries: ['brazil'] }, /"brazil" is not an ISO country code/],
    [{ continents: ['EUR'] }, /continents\[0\]: "EUR" is not one of AF, AN, AS, EU, NA, OC, SA/],
  ];
  for (const [codes, message] of cases) {
    const file = regionsFile();
    const before = readFileSync(file, 'utf8');
    await assert.rejects(add({ file, region: { name: 'sa-east-1', ...codes } }, fakeContext()), (err: unknown) => err instanceof CliError && err.code === 'PASSAGE_REGIONS_INVALID' && message.test(err.message), message.source);
    assert.equal(readFileSync(file, 'utf8'), before, 'nothing written');
  }
});

test('regions add accepts ISO countries, Ukraine, US states and DC', async () => {
  const file = regionsFile();
  await add({ file, region: { name: 'us-east-1', countries: ['US-CA', 'US-DC', 'CA', 'MX'] } }, fakeContext());
  await add({ file, region: { name: 'ap-south-1', countries: ['IN', 'UA', 'GB'] } }, fakeContext());
  assert.match(readFileSync(file, 'utf8'), /countries = \["IN", "UA", "GB"\]/);
  assert.equal(ROUTE53_COUNTRY_CODES.size, 249);
  for (const code of ROUTE53_COUNTRY_CODES) assert.equal(route53LocationProblem(code), undefined, code);
});
