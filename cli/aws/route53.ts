// Thin Route53 client for GeoDNS: list the records at one name, apply a plan in one change batch,
// wait (bounded) until Route53 reports INSYNC. Decisions live in dns-plan.ts.

import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import { setTimeout as delay } from 'node:timers/promises';
import { failoverRecordName, planDns, toChangeBatch, type DesiredDns, type DnsPlan } from './dns-plan.ts';
import { DnsConflictError, DnsWaitTimeoutError, HostedZoneNotFoundError } from './errors.ts';

/** Route53 usually propagates in under a minute; give up well after that. */
export const DNS_WAIT_TIMEOUT_MS = 5 * 60_000;
export const DNS_POLL_INTERVAL_MS = 5_000;
/** ListResourceRecordSets returns at most 300 per page; this bounds a runaway pagination. */
const MAX_PAGES = 1000;

/** `/hostedzone/Z123` → `Z123`. */
function zoneId(id: string): string {
  return id.replace(/^\/hostedzone\//, '');
}

export async function findHostedZoneId(client: Route53Client, zoneName: string): Promise<string> {
  const wanted = `${zoneName.replace(/\.$/, '').toLowerCase()}.`;
  const out = await client.send(new ListHostedZonesByNameCommand({ DNSName: wanted, MaxItems: 10 }));
  const zone = (out.HostedZones ?? []).find((z) => z.Name?.toLowerCase() === wanted && z.Config?.PrivateZone !== true);
  if (!zone?.Id) throw new HostedZoneNotFoundError(zoneName);
  return zoneId(zone.Id);
}

/**
 * Lists record sets, following pagination. With `name`, starts at that name and stops once the
 * listing (sorted by name) has moved past it, returning only the records at that name.
 */
export async function listRecordSets(
  client: Route53Client,
  hostedZoneId: string,
  options: { readonly name?: string } = {},
): Promise<ResourceRecordSet[]> {
  const name = options.name === undefined ? undefined : `${options.name.replace(/\.$/, '').toLowerCase()}.`;
  const records: ResourceRecordSet[] = [];
  let start: { StartRecordName?: string; StartRecordType?: string; StartRecordIdentifier?: string } = name ? { StartRecordName: name } : {};
  for (let page = 0; page < MAX_PAGES; page++) {
    const out = await client.send(
      new ListResourceRecordSetsCommand({ HostedZoneId: zoneId(hostedZoneId), ...(start as object) }),
    );
    for (const record of out.ResourceRecordSets ?? []) {
      if (name === undefined || record.Name?.toLowerCase() === name) records.push(record);
    }
    if (!out.IsTruncated || !out.NextRecordName) return records;
    if (name !== undefined && out.NextRecordName.toLowerCase() !== name) return records;
    start = {
      StartRecordName: out.NextRecordName,
      ...(out.NextRecordType ? { StartRecordType: out.NextRecordType } : {}),
      ...(out.NextRecordIdentifier ? { StartRecordIdentifier: out.NextRecordIdentifier } : {}),
    };
  }
  throw new Error(`ListResourceRecordSets did not finish after ${MAX_PAGES} pages`);
}

/** Applies the plan as one atomic change batch; an empty plan makes no call. Returns the change id. */
export async function applyDnsPlan(
  client: Route53Client,
  hostedZoneId: string,
  plan: DnsPlan,
  options: { readonly comment?: string } = {},
): Promise<string | undefined> {
  if (plan.conflicts.length > 0) {
    throw new DnsConflictError(plan.recordName, plan.conflicts.map((r) => `${r.Type} ${r.SetIdentifier ?? '(simple)'}`));
  }
  if (plan.changes.length === 0) return undefined;
  const out = await client.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: zoneId(hostedZoneId),
      ChangeBatch: { Comment: options.comment ?? 'passagectl dns apply', Changes: toChangeBatch(plan) },
    }),
  );
  const id = out.ChangeInfo?.Id;
  if (!id) throw new Error('ChangeResourceRecordSets returned no change id');
  return id.replace(/^\/change\//, '');
}

export interface WaitOptions {
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
  /** Injected by tests; defaults to a real timer. */
  readonly sleep?: (ms: number) => Promise<unknown>;
  readonly now?: () => number;
}

/** Polls GetChange until INSYNC; throws DnsWaitTimeoutError when the bound passes. */
export async function waitForChangeInsync(client: Route53Client, changeId: string, options: WaitOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? DNS_WAIT_TIMEOUT_MS;
  const intervalMs = options.intervalMs ?? DNS_POLL_INTERVAL_MS;
  const sleep = options.sleep ?? delay;
  const now = options.now ?? Date.now;
  const deadline = now() + timeoutMs;
  let status = 'PENDING';
  for (;;) {
    const out = await client.send(new GetChangeCommand({ Id: changeId }));
    status = out.ChangeInfo?.Status ?? status;
    if (status === 'INSYNC') return;
    if (now() + intervalMs > deadline) throw new DnsWaitTimeoutError(changeId, timeoutMs, status);
    await sleep(intervalMs);
  }
}

export interface SyncDnsResult {
  readonly plan: DnsPlan;
  /** Set when a change batch was sent. */
  readonly changeId?: string;
}

/** list → plan → (apply → wait). With `dryRun` it only plans. */
export async function syncDns(
  client: Route53Client,
  hostedZoneId: string,
  desired: DesiredDns,
  options: WaitOptions & { readonly dryRun?: boolean; readonly wait?: boolean; readonly comment?: string } = {},
): Promise<SyncDnsResult> {
  const withZone = { ...desired, hostedZoneId };
  const current = [
    ...(await listRecordSets(client, hostedZoneId, { name: desired.recordName })),
    ...(await listRecordSets(client, hostedZoneId, { name: failoverRecordName(desired.recordName) })),
  ];
  const plan = planDns(withZone, current);
  if (options.dryRun) return { plan };
  const changeId = await applyDnsPlan(client, hostedZoneId, plan, options);
  if (changeId && options.wait !== false) await waitForChangeInsync(client, changeId, options);
  return changeId ? { plan, changeId } : { plan };
}
