// The DynamoDB key layout of the Passage table (DESIGN.md, "Signed routing tables"), the one place that
// spells it. The router reads and writes it, passagectl publishes and reads it, and the CDK app scopes
// IAM to it, so a change here reaches all three at once.
//
//   pk = TABLE#<table id>   sk = LATEST                    the envelope routers poll
//                           sk = V#<16-digit version>      immutable history
//                           sk = CHUNK#<sha256>            immutable chunks of chunked tables
//   pk = FLEET#<table id>#<region>
//                           sk = INSTANCE#<region>#<id>    one heartbeat per router, expired by TTL
//
// A new kind of item is a new partition prefix (or sort-key prefix) here, with its key function next
// to the others; nothing outside this file writes a `#`.

/** Partition-key prefixes; IAM policies match on them (`dynamodb:LeadingKeys`). */
export const KEY_PREFIX = {
  table: 'TABLE#',
  fleet: 'FLEET#',
} as const;

/** Sort keys and sort-key prefixes inside a partition. */
export const SORT_KEY = {
  latest: 'LATEST',
  history: 'V#',
  chunk: 'CHUNK#',
  instance: 'INSTANCE#',
} as const;

/** 16 digits hold any safe integer, so history items sort by version as strings. */
export const HISTORY_VERSION_DIGITS = 16;

/** The attributes of table items (LATEST and V#). */
export const TABLE_ITEM = {
  envelope: 'envelope',
  version: 'version',
  publishedAt: 'published_at',
} as const;

/** The attribute of chunk items (CHUNK#<sha256>): the chunk's JSON text. */
export const CHUNK_ITEM = { chunk: 'chunk' } as const;

/** Chunks are items in the table's partition (`pk = TABLE#<id>`), so a router's GetItem permission covers them. */
export function chunkSortKey(sha256: string): string {
  return `${SORT_KEY.chunk}${sha256}`;
}

/**
 * The table's TTL attribute (the DynamoDB table's TTL setting names it). Only heartbeats carry it:
 * DynamoDB deletes any item whose TTL has passed, so table items must never use this name.
 */
export const TTL_ATTRIBUTE = 'expires_at';

export function tablePartitionKey(tableId: string): string {
  return `${KEY_PREFIX.table}${tableId}`;
}

export function historySortKey(version: number): string {
  return `${SORT_KEY.history}${String(version).padStart(HISTORY_VERSION_DIGITS, '0')}`;
}

/**
 * Fleet heartbeats live in one partition per region, so IAM (`dynamodb:LeadingKeys`) can let a region's
 * tasks write only their own region's items. AWS region names and table ids hold no `#`
 * (router/table/schema.ts), so a key names one pair only.
 */
export function fleetPartitionKey(tableId: string, region: string): string {
  return `${KEY_PREFIX.fleet}${tableId}#${region}`;
}

/** Every region's heartbeat partition, as an IAM `StringLike` pattern (readers: deploy, plan). */
export function fleetPartitionKeyPattern(tableId: string): string {
  return `${KEY_PREFIX.fleet}${tableId}#*`;
}

export function instanceSortKey(region: string, instance: string): string {
  return `${SORT_KEY.instance}${region}#${instance}`;
}
