// The schema kit every document is read on: defaults written as raw values are read like the
// operator's, a section's cross-key check runs only once its keys read cleanly, and the JSON Schema
// comes from the same readers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeReader, fieldsSchema, Problems, readObject, type Fields, type Reader } from '../../router/table/schema-kit.ts';

const seconds = describeReader<Reader<number, Problems>>((raw, at, ctx) => {
  const m = typeof raw === 'string' ? /^(\d+)s$/.exec(raw) : null;
  return m ? Number(m[1]) * 1000 : ctx.fail(at, `expected "<n>s", got ${JSON.stringify(raw)}`);
}, { type: 'string', pattern: '^\\d+s$' });

interface Doc {
  readonly timeout: number;
  readonly retries?: number;
}

const retries = describeReader<Reader<number, Problems>>((raw, at, ctx) => (typeof raw === 'number' ? raw : ctx.fail(at, 'expected a number')), { type: 'number' });
const FIELDS: Fields<Doc, Problems> = {
  timeout: { key: 'timeout', read: seconds, rawDefault: '5s' },
  retries: { key: 'retries', read: retries },
};

test('an absent key with a raw default is read through its reader', () => {
  assert.deepEqual(readObject({}, '', new Problems(), FIELDS), { timeout: 5000 });
  assert.deepEqual(readObject({ timeout: '7s', retries: 2 }, '', new Problems(), FIELDS), { timeout: 7000, retries: 2 });
});

test('a bad raw default is a problem like a bad value, not a silent fallback', () => {
  const ctx = new Problems();
  const broken: Fields<Doc, Problems> = { ...FIELDS, timeout: { key: 'timeout', read: seconds, rawDefault: 'soon' } };
  assert.equal(readObject({}, 'limits', ctx, broken), undefined);
  assert.deepEqual(ctx.problems, [{ path: 'limits.timeout', message: 'expected "<n>s", got "soon"' }]);
});

test('unknown keys and bad values are all reported, with their paths', () => {
  const ctx = new Problems();
  assert.equal(readObject({ timeout: 3, retrys: 1 }, 'limits', ctx, FIELDS), undefined);
  assert.deepEqual(ctx.problems.map((p) => p.path), ['limits.retrys', 'limits.timeout']);
});

test('the JSON Schema is the readers\' own description', () => {
  assert.deepEqual(fieldsSchema(FIELDS), {
    type: 'object',
    properties: { timeout: { type: 'string', pattern: '^\\d+s$' }, retries: { type: 'number' } },
    additionalProperties: false,
  });
});
