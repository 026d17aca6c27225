// Where `passagectl status` learns about routers: heartbeat items in DynamoDB (one Query per region of
// `FLEET#<id>#<region>`), the latest published table (`TABLE#<id>` / `LATEST`), and routers' own /status
// endpoints. A source that cannot be read becomes a problem line, never a crash of the view.

import { QueryCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { fleetPartitionKey, SORT_KEY } from '../../router/contracts/dynamodb-keys.ts';
import { decodeHeartbeat } from '../../router/contracts/heartbeat.ts';
import { CliError } from '../context.ts';
import { describeFailure } from '../errors.ts';
import { decodePublished } from '../tables/document.ts';
import { DynamoDbTableStore } from '../tables/dynamodb-store.ts';
import { buildSnapshot, type FleetSnapshot, type InstanceReport, type PublishedTable } from './aggregate.ts';

/** A fleet of thousands fits; a runaway partition is not read forever. */
export const MAX_HEARTBEAT_PAGES = 20;
/** Regions read per snapshot (each is one Query): more than AWS has. */
export const MAX_FLEET_REGIONS = 40;
export const ADMIN_TIMEOUT_MS = 3_000;
/** Assumed for a /status without a `fleet` section (an older router). */
export const DEFAULT_INTERVAL_MS = 5_000;

type Item = Record<string, AttributeValue>;

/** A heartbeat item (router/contracts/heartbeat.ts) as a report; undefined when it is not one. */
export function reportFromItem(item: Item): InstanceReport | undefined {
  const beat = decodeHeartbeat(item);
  if (beat === undefined || beat.instance === null) return undefined;
  return {
    source: 'dynamodb',
    region: beat.region,
    instance: beat.instance,
    routerVersion: beat.routerVersion,
    startedAt: beat.startedAt,
    at: beat.at,
    intervalMs: beat.intervalMs ?? DEFAULT_INTERVAL_MS,
    ready: beat.ready,
    draining: beat.draining,
    activeConnections: beat.activeConnections ?? 0,
    table: beat.table === null ? null : { id: beat.table.id ?? '', version: beat.table.version, expiresAt: beat.table.expiresAt },
    lastRejection: beat.lastRejection,
    rates: beat.rates,
    p99LoginSeconds: beat.p99LoginSeconds,
    expiresAtSeconds: beat.expiresAtSeconds,
    error: null,
  };
}

/** The heartbeats of the routers in `regions` (one partition each, read at once; router/fleet/heartbeat.ts). */
export async function readHeartbeats(client: DynamoDBClient, table: string, tableId: string, regions: readonly string[], signal?: AbortSignal): Promise<InstanceReport[]> {
  const perRegion = await Promise.all([...new Set(regions)].map((region) => readRegionHeartbeats(client, table, tableId, region, signal)));
  return perRegion.flat();
}

async function readRegionHeartbeats(client: DynamoDBClient, table: string, tableId: string, region: string, signal?: AbortSignal): Promise<InstanceReport[]> {
  const reports: InstanceReport[] = [];
  let start: Item | undefined;
  for (let page = 0; page < MAX_HEARTBEAT_PAGES; page++) {
    const out = await client.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :i)',
        ExpressionAttributeValues: { ':pk': { S: fleetPartitionKey(tableId, region) }, ':i': { S: SORT_KEY.instance } },
        ...(start === undefined ? {} : { ExclusiveStartKey: start }),
      }),
      signal === undefined ? {} : { abortSignal: signal },
    );
    for (const item of out.Items ?? []) {
      const r = reportFromItem(item);
      if (r !== undefined) reports.push(r);
    }
    start = out.LastEvaluatedKey;
    if (start === undefined) break;
  }
  return reports;
}

export async function readLatestPublished(client: DynamoDBClient, table: string, tableId: string, now: () => number): Promise<PublishedTable | null> {
  const store = new DynamoDbTableStore(client, table, tableId, now);
  const entry = await store.latest();
  if (entry === undefined) return null;
  try {
    const decoded = decodePublished(entry.envelope, store.description);
    return { id: tableId, version: decoded.table.version, expiresAt: decoded.table.expiresAt ?? null };
  } catch {
    // Undecodable is for `table show` to explain; here the version number is enough.
    return { id: tableId, version: entry.version, expiresAt: null };
  }
}

/** `GET <admin>/status` as a report. The router's `fleet` section (if any) names it and carries its rates. */
export async function readAdminStatus(fetcher: typeof fetch, baseUrl: string, clock: () => number): Promise<InstanceReport> {
  const now = clock();
  const url = `${baseUrl.replace(/\/+$/, '')}/status`;
  const fallbackName = (() => {
    try {
      return new URL(baseUrl).host;
    } catch {
      return baseUrl;
    }
  })();
  const unreachable = (error: string): InstanceReport => ({
    source: baseUrl, region: 'local', instance: fallbackName, routerVersion: null, startedAt: null, at: now, intervalMs: DEFAULT_INTERVAL_MS,
    ready: false, draining: false, activeConnections: 0, table: null, lastRejection: null, rates: null, p99LoginSeconds: null,
    expiresAtSeconds: null, error,
  });
  let body: any;
  try {
    const res = await fetcher(url, { signal: AbortSignal.timeout(ADMIN_TIMEOUT_MS) });
    if (!res.ok) return unreachable(`${url} answered HTTP ${res.status}`);
    body = await res.json();
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    return unreachable(`${url}: ${e.cause?.code ?? (e.name === 'TimeoutError' ? `no answer within ${ADMIN_TIMEOUT_MS} ms` : e.message)}`);
  }
  const fleet = body?.fleet;
  const report = fleet?.report;
  const table = body?.table;
  return {
    source: baseUrl,
    region: typeof fleet?.region === 'string' ? fleet.region : 'local',
    instance: typeof fleet?.instance === 'string' ? fleet.instance : fallbackName,
    routerVersion: typeof body?.version === 'string' ? body.version : null,
    startedAt: typeof report?.startedAt === 'number' ? report.startedAt : typeof body?.uptimeSeconds === 'number' ? now - body.uptimeSeconds * 1000 : null,
    // It answered just now: the instance is alive whatever its last sample's time. "Now" is when the
    // answer arrived, not when the read began: a slow answer must not age the instance past stale.
    at: clock(),
    intervalMs: typeof report?.intervalMs === 'number' ? report.intervalMs : DEFAULT_INTERVAL_MS,
    ready: body?.ready === true,
    draining: body?.draining === true,
    activeConnections: Number(body?.connections?.active ?? 0),
    table: table == null ? null : { id: String(table.id), version: Number(table.version), expiresAt: typeof table.expiresAt === 'string' ? Date.parse(table.expiresAt) : null },
    lastRejection: body?.tableSource?.lastRejection ?? null,
    rates: report?.rates ?? null,
    p99LoginSeconds: typeof report?.p99LoginSeconds === 'number' ? report.p99LoginSeconds : null,
    expiresAtSeconds: null,
    error: null,
  };
}

export interface FleetSources {
  /** `regions`: whose heartbeat partitions to read (all of them live in every replica of the global table). */
  readonly dynamodb?: { readonly client: DynamoDBClient; readonly table: string; readonly tableId: string; readonly regions: readonly string[] };
  readonly adminUrls: readonly string[];
  readonly fetch: typeof fetch;
  readonly now: () => number;
}

/** Reads every source at once and aggregates; failures become `problems`. */
export async function collectSnapshot(sources: FleetSources): Promise<FleetSnapshot> {
  const problems: string[] = [];
  const ddb = sources.dynamodb;
  const where = ddb === undefined ? '' : `dynamodb://${ddb.table}/${ddb.tableId}`;
  const failures: { what: string; err: CliError }[] = [];
  const [heartbeats, latest, admins] = await Promise.all([
    ddb === undefined
      ? Promise.resolve([])
      : readHeartbeats(ddb.client, ddb.table, ddb.tableId, ddb.regions).catch((err: unknown) => {
          failures.push({ what: 'heartbeats', err: describeFailure(where, err, 'PASSAGE_FLEET_UNREADABLE') });
          return [];
        }),
    ddb === undefined
      ? Promise.resolve(null)
      : readLatestPublished(ddb.client, ddb.table, ddb.tableId, sources.now).catch((err: unknown) => {
          // The store's own errors already name it.
          failures.push({ what: 'latest table', err: err instanceof CliError ? err : describeFailure(where, err, 'PASSAGE_FLEET_UNREADABLE') });
          return null;
        }),
    Promise.all(sources.adminUrls.map((u) => readAdminStatus(sources.fetch, u, sources.now))),
  ]);
  // No credentials (or no network) fails both reads the same way: say it once.
  const [first, second] = failures;
  if (first !== undefined && second !== undefined && first.err.message === second.err.message) {
    problems.push(first.err.message);
  } else {
    for (const f of failures) problems.push(`${f.what}: ${f.err.message}`);
  }
  for (const a of admins) if (a.error !== null) problems.push(a.error);
  // A router read both ways appears once: its /status answer is the fresher.
  const answered = new Set(admins.filter((a) => a.error === null).map((a) => `${a.region}#${a.instance}`));
  // An instance that answered during this read is live as of the snapshot, however long the other
  // reads (DynamoDB) took: its age is not the time spent waiting for them.
  const at = sources.now();
  const reports = [...heartbeats.filter((h) => !answered.has(`${h.region}#${h.instance}`)), ...admins.map((a) => (a.error === null ? { ...a, at } : a))];
  return buildSnapshot(reports, latest, problems, at);
}
