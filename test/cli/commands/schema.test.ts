// `passagectl schema`: the JSON Schemas in schemas/ are exactly what the loaders' schema code generates
// now, the bundled examples and the test fixtures conform to them (checked with ajv, a JSON Schema
// library nobody here wrote), and the schemas refuse what the loaders refuse.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse as parseToml } from 'smol-toml';
import { editorSchemas, run, serializeSchema } from '../../../cli/commands/schema.ts';
import { EXAMPLE_FILES, REPO_ROOT } from '../../helpers/examples.ts';

const SCHEMA_DIR = join(REPO_ROOT, 'schemas');
const SCHEMA_FOR: Record<string, string> = {
  'passage.toml': 'passage.schema.json',
  'routes.toml': 'routes.schema.json',
  'passage.regions.toml': 'passage.regions.schema.json',
};

function validator(file: string): ValidateFunction {
  const ajv = new Ajv({ allErrors: true, allowUnionTypes: true });
  return ajv.compile(JSON.parse(readFileSync(join(SCHEMA_DIR, file), 'utf8')));
}

function errorsOf(validate: ValidateFunction, doc: unknown): string {
  return validate(doc) ? '' : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`).join('\n');
}

const toml = (path: string): unknown => parseToml(readFileSync(path, 'utf8'));

describe('passagectl schema', () => {
  test('the committed schemas/ equal freshly generated ones (run `npx passagectl schema --out schemas` after a schema change)', () => {
    const fresh = editorSchemas();
    assert.deepEqual(readdirSync(SCHEMA_DIR).sort(), Object.keys(fresh).sort());
    for (const [name, schema] of Object.entries(fresh)) {
      assert.equal(readFileSync(join(SCHEMA_DIR, name), 'utf8'), serializeSchema(schema), `schemas/${name} is stale`);
    }
  });

  test('--out writes the three schema files into the directory', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'passage-schema-')), 'nested');
    let stdout = '';
    await run({ out }, { json: false, stdout: { write: (s: string) => { stdout += s; return true; } } } as never);
    assert.deepEqual(readdirSync(out).sort(), Object.keys(editorSchemas()).sort());
    assert.match(stdout, /routes\.schema\.json/);
  });

  test('each bundled example points its editor at the generated schema on its first line', () => {
    for (const file of EXAMPLE_FILES) {
      const first = readFileSync(join(REPO_ROOT, file), 'utf8').split('\n')[0];
      assert.equal(first, `#:schema ./schemas/${SCHEMA_FOR[file]}`, file);
    }
  });

  test('the bundled examples conform to their schemas', () => {
    for (const file of EXAMPLE_FILES) assert.equal(errorsOf(validator(SCHEMA_FOR[file]), toml(join(REPO_ROOT, file))), '', file);
  });

  test('the test fixtures conform to their schemas', () => {
    const routes = validator('routes.schema.json');
    for (const name of readdirSync(join(REPO_ROOT, 'test/fixtures/routes')).filter((n) => n.endsWith('.toml'))) {
      assert.equal(errorsOf(routes, toml(join(REPO_ROOT, 'test/fixtures/routes', name))), '', name);
    }
    assert.equal(errorsOf(validator('passage.regions.schema.json'), toml(join(REPO_ROOT, 'test/fixtures/aws/passage.regions.toml'))), '', 'fixtures/aws/passage.regions.toml');
  });

  test('the routes schema refuses a misspelt key, a bad enum value and keys of another adapter type', () => {
    const v = validator('routes.schema.json');
    const table = (route: Record<string, unknown>): unknown => ({ table_id: 't', version: 1, routes: [{ id: 'r', hosts: ['a.test'], ...route }] });
    assert.equal(errorsOf(v, table({ strategy: 'least_players', discovery: { type: 'agones_allocation', selectors: [{ app: 'mc' }], scheduling: 'Packed' } })), '');
    assert.match(errorsOf(v, table({ stauts: { motd: 'x' } })), /additionalProperty/);
    assert.match(errorsOf(v, table({ strategy: 'fastest' })), /allowedValues/);
    assert.match(errorsOf(v, table({ discovery: { type: 'agones_allocation', selectors: [{ app: 'mc' }], label_selector: 'app=mc' } })), /propertyName/);
    assert.match(errorsOf(v, table({ discovery: { type: 'agones_allocation' } })), /selectors/);
    assert.match(errorsOf(v, table({ discovery: { type: 'http', url: 'https://x.test', token_file: '/etc/passwd' } })), /additionalProperty/);
    assert.match(errorsOf(v, { version: 1, routes: [] }), /table_id/);
  });

  test('the passage.toml and regions schemas refuse unknown keys and out-of-range values', () => {
    const config = validator('passage.schema.json');
    assert.equal(errorsOf(config, { address: '0.0.0.0:25565', timeout: '2m', rate_limiter: { size: 10 }, auth: { mode: 'offline' } }), '');
    assert.match(errorsOf(config, { rate_limiter: { size: 0 } }), /minimum|>= 1/);
    assert.match(errorsOf(config, { auth: { mode: 'sometimes' } }), /allowedValues/);
    assert.match(errorsOf(config, { timeout: 'soon' }), /pattern|anyOf/);
    assert.match(errorsOf(config, { tabel: {} }), /additionalProperty/);
    const regions = validator('passage.regions.schema.json');
    assert.match(errorsOf(regions, { home_region: 'eu-west-1', domain: 'a.test', hosted_zone: 'a.test', table_id: 'p', regions: { 'eu-west-1': { cpu: 300 } } }), /allowedValues/);
    assert.match(errorsOf(regions, { home_region: 'eu-west-1', domain: 'a.test', hosted_zone: 'a.test', table_id: 'p', regions: {}, extra: 1 }), /additionalProperty/);
  });
});
