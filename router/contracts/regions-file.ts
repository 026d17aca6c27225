// The regions file (`passage.regions.toml`): where Passage runs, read by the CDK app and by
// `passagectl regions|dns|waf|deploy`. Parsing is pure; `add`/`remove` rewrite the text in place so
// an operator's comments survive.

import type { KeyObject } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { parse, TomlError } from 'smol-toml';
import { parsePublicKeyPem } from '../table/keys.ts';
import { describeReader, fieldsSchema, Problems, readArray, readerSchema, readObject, type Fields, type JsonSchema, type Reader } from '../table/schema-kit.ts';
import { RegionsFileError } from './errors.ts';
import { route53LocationProblem } from './geo-codes.ts';
import { DEFAULT_ROUTER_POLL_SECONDS, isDnsName, rateRuleBlocksPollers, readRouterPollInterval, readRoutersPerAddress, readTableEndpoint, type TableEndpointSpec, type TablePollers } from './table-endpoint-spec.ts';

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
// Read on the schema kit the routing table uses (router/table/schema-kit.ts): each key's reader says
// what it accepts as JSON Schema (`passagectl schema` writes regionsFileJsonSchema() for editors) and
// reports its problems with their paths; checks across keys run once the keys read cleanly. The file
// is refused with its first problem (RegionsFileError names one key).

/** How the regions file's messages name a value. */
function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return typeof value === 'string' ? `"${value}"` : `${typeof value} ${String(value)}`;
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringMatching(schema: JsonSchema, check?: (value: string, at: string, ctx: Problems) => string | undefined): Reader<string, Problems> {
  return describeReader<Reader<string, Problems>>((raw, at, ctx) => {
    if (typeof raw !== 'string') return ctx.fail(at, `must be a string, got ${describe(raw)}`);
    return check === undefined ? raw : check(raw, at, ctx);
  }, schema);
}

/** A string that must match `pattern`; `what` says what it is when it does not. */
function named(pattern: RegExp, what: (value: string) => string): Reader<string, Problems> {
  return stringMatching({ type: 'string', pattern: pattern.source }, (value, at, ctx) => (pattern.test(value) ? value : ctx.fail(at, what(value))));
}

/** A required string: absent or empty is "is required". */
function required<V>(read: Reader<V, Problems>): Reader<V, Problems> {
  return describeReader<Reader<V, Problems>>((raw, at, ctx) => (raw === '' ? ctx.fail(at, 'is required') : read(raw, at, ctx)), () => readerSchema(read));
}

const readHostname = stringMatching({ type: 'string', minLength: 1, maxLength: 253 }, (value, at, ctx) => {
  const name = value.toLowerCase().replace(/\.$/, '');
  return isDnsName(name) ? name : ctx.fail(at, `"${value}" is not a DNS name`);
});

function integerIn(min: number, max: number, allowed?: readonly number[]): Reader<number, Problems> {
  return describeReader<Reader<number, Problems>>((raw, at, ctx) => {
    const value = typeof raw === 'bigint' ? Number(raw) : raw;
    if (typeof value !== 'number' || !Number.isInteger(value)) return ctx.fail(at, `must be an integer, got ${describe(raw)}`);
    if (value < min || value > max) return ctx.fail(at, `${value} is outside ${min}…${max}`);
    return value;
  }, { type: 'integer', minimum: min, maximum: max, ...(allowed === undefined ? {} : { enum: [...allowed] }) });
}

function listOf<V>(item: Reader<V, Problems>): Reader<V[], Problems> {
  return describeReader<Reader<V[], Problems>>((raw, at, ctx) => {
    if (!Array.isArray(raw)) return ctx.fail(at, `must be an array of strings, got ${describe(raw)}`);
    return readArray(raw, at, ctx, item);
  }, () => ({ type: 'array', items: readerSchema(item) }));
}

/** A table of the file: "must be a table" unless it is one, then its keys (and what `check` makes of them). */
function table<T>(fields: Fields<T, Problems>): Reader<T, Problems>;
function table<T, R>(fields: Fields<T, Problems>, check: (value: T, at: string, ctx: Problems) => R | undefined): Reader<R, Problems>;
function table<T, R>(fields: Fields<T, Problems>, check?: (value: T, at: string, ctx: Problems) => R | undefined): Reader<T | R, Problems> {
  return describeReader<Reader<T | R, Problems>>((raw, at, ctx) => {
    if (!isTable(raw)) return ctx.fail(at, 'must be a table');
    const value = readObject(raw, at, ctx, fields);
    return value === undefined || check === undefined ? value : check(value, at, ctx);
  }, () => fieldsSchema(fields));
}

const readRuleName = named(WAF_RULE_NAME, (name) => `"${name}" must match ${WAF_RULE_NAME}`);

interface RateRuleDoc {
  readonly name: string;
  readonly limit: number;
  readonly windowSeconds: number;
  readonly aggregation: string;
  readonly forwardedHeader?: string;
}

const RATE_RULE_FIELDS: Fields<RateRuleDoc, Problems> = {
  name: { key: 'name', read: readRuleName, required: true },
  limit: { key: 'limit', read: integerIn(RATE_LIMIT_MIN, RATE_LIMIT_MAX), required: true },
  windowSeconds: { key: 'window', read: integerIn(1, 3600, RATE_WINDOWS), default: 300 },
  aggregation: { key: 'aggregation', read: stringMatching({ type: 'string', enum: [...RATE_AGGREGATIONS] }), default: 'IP' },
  forwardedHeader: { key: 'forwarded_header', read: stringMatching({ type: 'string', minLength: 1 }) },
};

const readRateRule = table(RATE_RULE_FIELDS, (rule, at, ctx): RateRuleSpec | undefined => {
  if (!(RATE_WINDOWS as readonly number[]).includes(rule.windowSeconds)) {
    return ctx.fail(`${at}.window`, `${rule.windowSeconds} is not one of ${RATE_WINDOWS.join(', ')} seconds`);
  }
  if (!(RATE_AGGREGATIONS as readonly string[]).includes(rule.aggregation)) {
    return ctx.fail(`${at}.aggregation`, `"${rule.aggregation}" is not one of ${RATE_AGGREGATIONS.join(', ')}`);
  }
  // CloudFront hands WAF the viewer's own address; X-Forwarded-For is whatever the client wrote, so a
  // key taken from it lets anyone pick a fresh rate bucket per request.
  if (rule.aggregation === 'FORWARDED_IP' || rule.forwardedHeader !== undefined) {
    return ctx.fail(`${at}.${rule.aggregation === 'FORWARDED_IP' ? 'aggregation' : 'forwarded_header'}`, 'rate keys from X-Forwarded-For are set by the client and would let anyone dodge the limit; use aggregation = "IP" (CloudFront gives WAF the viewer address)');
  }
  return { name: rule.name, limit: rule.limit, windowSeconds: rule.windowSeconds as RateWindowSeconds, aggregation: rule.aggregation as RateAggregation };
});

const readRateRules = describeReader<Reader<RateRuleSpec[], Problems>>((raw, at, ctx) => {
  if (!Array.isArray(raw)) return ctx.fail(at, 'must be an array of tables ([[waf.rate_rules]])');
  const rules = readArray(raw, at, ctx, readRateRule);
  if (rules === undefined) return undefined;
  const first = new Map<string, number>();
  for (const [i, rule] of rules.entries()) {
    if (first.has(rule.name)) return ctx.fail(`${at}[${i}].name`, `"${rule.name}" is used by another rule`);
    first.set(rule.name, i);
  }
  return rules;
}, () => ({ type: 'array', items: readerSchema(readRateRule) }));

interface WafDoc {
  readonly rateRules: readonly RateRuleSpec[];
  readonly routersPerAddress?: number;
  readonly pollIntervalSeconds?: number;
}

const readWaf = table<WafDoc>({
  rateRules: { key: 'rate_rules', read: readRateRules, default: [] },
  routersPerAddress: { key: 'routers_per_address', read: readRoutersPerAddress },
  pollIntervalSeconds: { key: 'router_poll_interval', read: readRouterPollInterval },
});

interface RegionDoc {
  readonly continents: readonly ContinentCode[];
  readonly countries: readonly GeoLocation[];
  readonly desiredCount: number;
  readonly maxCount?: number;
  readonly cpu: number;
  readonly memory?: number;
}

const readContinent = stringMatching({ type: 'string', enum: [...CONTINENT_CODES] }, (code, at, ctx) =>
  (CONTINENT_CODES as readonly string[]).includes(code) ? code : ctx.fail(at, `"${code}" is not one of ${CONTINENT_CODES.join(', ')}`),
) as Reader<ContinentCode, Problems>;

const readCountry = describeReader<Reader<GeoLocation, Problems>>((raw, at, ctx) => {
  if (typeof raw !== 'string') return ctx.fail(at, `must be a string, got ${describe(raw)}`);
  // Only codes Route53 accepts (geo-codes.ts): a typo must fail here, not in a change batch.
  const problem = route53LocationProblem(raw);
  if (problem !== undefined) return ctx.fail(at, problem);
  const sub = SUBDIVISION.exec(raw);
  return sub ? { kind: 'subdivision', country: sub[1], code: sub[2] } : { kind: 'country', code: raw };
}, { type: 'string', pattern: `${COUNTRY_CODE.source}|${SUBDIVISION.source}` });

const REGION_FIELDS: Fields<RegionDoc, Problems> = {
  continents: { key: 'continents', read: listOf(readContinent), default: [] },
  countries: { key: 'countries', read: listOf(readCountry), default: [] },
  desiredCount: { key: 'desired_count', read: integerIn(0, 1000), default: 2 },
  maxCount: { key: 'max_count', read: integerIn(1, 1000) },
  cpu: { key: 'cpu', read: integerIn(256, 16384, [...FARGATE_SIZES.keys()]), default: 512 },
  memory: { key: 'memory', read: integerIn(512, 122880) },
};

function regionSpec(name: string, doc: RegionDoc, at: string, ctx: Problems): RegionSpec | undefined {
  const maxCount = doc.maxCount ?? Math.max(doc.desiredCount * 4, 1);
  if (maxCount < doc.desiredCount) return ctx.fail(`${at}.max_count`, `${maxCount} is below desired_count ${doc.desiredCount}`);
  const memories = FARGATE_SIZES.get(doc.cpu);
  if (!memories) return ctx.fail(`${at}.cpu`, `${doc.cpu} is not a Fargate size (${[...FARGATE_SIZES.keys()].join(', ')})`);
  const memory = doc.memory ?? memories[0];
  if (!memories.includes(memory)) {
    return ctx.fail(`${at}.memory`, `${memory} MiB is not allowed with cpu ${doc.cpu} (${memories[0]}…${memories.at(-1)})`);
  }
  const locations = [...doc.continents.map((code): GeoLocation => ({ kind: 'continent', code })), ...doc.countries];
  return { name, locations, desiredCount: doc.desiredCount, maxCount, cpu: doc.cpu, memory };
}

const readRegionTable = table(REGION_FIELDS);

/** `[regions.<aws-region>]` tables, in file order; paths read `regions.eu-west-1.cpu`. */
const readRegions = describeReader<Reader<RegionSpec[], Problems>>((raw, at, ctx) => {
  if (!isTable(raw) || Object.keys(raw).length === 0) return ctx.fail(at, 'at least one [regions.<aws-region>] table is required');
  const regions: RegionSpec[] = [];
  for (const [name, value] of Object.entries(raw)) {
    const regionAt = `${at}.${name}`;
    if (!REGION_NAME.test(name)) return ctx.fail(regionAt, `"${name}" is not an AWS region name`);
    const doc = readRegionTable(value, regionAt, ctx);
    const region = doc === undefined ? undefined : regionSpec(name, doc, regionAt, ctx);
    if (region === undefined) return undefined;
    regions.push(region);
  }
  return regions;
}, () => ({ type: 'object', minProperties: 1, propertyNames: { pattern: REGION_NAME.source }, additionalProperties: readerSchema(readRegionTable) }));

interface RootDoc {
  readonly homeRegion: string;
  readonly defaultRegion?: string;
  readonly domain: string;
  readonly hostedZone: string;
  readonly tableId: string;
  readonly tableName: string;
  readonly publicKeys: readonly string[];
  readonly waf?: WafDoc;
  readonly tableEndpoint?: TableEndpointSpec;
  readonly regions: readonly RegionSpec[];
}

const readRegionName = named(REGION_NAME, (name) => `"${name}" is not an AWS region name`);

const ROOT_FIELDS: Fields<RootDoc, Problems> = {
  homeRegion: { key: 'home_region', read: required(readRegionName), required: true },
  defaultRegion: { key: 'default_region', read: readRegionName },
  domain: { key: 'domain', read: required(readHostname), required: true },
  hostedZone: { key: 'hosted_zone', read: required(readHostname), required: true },
  tableId: { key: 'table_id', read: required(named(TABLE_ID, (id) => `"${id}" must match ${TABLE_ID}`)), required: true },
  tableName: { key: 'table_name', read: named(DYNAMODB_TABLE_NAME, (name) => `"${name}" is not a DynamoDB table name`), default: 'passage' },
  publicKeys: { key: 'public_keys', read: listOf(stringMatching({ type: 'string', minLength: 1 })), default: [] },
  waf: { key: 'waf', read: readWaf },
  tableEndpoint: { key: 'table_endpoint', read: readTableEndpoint },
  regions: { key: 'regions', read: readRegions, required: true },
};

const readRoot = table(ROOT_FIELDS);

/** The JSON Schema of passage.regions.toml: what the readers above accept. */
export function regionsFileJsonSchema(): Record<string, unknown> {
  return readerSchema(readRoot);
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
  const ctx = new Problems();
  const root = readRoot(doc, '', ctx);
  const file = root === undefined ? undefined : regionsFile(root, ctx);
  const first = ctx.problems[0];
  if (first !== undefined || file === undefined) throw new RegionsFileError(first?.path ?? '', first?.message ?? 'is not valid');
  return file;
}

/** The checks across keys: the domain in its zone, the regions named exist, GeoDNS and WAF fit together. */
function regionsFile(root: RootDoc, ctx: Problems): RegionsFile | undefined {
  const { homeRegion, domain, hostedZone, regions } = root;
  if (domain !== hostedZone && !domain.endsWith(`.${hostedZone}`)) return ctx.fail('domain', `"${domain}" is not inside hosted_zone "${hostedZone}"`);
  if (!regions.some((r) => r.name === homeRegion)) return ctx.fail('home_region', `"${homeRegion}" has no [regions.${homeRegion}] table`);
  const defaultRegion = root.defaultRegion ?? homeRegion;
  if (!regions.some((r) => r.name === defaultRegion)) return ctx.fail('default_region', `"${defaultRegion}" has no [regions.${defaultRegion}] table`);
  const shared = sharedLocation(regions);
  if (shared !== undefined) return ctx.fail(`regions.${shared.region}`, `location ${shared.location} is already served by ${shared.other}`);
  const tablePollers: TablePollers = {
    routersPerAddress: root.waf?.routersPerAddress ?? Math.max(...regions.map((r) => r.maxCount)),
    pollIntervalSeconds: root.waf?.pollIntervalSeconds ?? DEFAULT_ROUTER_POLL_SECONDS,
  };
  const rateRules = root.waf?.rateRules ?? [];
  for (const [i, rule] of rateRules.entries()) {
    const problem = rateRuleBlocksPollers(rule, tablePollers);
    if (problem !== undefined) return ctx.fail(`waf.rate_rules[${i}].limit`, problem);
  }
  const { tableId, tableName, publicKeys, tableEndpoint } = root;
  return { homeRegion, defaultRegion, domain, hostedZone, tableId, tableName, publicKeys, rateRules, tablePollers, ...(tableEndpoint ? { tableEndpoint } : {}), regions };
}

// Route53 refuses two geolocation records for the same location under one name.
function sharedLocation(regions: readonly RegionSpec[]): { region: string; location: string; other: string } | undefined {
  const owner = new Map<string, string>();
  for (const region of regions) {
    for (const location of region.locations) {
      // Keyed by kind too: country SA (Saudi Arabia) is not continent SA (South America).
      const key = `${location.kind}:${formatLocation(location)}`;
      const other = owner.get(key);
      if (other) return { region: region.name, location: formatLocation(location), other };
      owner.set(key, region.name);
    }
  }
  return undefined;
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

// --- small helpers ---------------------------------------------------------------------------------

function tomlStrings(values: readonly string[]): string {
  return `[${values.map((v) => JSON.stringify(v)).join(', ')}]`;
}

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let n = from; n <= to; n += step) out.push(n);
  return out;
}
