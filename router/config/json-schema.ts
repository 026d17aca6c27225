// The JSON Schema of passage.toml for editors (`passagectl schema`), generated from CONFIG_SCHEMA, the
// declaration the loader walks: every key, type, choice, bound and default comes from there.
import { DURATION_SCHEMA, type JsonSchema } from '../table/schema-kit.ts';
import { CONFIG_SCHEMA, isField, type Field, type Section } from './schema.ts';

function fieldSchema(f: Field): JsonSchema {
  const bounds = { ...(f.min === undefined ? {} : { minimum: f.min }), ...(f.max === undefined ? {} : { maximum: f.max }) };
  const base: JsonSchema = (() => {
    switch (f.type) {
      case 'string': return f.oneOf === undefined ? { type: 'string' } : { type: 'string', enum: [...f.oneOf] };
      case 'boolean': return { type: 'boolean' };
      case 'integer': return { type: 'integer', ...bounds };
      case 'number': return { type: 'number', ...bounds };
      case 'duration': return DURATION_SCHEMA;
      case 'address': return { type: 'string', pattern: ':[0-9]{1,5}$' };
      case 'count_or_auto': return { oneOf: [{ type: 'integer', ...bounds }, { type: 'string', enum: ['auto'] }] };
      case 'string[]':
      case 'cidr[]': return { type: 'array', items: { type: 'string' } };
    }
  })();
  return { ...base, default: f.default };
}

function sectionSchema(section: Section): JsonSchema {
  return {
    type: 'object',
    properties: Object.fromEntries(Object.entries(section).map(([key, spec]) => [key, isField(spec) ? fieldSchema(spec) : sectionSchema(spec)])),
    additionalProperties: false,
  };
}

export function configJsonSchema(): JsonSchema {
  return sectionSchema(CONFIG_SCHEMA);
}
