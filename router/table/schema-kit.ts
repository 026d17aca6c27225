// The machinery every document Passage reads is written with: field specs, a context that collects
// problems with their paths, and the small generic readers. The routing table's schema lives in
// schema.ts (the table, routes, targets, status, relay options, packs, messages) and schema-adapters.ts;
// `passage.toml` is read on it in router/config/schema.ts, the regions file in
// router/contracts/regions-file.ts. Each document words its own messages; the shape is this one.

import { isAbsolute, win32 } from 'node:path';
import type { TableProblem } from './errors.ts';
import { parseEndpoint, type Endpoint } from './syntax.ts';
import { ValuePool } from './value-pool.ts';
import { SegmentedMap } from './segmented-map.ts';
import { KeyTable } from './key-table.ts';

/**
 * A reader validates one value; it returns undefined exactly when it reported a problem. `index`: the
 * item's position when the value is an item of an array (readArray passes it).
 */
export type Reader<V, C extends Problems = Context> = (raw: unknown, at: string, ctx: C, index?: number) => V | undefined;

export interface Field<V, C extends Problems = Context> {
  readonly key: string;
  readonly read: Reader<V, C>;
  readonly required?: boolean | ((ctx: C) => boolean);
  /** Absent: this value, as read. */
  readonly default?: V;
  /** Absent: this raw value is read in its place (passage.toml's defaults are written as TOML values). */
  readonly rawDefault?: unknown;
}

export type Fields<T, C extends Problems = Context> = { readonly [K in keyof T]-?: Field<Exclude<T[K], undefined>, C> };

/**
 * Where a table document comes from. `local`: a routes file of the operator's, read from the router's
 * disk, which may name files beside it. `remote`: a signed table (wherever it was read from) or an
 * adapter's answer, written elsewhere: it never names a path on the router's disk.
 */
export type TableOrigin = 'local' | 'remote';

/** The problems found in one document, each with the path of the value it is about. */
export class Problems {
  readonly problems: TableProblem[] = [];

  fail(path: string, message: string): undefined {
    this.problems.push({ path, message });
    return undefined;
  }
}

/** What the routing table's readers know besides the problems: where the table comes from. */
export class Context extends Problems {
  readonly requireExpiry: boolean;
  readonly origin: TableOrigin;
  /** Normalized host → where it is first listed (claimHost), kept off the V8 heap: a host may belong to one route only. */
  readonly hostOwners = new KeyTable();
  /** The index of the route being read (`routes[route]`): the route the hosts it lists are claimed for. */
  route = 0;
  /** Equal strings and objects of this table, shared (value-pool.ts). */
  readonly values: ValuePool;

  /** `pool`: false for a table whose routes are kept as bytes (nothing shares its objects). */
  constructor(requireExpiry: boolean, origin: TableOrigin = requireExpiry ? 'remote' : 'local', pool = true) {
    super();
    this.requireExpiry = requireExpiry;
    this.origin = origin;
    this.values = new ValuePool(pool);
  }
}

/** A Fields object's names and keys, listed once per Fields (they are module constants), not once per object read. */
const fieldLists = new WeakMap<object, { readonly names: readonly string[]; readonly knownKeys: readonly string[] }>();

function listsOf(fields: object): { readonly names: readonly string[]; readonly knownKeys: readonly string[] } {
  let lists = fieldLists.get(fields);
  if (lists === undefined) {
    const names = Object.keys(fields);
    lists = { names, knownKeys: names.map((name) => (fields as Record<string, { key: string }>)[name]!.key) };
    fieldLists.set(fields, lists);
  }
  return lists;
}

export function readObject<T, C extends Problems = Context>(raw: unknown, at: string, ctx: C, fields: Fields<T, C>): T | undefined {
  if (!isPlainObject(raw)) return ctx.fail(at, `must be a table (JSON object), got ${describe(raw)}`);
  const before = ctx.problems.length;
  const { names, knownKeys } = listsOf(fields);
  for (const key of Object.keys(raw)) {
    if (!knownKeys.includes(key)) ctx.fail(child(at, key), `unknown key (known keys: ${knownKeys.join(', ')})`);
  }
  const result: Partial<Record<keyof T, unknown>> = {};
  for (const name of names as (keyof T)[]) {
    const field: Field<unknown, C> = fields[name];
    const value = Object.hasOwn(raw, field.key) ? raw[field.key] : field.rawDefault;
    if (value === undefined) {
      // An absent field's path is built only for its problem: most of a route's fields are absent.
      const required = typeof field.required === 'function' ? field.required(ctx) : field.required === true;
      if (required) ctx.fail(child(at, field.key), 'is required');
      else if (field.default !== undefined) result[name] = field.default;
      continue;
    }
    const parsed = field.read(value, child(at, field.key), ctx);
    if (parsed !== undefined) result[name] = parsed;
  }
  return ctx.problems.length === before ? (result as T) : undefined;
}

export interface ArrayOptions {
  readonly nonEmpty?: boolean;
  /**
   * Items are objects whose `id` must be unique within this array; a NumberClaims is where they are
   * claimed (a KeyTable for a table's routes), `true` a Map of their own.
   */
  readonly uniqueIds?: boolean | NumberClaims;
}

export function readArray<V, C extends Problems = Context>(raw: unknown, at: string, ctx: C, readItem: Reader<V, C>, opts: ArrayOptions = {}): V[] | undefined {
  if (!Array.isArray(raw)) return ctx.fail(at, `must be an array, got ${describe(raw)}`);
  if (opts.nonEmpty && raw.length === 0) return ctx.fail(at, 'must not be empty');
  const before = ctx.problems.length;
  const items: V[] = [];
  const ids = opts.uniqueIds === true ? new SegmentedMap<number>() : opts.uniqueIds || undefined;
  for (let i = 0; i < raw.length; i++) {
    const item: unknown = raw[i];
    const itemAt = `${at}[${i}]`;
    // Checked on the raw id, so a duplicate is reported even when the item has other problems.
    const id = ids !== undefined && isPlainObject(item) ? item.id : undefined;
    if (typeof id === 'string') claimId(ids!, id, at, i, ctx);
    const parsed = readItem(item, itemAt, ctx, i);
    if (parsed !== undefined) items.push(parsed);
  }
  return ctx.problems.length === before ? items : undefined;
}

/** Where ids are claimed: a SegmentedMap for an array's own items, a KeyTable for a table's routes. */
export interface NumberClaims {
  claim(key: string, value: number): number | undefined;
}

/** Items of one array (`at`) have unique ids: the first item with an id keeps it, a later one is a problem. */
export function claimId(ids: NumberClaims, id: string, at: string, index: number, ctx: Problems): void {
  const first = ids.claim(id, index);
  if (first !== undefined) ctx.fail(`${at}[${index}].id`, `duplicate id "${id}" (first used by ${at}[${first}])`);
}

// Where a host is first listed, `routes[r].hosts[h]`, is kept as one number (r * HOST_SPAN + h), not
// as its path: a path string per host of a 100,000-route table is 200,000 strings (ropes of 4-5 objects
// each) held while the table is read, which V8's major collections then walk. A table within the
// largest [table] max_bytes (1 GiB) has fewer than ROUTE_SPAN routes and HOST_SPAN hosts per route.
const HOST_SPAN = 2 ** 28;
const ROUTE_SPAN = 2 ** 25;

/** A host belongs to one route only: the first route to list it (`ctx.route`, hosts[`index`]) keeps it; false (a problem reported at `at`) for a later one. */
export function claimHost(host: string, at: string, index: number, ctx: Context): boolean {
  const owner = ctx.route < ROUTE_SPAN && index < HOST_SPAN ? ctx.route * HOST_SPAN + index : -1;
  const first = ctx.hostOwners.claim(host, owner);
  if (first === undefined) return true;
  const where = first < 0 ? 'an earlier route' : `routes[${Math.floor(first / HOST_SPAN)}].hosts[${first % HOST_SPAN}]`;
  ctx.fail(at, `duplicate host "${host}" (already listed at ${where})`);
  return false;
}

export function oneOf<const V extends string>(allowed: readonly V[]): Reader<V, Problems> {
  return describeReader<Reader<V, Problems>>((raw, at, ctx) => {
    if (typeof raw === 'string' && (allowed as readonly string[]).includes(raw)) return raw as V;
    return ctx.fail(at, `must be one of ${allowed.map((a) => `"${a}"`).join(', ')}, got ${describe(raw)}`);
  }, { enum: [...allowed] });
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  // smol-toml builds null-prototype objects; JSON.parse builds ordinary ones.
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function child(at: string, key: string): string {
  if (!IDENTIFIER.test(key)) return `${at}[${JSON.stringify(key)}]`;
  return at === '' ? key : `${at}.${key}`;
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return 'a date';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (isPlainObject(value)) return 'a table';
  return `a value of type ${typeof value}`;
}

export function readBoolean(raw: unknown, at: string, ctx: Problems): boolean | undefined {
  if (typeof raw !== 'boolean') return ctx.fail(at, `must be true or false, got ${describe(raw)}`);
  return raw;
}

export function readText(raw: unknown, at: string, ctx: Problems): string | undefined {
  if (typeof raw !== 'string' || raw.length === 0) return ctx.fail(at, `must be a non-empty string, got ${describe(raw)}`);
  return raw;
}

export function readEndpoint(raw: unknown, at: string, ctx: Problems): Endpoint | undefined {
  if (typeof raw !== 'string') return ctx.fail(at, `must be a "host:port" string, got ${describe(raw)}`);
  const endpoint = parseEndpoint(raw);
  return typeof endpoint === 'string' ? ctx.fail(at, endpoint) : endpoint;
}

/** A file reference is at most this long: a longer one is a mistake (or an attack) in any folder. */
export const MAX_FILE_REFERENCE_LENGTH = 1024;

/**
 * A file a local routes file names (a favicon): relative to the file's folder and inside it, so no
 * absolute path and no `..`; the loader also refuses a symlink that leads out. A remote table may name
 * no file at all: `inline` says what it must give instead.
 */
export function readFileReference(raw: string, at: string, ctx: Context, inline: string): string | undefined {
  if (ctx.origin === 'remote') return ctx.fail(at, `must be inline data, not a file name (a signed table cannot name a file on the router's disk): ${inline}`);
  if (raw.length > MAX_FILE_REFERENCE_LENGTH) return ctx.fail(at, `is ${raw.length} characters, the limit for a file name is ${MAX_FILE_REFERENCE_LENGTH}`);
  if (raw.includes('\0') || isAbsolute(raw) || win32.isAbsolute(raw) || raw.split(/[\\/]/).includes('..')) {
    return ctx.fail(at, `must be a file in the routes file's folder (a relative path without ".."), got ${describe(raw)}`);
  }
  return raw;
}

// --- JSON Schema for editors ------------------------------------------------------------------------
// Each reader may say what it accepts as a JSON Schema fragment; `fieldsSchema` turns a Fields spec
// into an object schema, so `passagectl schema` describes exactly the keys the loader reads. A reader
// nobody described accepts anything in the editor (the loader still checks it).

export type JsonSchema = { readonly [key: string]: unknown };

const readerSchemas = new WeakMap<object, JsonSchema | (() => JsonSchema)>();

/** Records what `reader` accepts; a thunk for schemas of Fields declared later in their file. */
export function describeReader<R extends Reader<unknown, never>>(reader: R, schema: JsonSchema | (() => JsonSchema)): R {
  readerSchemas.set(reader, schema);
  return reader;
}

export function readerSchema(reader: Reader<unknown, never>): JsonSchema {
  const schema = readerSchemas.get(reader);
  return typeof schema === 'function' ? schema() : (schema ?? {});
}

export function fieldsSchema<T, C extends Problems = Context>(fields: Fields<T, C>, extra: JsonSchema = {}): JsonSchema {
  const specs = Object.values(fields) as Field<unknown, C>[];
  const required = specs.filter((f) => f.required === true).map((f) => f.key);
  return {
    type: 'object',
    properties: Object.fromEntries(specs.map((f) => [f.key, readerSchema(f.read)])),
    ...(required.length === 0 ? {} : { required }),
    additionalProperties: false,
    ...extra,
  };
}

/** Integer seconds or a string like "5s", "1m30s": what parseDuration reads. */
export const DURATION_SCHEMA: JsonSchema = {
  anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', pattern: '^\\s*(\\d+|(\\d+(\\.\\d+)?(ms|s|m|h|d))+)\\s*$' }],
};

describeReader(readBoolean, { type: 'boolean' });
describeReader(readText, { type: 'string', minLength: 1 });
describeReader(readEndpoint, { type: 'string', minLength: 3, pattern: ':[0-9]{1,5}$' });
