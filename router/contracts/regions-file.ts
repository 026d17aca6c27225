// The regions file (`passage.regions.toml`): where Passage runs, read by the CDK app and by
// `passagectl regions|dns|waf|deploy`. Parsing is pure; `add`/`remove` rewrite the text in place so
// an operator's comments survive.

import type { KeyObject } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { parse, TomlError } from 'smol-toml';
import { parsePublicKeyPem } from '../table/keys.ts';
import { RegionsFileError } from './errors.ts';
import { route53LocationProblem } from './geo-codes.ts';
import { checkRateRuleFitsPollers, MAX_ROUTERS_PER_ADDRESS, parseTableEndpoint, parseTablePollers, type TableEndpointSpec, type TablePollers } from './table-endpoint-spec.ts';

export { RegionsFileError };

export const REGIONS_FILE_NAME = 'passage.regions.toml';

/** Route53 geolocation continent codes. */
export const CONTINENT_CODES = ['AF', 'AN', 'AS', 'EU', 'NA', 'OC', 'SA'] as const;
export type ContinentCode = (typeof CONTINENT_CODES)[number];

/** WAF rate-based rules evaluate over one of these windows (seconds). */
export const RATE_WINDOWS = [60, 120, 300, 600] as const;
export type RateWindowSeconds = (typeof RATE_WINDOWS)[number];
export const RATE_AGGREGATIONS = ['IP', 'FORWARDED_IP'] as const;
export type RateAggregation = (typeof RATE_AGGREGATIONS)[number];
/** WAFv2 limits for a rate-based statement. */
export const RATE_LIMIT_MIN = 10;
export const RATE_LIMIT_MAX = 2_000_000_000;

/** Fargate task sizes: cpu units → allowed memory (MiB). */
const FARGATE_SIZES: ReadonlyMap<number, readonly number[]> = new Map([
  [256, [512, 1024, 2048]],
  [512, range(1024, 4096, 1024)],
  [1024, range(2048, 8192, 1024)],
  [2048, range(4096, 16384, 1024)],
  [4096, range(8192, 30720, 1024)],
  [8192, range(16384, 61440, 4096)],
  [16384, range(32768, 122880, 8192)],
]);

const REGION_NAME = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d+$/;
const COUNTRY_CODE = /^[A-Z]{2}$/;
// Route53 accepts subdivisions for a few countries (US states, UA, …): `US-CA`.
const SUBDIVISION = /^([A-Z]{2})-([A-Z0-9]{1,3})$/;
const TABLE_ID = /^[A-Za-z0-9_.-]{1,64}$/;
const DYNAMODB_TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
const WAF_RULE_NAME = /^[A-Za-z0-9_-]{1,128}$/;

// --- the document's shape --------------------------------------------------------------------------
// The keys each table of the file may hold, and what each holds, as JSON Schema: the loader refuses any
// other key (rejectUnknown reads these lists) and takes its integer bounds from here, and
// `passagectl schema` writes regionsFileJsonSchema() for editors.

type KeySchemas = Readonly<Record<string, Readonly<Record<string, unknown>>>>;

function objectSchema(keys: KeySchemas, required: readonly string[] = []): Record<string, unknown> {
  return { type: 'object', properties: keys, ...(required.length === 0 ? {} : { required: [...required] }), additionalProperties: false };
}

/** A duration as passage.toml writes it: integer seconds or a string like "10s". */
const DURATION_KEY = { anyOf: [{ type: 'integer', minimum: 1 }, { type: 'string', pattern: '^[0-9]+(ms|s|m|h)$' }] } as const;

const TABLE_ENDPOINT_KEY = objectSchema({
  domain: { type: 'string', minLength: 1, maxLength: 253 },
  certificate_arn: { type: 'string', pattern: '^arn:aws[a-z-]*:acm:us-east-1:[0-9]{12}:certificate/[0-9a-f-]{1,64}$' },
}, ['domain', 'certificate_arn']);

const RATE_RULE_KEYS = {
  name: { type: 'string', pattern: WAF_RULE_NAME.source },
  limit: { type: 'integer', minimum: RATE_LIMIT_MIN, maximum: RATE_LIMIT_MAX },
  window: { type: 'integer', minimum: 1, maximum: 3600, enum: [...RATE_WINDOWS] },
  aggregation: { type: 'string', enum: [...RATE_AGGREGATIONS] },
  forwarded_header: { type: 'string', minLength: 1 },
} as const satisfies KeySchemas;

const WAF_KEYS = {
  rate_rules: { type: 'array', items: objectSchema(RATE_RULE_KEYS, ['name', 'limit']) },
  routers_per_address: { type: 'integer', minimum: 1, maximum: MAX_ROUTERS_PER_ADDRESS },
  router_poll_interval: DURATION_KEY,
} as const satisfies KeySchemas;

const REGION_KEYS = {
  continents: { type: 'array', items: { type: 'string', enum: [...CONTINENT_CODES] } },
  countries: { type: 'array', items: { type: 'string', pattern: `${COUNTRY_CODE.source}|${SUBDIVISION.source}` } },
  desired_count: { type: 'integer', minimum: 0, maximum: 1000 },
  max_count: { type: 'integer', minimum: 1, maximum: 1000 },
  cpu: { type: 'integer', minimum: 256, maximum: 16384, enum: [...FARGATE_SIZES.keys()] },
  memory: { type: 'integer', minimum: 512, maximum: 122880 },
} as const satisfies KeySchemas;

const ROOT_KEYS = {
  home_region: { type: 'string', pattern: REGION_NAME.source },
  default_region: { type: 'string', pattern: REGION_NAME.source },
  domain: { type: 'string', minLength: 1, maxLength: 253 },
  hosted_zone: { type: 'string', minLength: 1, maxLength: 253 },
  table_id: { type: 'string', pattern: TABLE_ID.source },
  table_name: { type: 'string', pattern: DYNAMODB_TABLE_NAME.source },
  public_keys: { type: 'array', items: { type: 'string', minLength: 1 } },
  waf: objectSchema(WAF_KEYS),
  table_endpoint: TABLE_ENDPOINT_KEY,
  regions: { type: 'object', minProperties: 1, propertyNames: { pattern: REGION_NAME.source }, additionalProperties: objectSchema(REGION_KEYS) },
} as const satisfies KeySchemas;

/** The JSON Schema of passage.regions.toml, from the key lists above. */
export function regionsFileJsonSchema(): Record<string, unknown> {
  return objectSchema(ROOT_KEYS, ['home_region', 'domain', 'hosted_zone', 'table_id', 'regions']);
}

function bounds(key: { readonly minimum: number; readonly maximum: number }): [number, number] {
  return [key.minimum, key.maximum];
}

/** One Route53 geolocation: a continent, a country, or a country subdivision. */
export type GeoLocation =
  | { readonly kind: 'continent'; readonly code: ContinentCode }
  | { readonly kind: 'country'; readonly code: string }
  | { readonly kind: 'subdivision'; readonly country: string; readonly code: string };

export interface RegionSpec {
  readonly name: string;
  readonly locations: readonly GeoLocation[];
  readonly desiredCount: number;
  readonly maxCount: number;
  /** Fargate CPU units and memory (MiB). */
  readonly cpu: number;
  readonly memory: number;
}

export interface RateRuleSpec {
  readonly name: string;
  /** Requests per window per aggregation key. */
  readonly limit: number;
  readonly windowSeconds: RateWindowSeconds;
  readonly aggregation: RateAggregation;
  /** For `FORWARDED_IP`: the header that carries the client address. */
  readonly forwardedHeader?: string;
}

export interface RegionsFile {
  readonly homeRegion: string;
  /** The region whose NLB answers the default `*` location. */
  readonly defaultRegion: string;
  /** The record players connect to, e.g. `play.example.com`. */
  readonly domain: string;
  /** The Route53 public hosted zone that holds `domain`. */
  readonly hostedZone: string;
  readonly tableId: string;
  readonly tableName: string;
  /** Trusted Ed25519 public key files, relative to the regions file. */
  readonly publicKeys: readonly string[];
  readonly rateRules: readonly RateRuleSpec[];
  /** Routers polling the HTTP table endpoint from one address; every rate rule lets them through. */
  readonly tablePollers: TablePollers;
  /** A custom domain for the table endpoint (TLS 1.2 minimum); absent: the cloudfront.net name. */
  readonly tableEndpoint?: TableEndpointSpec;
  /** In file order. */
  readonly regions: readonly RegionSpec[];
}

export function parseRegionsFile(text: string): RegionsFile {
  let doc: Record<string, unknown>;
  try {
    doc = parse(text) as Record<string, unknown>;
  } catch (error) {
    const detail = error instanceof TomlError ? `line ${error.line}, column ${error.column}: ` : '';
    throw new RegionsFileError('', `not valid TOML: ${detail}${(error as Error).message.split('\n')[0]}`);
  }
  return validateRegionsDocument(doc);
}

/** Validates an already-parsed document (TOML or JSON shape, snake_case keys). */
export function validateRegionsDocument(doc: Record<string, unknown>): RegionsFile {
  rejectUnknown(doc, Object.keys(ROOT_KEYS), '');

  const homeRegion = requireString(doc, 'home_region', '');
  if (!REGION_NAME.test(homeRegion)) throw new RegionsFileError('home_region', `"${homeRegion}" is not an AWS region name`);
  const domain = hostname(requireString(doc, 'domain', ''), 'domain');
  const hostedZone = hostname(requireString(doc, 'hosted_zone', ''), 'hosted_zone');
  if (domain !== hostedZone && !domain.endsWith(`.${hostedZone}`)) {
    throw new RegionsFileError('domain', `"${domain}" is not inside hosted_zone "${hostedZone}"`);
  }
  const tableId = requireString(doc, 'table_id', '');
  if (!TABLE_ID.test(tableId)) throw new RegionsFileError('table_id', `"${tableId}" must match ${TABLE_ID}`);
  const tableName = optionalString(doc, 'table_name', '') ?? 'passage';
  if (!DYNAMODB_TABLE_NAME.test(tableName)) throw new RegionsFileError('table_name', `"${tableName}" is not a DynamoDB table name`);
  const publicKeys = optionalStringArray(doc, 'public_keys', '') ?? [];

  const rateRules = parseWaf(doc.waf);

  const regionsDoc = doc.regions;
  if (!isTable(regionsDoc) || Object.keys(regionsDoc).length === 0) {
    throw new RegionsFileError('regions', 'at least one [regions.<aws-region>] table is required');
  }
  const regions = Object.entries(regionsDoc).map(([name, value]) => parseRegion(name, value));
  if (!regions.some((r) => r.name === homeRegion)) {
    throw new RegionsFileError('home_region', `"${homeRegion}" has no [regions.${homeRegion}] table`);
  }
  const defaultRegion = optionalString(doc, 'default_region', '') ?? homeRegion;
  if (!regions.some((r) => r.name === defaultRegion)) {
    throw new RegionsFileError('default_region', `"${defaultRegion}" has no [regions.${defaultRegion}] table`);
  }
  rejectSharedLocations(regions);
  const tablePollers = parseTablePollers(isTable(doc.waf) ? doc.waf : {}, Math.max(...regions.map((r) => r.maxCount)));
  rateRules.forEach((rule, i) => checkRateRuleFitsPollers(rule, tablePollers, `waf.rate_rules[${i}]`));
  const tableEndpoint = parseTableEndpoint(doc.table_endpoint);

  return { homeRegion, defaultRegion, domain, hostedZone, tableId, tableName, publicKeys, rateRules, tablePollers, ...(tableEndpoint ? { tableEndpoint } : {}), regions };
}

function parseRegion(name: string, value: unknown): RegionSpec {
  const at = `regions.${name}`;
  if (!REGION_NAME.test(name)) throw new RegionsFileError(at, `"${name}" is not an AWS region name`);
  if (!isTable(value)) throw new RegionsFileError(at, 'must be a table');
  rejectUnknown(value, Object.keys(REGION_KEYS), at);

  const locations: GeoLocation[] = [];
  for (const [i, code] of (optionalStringArray(value, 'continents', at) ?? []).entries()) {
    if (!(CONTINENT_CODES as readonly string[]).includes(code)) {
      throw new RegionsFileError(`${at}.continents[${i}]`, `"${code}" is not one of ${CONTINENT_CODES.join(', ')}`);
    }
    locations.push({ kind: 'continent', code: code as ContinentCode });
  }
  for (const [i, code] of (optionalStringArray(value, 'countries', at) ?? []).entries()) {
    // Only codes Route53 accepts (geo-codes.ts): a typo must fail here, not in a change batch.
    const problem = route53LocationProblem(code);
    if (problem !== undefined) throw new RegionsFileError(`${at}.countries[${i}]`, problem);
    const sub = SUBDIVISION.exec(code);
    if (sub) locations.push({ kind: 'subdivision', country: sub[1], code: sub[2] });
    else if (COUNTRY_CODE.test(code)) locations.push({ kind: 'country', code });
  }

  const desiredCount = integer(value, 'desired_count', at, ...bounds(REGION_KEYS.desired_count)) ?? 2;
  const maxCount = integer(value, 'max_count', at, ...bounds(REGION_KEYS.max_count)) ?? Math.max(desiredCount * 4, 1);
  if (maxCount < desiredCount) {
    throw new RegionsFileError(`${at}.max_count`, `${maxCount} is below desired_count ${desiredCount}`);
  }
  const cpu = integer(value, 'cpu', at, ...bounds(REGION_KEYS.cpu)) ?? 512;
  const memories = FARGATE_SIZES.get(cpu);
  if (!memories) throw new RegionsFileError(`${at}.cpu`, `${cpu} is not a Fargate size (${[...FARGATE_SIZES.keys()].join(', ')})`);
  const memory = integer(value, 'memory', at, ...bounds(REGION_KEYS.memory)) ?? memories[0];
  if (!memories.includes(memory)) {
    throw new RegionsFileError(`${at}.memory`, `${memory} MiB is not allowed with cpu ${cpu} (${memories[0]}…${memories.at(-1)})`);
  }
  return { name, locations, desiredCount, maxCount, cpu, memory };
}

function parseWaf(value: unknown): RateRuleSpec[] {
  if (value === undefined) return [];
  if (!isTable(value)) throw new RegionsFileError('waf', 'must be a table');
  rejectUnknown(value, Object.keys(WAF_KEYS), 'waf');
  const rules = value.rate_rules;
  if (rules === undefined) return [];
  if (!Array.isArray(rules)) throw new RegionsFileError('waf.rate_rules', 'must be an array of tables ([[waf.rate_rules]])');
  const seen = new Set<string>();
  return rules.map((rule, i) => {
    const at = `waf.rate_rules[${i}]`;
    if (!isTable(rule)) throw new RegionsFileError(at, 'must be a table');
    const parsed = parseRateRule(rule, at);
    if (seen.has(parsed.name)) throw new RegionsFileError(`${at}.name`, `"${parsed.name}" is used by another rule`);
    seen.add(parsed.name);
    return parsed;
  });
}

/** Validates one rate rule in its document form (`name`, `limit`, `window`, `aggregation`, `forwarded_header`). */
export function parseRateRule(rule: Record<string, unknown>, at: string): RateRuleSpec {
  rejectUnknown(rule, Object.keys(RATE_RULE_KEYS), at);
  const name = requireString(rule, 'name', at);
  if (!WAF_RULE_NAME.test(name)) throw new RegionsFileError(`${at}.name`, `"${name}" must match ${WAF_RULE_NAME}`);
  const limit = integer(rule, 'limit', at, ...bounds(RATE_RULE_KEYS.limit));
  if (limit === undefined) throw new RegionsFileError(`${at}.limit`, 'is required');
  const windowSeconds = integer(rule, 'window', at, ...bounds(RATE_RULE_KEYS.window)) ?? 300;
  if (!(RATE_WINDOWS as readonly number[]).includes(windowSeconds)) {
    throw new RegionsFileError(`${at}.window`, `${windowSeconds} is not one of ${RATE_WINDOWS.join(', ')} seconds`);
  }
  const aggregation = optionalString(rule, 'aggregation', at) ?? 'IP';
  if (!(RATE_AGGREGATIONS as readonly string[]).includes(aggregation)) {
    throw new RegionsFileError(`${at}.aggregation`, `"${aggregation}" is not one of ${RATE_AGGREGATIONS.join(', ')}`);
  }
  // CloudFront hands WAF the viewer's own address; X-Forwarded-For is whatever the client wrote, so a
  // key taken from it lets anyone pick a fresh rate bucket per request.
  if (aggregation === 'FORWARDED_IP' || rule.forwarded_header !== undefined) {
    throw new RegionsFileError(`${at}.${aggregation === 'FORWARDED_IP' ? 'aggregation' : 'forwarded_header'}`, 'rate keys from X-Forwarded-For are set by the client and would let anyone dodge the limit; use aggregation = "IP" (CloudFront gives WAF the viewer address)');
  }
  const forwardedHeader = optionalString(rule, 'forwarded_header', at);
  return {
    name,
    limit,
    windowSeconds: windowSeconds as RateWindowSeconds,
    aggregation: aggregation as RateAggregation,
    ...(aggregation === 'FORWARDED_IP' ? { forwardedHeader: forwardedHeader ?? 'X-Forwarded-For' } : {}),
  };
}

// Route53 refuses two geolocation records for the same location under one name.
function rejectSharedLocations(regions: readonly RegionSpec[]): void {
  const owner = new Map<string, string>();
  for (const region of regions) {
    for (const location of region.locations) {
      // Keyed by kind too: country SA (Saudi Arabia) is not continent SA (South America).
      const key = `${location.kind}:${formatLocation(location)}`;
      const other = owner.get(key);
      if (other) {
        throw new RegionsFileError(`regions.${region.name}`, `location ${formatLocation(location)} is already served by ${other}`);
      }
      owner.set(key, region.name);
    }
  }
}

/** `EU`, `DE`, `US-CA`: the form the file uses. */
export function formatLocation(location: GeoLocation): string {
  return location.kind === 'subdivision' ? `${location.country}-${location.code}` : location.code;
}

// --- reading and rewriting the file ---------------------------------------------------------------

export async function loadRegionsFile(path: string): Promise<RegionsFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new RegionsFileError('', `${path} does not exist`);
    throw error;
  }
  try {
    return parseRegionsFile(text);
  } catch (error) {
    if (error instanceof RegionsFileError) throw error.inFile(path);
    throw error;
  }
}

/** One `public_keys` entry, read and checked with the router's own key parser. */
export interface TrustedKeyFile {
  /** As written in the regions file. */
  readonly entry: string;
  readonly path: string;
  /** File name inside the routers' key directory (infra writes every key there under this name). */
  readonly name: string;
  readonly pem: string;
  readonly key: KeyObject;
}

/** What a new operator does first; every message about missing keys says it. */
export const PUBLIC_KEYS_HINT = 'create a key pair with `npx passagectl keys generate --out keys` and set public_keys = ["keys/passage-signing.pub"] (commit the .pub, never the .key)';

/**
 * Reads the regions file's `public_keys` (relative to the file): the keys every router of this
 * environment trusts. A missing, unreadable, private or non-Ed25519 file is a RegionsFileError naming
 * `public_keys[i]`, so neither synth nor publish gets as far as a router that would refuse it.
 */
export async function readTrustedKeyFiles(regionsPath: string, file: RegionsFile): Promise<TrustedKeyFile[]> {
  const names = new Map<string, string>();
  const keys: TrustedKeyFile[] = [];
  for (const [i, entry] of file.publicKeys.entries()) {
    const at = `public_keys[${i}]`;
    const path = resolve(dirname(regionsPath), entry);
    const name = basename(path);
    const other = names.get(name);
    // The routers hold every key in one directory: two files with one name would overwrite each other.
    if (other !== undefined) throw new RegionsFileError(at, `"${entry}" has the same file name as "${other}"; rename one`);
    names.set(name, entry);
    let pem: string;
    try {
      pem = await readFile(path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'file not found' : `cannot read (${code ?? (error as Error).message})`;
      throw new RegionsFileError(at, `${path}: ${why}; ${PUBLIC_KEYS_HINT}`);
    }
    let key: KeyObject;
    try {
      key = parsePublicKeyPem(pem, path);
    } catch (error) {
      throw new RegionsFileError(at, (error as Error).message);
    }
    keys.push({ entry, path, name, pem, key });
  }
  return keys;
}

export interface NewRegion {
  readonly name: string;
  readonly continents?: readonly string[];
  readonly countries?: readonly string[];
  readonly desiredCount?: number;
  readonly maxCount?: number;
  readonly cpu?: number;
  readonly memory?: number;
}

/** Returns the file text with a `[regions.<name>]` table appended; the result is validated. */
export function addRegion(text: string, region: NewRegion): string {
  const current = parseRegionsFile(text);
  if (current.regions.some((r) => r.name === region.name)) {
    throw new RegionsFileError(`regions.${region.name}`, 'already exists');
  }
  const lines = [`[regions.${region.name}]`];
  lines.push(`continents = ${tomlStrings(region.continents ?? [])}`);
  lines.push(`countries = ${tomlStrings(region.countries ?? [])}`);
  if (region.desiredCount !== undefined) lines.push(`desired_count = ${region.desiredCount}`);
  if (region.maxCount !== undefined) lines.push(`max_count = ${region.maxCount}`);
  if (region.cpu !== undefined) lines.push(`cpu = ${region.cpu}`);
  if (region.memory !== undefined) lines.push(`memory = ${region.memory}`);
  const next = `${text.replace(/\s*$/, '')}\n\n${lines.join('\n')}\n`;
  parseRegionsFile(next);
  return next;
}

/** Returns the file text without the `[regions.<name>]` table (and its sub-tables). */
export function removeRegion(text: string, name: string): string {
  const current = parseRegionsFile(text);
  if (!current.regions.some((r) => r.name === name)) throw new RegionsFileError(`regions.${name}`, 'does not exist');
  if (current.homeRegion === name) throw new RegionsFileError('home_region', `"${name}" is the home region and cannot be removed`);
  if (current.defaultRegion === name) {
    throw new RegionsFileError('default_region', `"${name}" serves the default location; set default_region to another region first`);
  }
  const lines = text.split('\n');
  const start = lines.findIndex((line) => isRegionHeader(line, name));
  let end = start + 1;
  while (end < lines.length && !/^\s*\[/.test(lines[end])) end++;
  // A table's own sub-tables ([regions.x.something]) go with it.
  while (end < lines.length && isRegionHeader(lines[end], name, true)) {
    end++;
    while (end < lines.length && !/^\s*\[/.test(lines[end])) end++;
  }
  // Keep comments and blank lines that introduce the next table.
  while (end - 1 > start && /^\s*(#.*)?$/.test(lines[end - 1]) && end < lines.length) end--;
  const kept = [...lines.slice(0, start), ...lines.slice(end)];
  const next = `${kept.join('\n').replace(/\n{3,}/g, '\n\n').replace(/\s*$/, '')}\n`;
  parseRegionsFile(next);
  return next;
}

export async function addRegionToFile(path: string, region: NewRegion): Promise<RegionsFile> {
  const next = addRegion(await readFile(path, 'utf8'), region);
  await writeFile(path, next);
  return parseRegionsFile(next);
}

export async function removeRegionFromFile(path: string, name: string): Promise<RegionsFile> {
  const next = removeRegion(await readFile(path, 'utf8'), name);
  await writeFile(path, next);
  return parseRegionsFile(next);
}

function isRegionHeader(line: string, name: string, subTable = false): boolean {
  const quoted = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const tail = subTable ? '\\.[^\\]]+' : '';
  return new RegExp(`^\\s*\\[\\s*regions\\s*\\.\\s*("${quoted}"|${quoted})${tail}\\s*\\]`).test(line);
}

// --- small validators -----------------------------------------------------------------------------

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function join(at: string, key: string): string {
  return at ? `${at}.${key}` : key;
}

function rejectUnknown(table: Record<string, unknown>, known: readonly string[], at: string): void {
  for (const key of Object.keys(table)) {
    if (!known.includes(key)) throw new RegionsFileError(join(at, key), `unknown key (expected one of ${known.join(', ')})`);
  }
}

function requireString(table: Record<string, unknown>, key: string, at: string): string {
  const value = optionalString(table, key, at);
  if (value === undefined || value === '') throw new RegionsFileError(join(at, key), 'is required');
  return value;
}

function optionalString(table: Record<string, unknown>, key: string, at: string): string | undefined {
  const value = table[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new RegionsFileError(join(at, key), `must be a string, got ${describe(value)}`);
  return value;
}

function optionalStringArray(table: Record<string, unknown>, key: string, at: string): string[] | undefined {
  const value = table[key];
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw new RegionsFileError(join(at, key), `must be an array of strings, got ${describe(value)}`);
  return value.map((item, i) => {
    if (typeof item !== 'string') throw new RegionsFileError(`${join(at, key)}[${i}]`, `must be a string, got ${describe(item)}`);
    return item;
  });
}

function integer(table: Record<string, unknown>, key: string, at: string, min: number, max: number): number | undefined {
  let value = table[key];
  if (value === undefined) return undefined;
  if (typeof value === 'bigint') value = Number(value);
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new RegionsFileError(join(at, key), `must be an integer, got ${describe(value)}`);
  }
  if (value < min || value > max) throw new RegionsFileError(join(at, key), `${value} is outside ${min}…${max}`);
  return value;
}

function hostname(value: string, key: string): string {
  const name = value.toLowerCase().replace(/\.$/, '');
  if (name.length > 253 || !/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(name)) {
    throw new RegionsFileError(key, `"${value}" is not a DNS name`);
  }
  return name;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return typeof value === 'string' ? `"${value}"` : `${typeof value} ${String(value)}`;
}

function tomlStrings(values: readonly string[]): string {
  return `[${values.map((v) => JSON.stringify(v)).join(', ')}]`;
}

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let n = from; n <= to; n += step) out.push(n);
  return out;
}
