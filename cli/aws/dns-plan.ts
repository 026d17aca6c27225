// Plans Passage's GeoDNS: one geolocation A-alias record per (region, location) plus the default `*`
// location, each pointing at that region's NLB with target health evaluated (an unhealthy region falls
// through to the default). The default itself fails over: `*` aliases a failover pair at
// `_passage-default.<domain>` (primary: default_region's NLB; secondary: the next region in the file),
// so players routed by `*` (and every region's players, in the end) still get an answer when the
// default region has no healthy routers. Pure: the caller lists the zone and applies the plan (route53.ts).

import type { Change, ResourceRecordSet } from '@aws-sdk/client-route-53';
import { formatLocation, type GeoLocation } from '../../router/contracts/regions-file.ts';

/** Records whose SetIdentifier starts with this belong to Passage. */
export const SET_IDENTIFIER_PREFIX = 'passage:';

/** Route53's "everything not matched elsewhere" location. */
export const DEFAULT_LOCATION = '*';

/** The name of the default's failover pair, inside the zone (the operator role may change it). */
export const FAILOVER_LABEL = '_passage-default';

export function failoverRecordName(recordName: string): string {
  return fqdn(`${FAILOVER_LABEL}.${trimDot(recordName)}`);
}

export interface DnsRegionTarget {
  readonly region: string;
  /** The NLB's DNS name and canonical hosted zone (the stack's outputs). */
  readonly nlbDnsName: string;
  readonly nlbHostedZoneId: string;
  readonly locations: readonly GeoLocation[];
}

export interface DesiredDns {
  /** `play.example.com` (a trailing dot is optional). */
  readonly recordName: string;
  /** Region that answers the default `*` location. */
  readonly defaultRegion: string;
  readonly regions: readonly DnsRegionTarget[];
  /**
   * The hosted zone that holds `recordName`. With it and a second region, `*` aliases the failover
   * pair (an alias to a record of the same zone names the zone); without it, `*` aliases the NLB.
   */
  readonly hostedZoneId?: string;
}

export type DnsAction = 'CREATE' | 'UPSERT' | 'DELETE';

export interface DnsChange {
  readonly action: DnsAction;
  /** The record to create/upsert, or exactly the record to delete (Route53 requires a full match). */
  readonly recordSet: ResourceRecordSet;
  /** For UPSERT: the record as it is now. */
  readonly before?: ResourceRecordSet;
}

export interface DnsPlan {
  readonly recordName: string;
  /** DELETEs first, then CREATEs, then UPSERTs: the order they go into one change batch. */
  readonly changes: readonly DnsChange[];
  /** Unmanaged A records at the same name; Route53 refuses to mix them with geolocation records. */
  readonly conflicts: readonly ResourceRecordSet[];
}

export function setIdentifier(region: string, location: string): string {
  return `${SET_IDENTIFIER_PREFIX}${region}:${location}`;
}

/** The records Passage wants, in a stable order (regions, then their locations, then `*`). */
export function desiredRecordSets(desired: DesiredDns): ResourceRecordSet[] {
  const name = fqdn(desired.recordName);
  const records: ResourceRecordSet[] = [];
  const alias = (target: DnsRegionTarget) => ({
    HostedZoneId: target.nlbHostedZoneId,
    DNSName: fqdn(target.nlbDnsName),
    EvaluateTargetHealth: true,
  });
  for (const target of desired.regions) {
    for (const location of target.locations) {
      records.push({
        Name: name,
        Type: 'A',
        SetIdentifier: setIdentifier(target.region, formatLocation(location)),
        GeoLocation: geoLocation(location),
        AliasTarget: alias(target),
      });
    }
  }
  const fallback = desired.regions.find((r) => r.region === desired.defaultRegion);
  if (!fallback) throw new Error(`default region ${desired.defaultRegion} is not among the desired regions`);
  const secondary = desired.regions.find((r) => r.region !== fallback.region);
  if (desired.hostedZoneId === undefined || secondary === undefined) {
    records.push({ Name: name, Type: 'A', SetIdentifier: setIdentifier(fallback.region, DEFAULT_LOCATION), GeoLocation: { CountryCode: DEFAULT_LOCATION }, AliasTarget: alias(fallback) });
    return records;
  }
  const pair = failoverRecordName(desired.recordName);
  // The pair first: in one change batch, `*` may alias it only once it exists. Alias records take
  // their health from the NLB's targets (EvaluateTargetHealth): no Route53 health check is needed.
  records.push({ Name: pair, Type: 'A', SetIdentifier: setIdentifier(fallback.region, 'failover-primary'), Failover: 'PRIMARY', AliasTarget: alias(fallback) });
  records.push({ Name: pair, Type: 'A', SetIdentifier: setIdentifier(secondary.region, 'failover-secondary'), Failover: 'SECONDARY', AliasTarget: alias(secondary) });
  records.push({
    Name: name,
    Type: 'A',
    SetIdentifier: setIdentifier(fallback.region, DEFAULT_LOCATION),
    GeoLocation: { CountryCode: DEFAULT_LOCATION },
    AliasTarget: { HostedZoneId: bareZoneId(desired.hostedZoneId), DNSName: pair, EvaluateTargetHealth: true },
  });
  return records;
}

function bareZoneId(id: string): string {
  return id.replace(/^\/?hostedzone\//, '');
}

export function planDns(desired: DesiredDns, current: readonly ResourceRecordSet[]): DnsPlan {
  const name = fqdn(desired.recordName);
  const pair = failoverRecordName(desired.recordName);
  const sameNameRecords = current.filter((r) => sameName(r.Name, name) || sameName(r.Name, pair));
  const atName = sameNameRecords.filter((r) => r.Type === 'A');
  const owned = new Map(atName.filter(isManaged).map((r) => [r.SetIdentifier ?? '', r]));
  // A CNAME may not share its name with any other record: Route53 would refuse the whole batch.
  const conflicts = [...atName.filter((r) => !isManaged(r)), ...sameNameRecords.filter((r) => r.Type === 'CNAME')];

  const deletes: DnsChange[] = [];
  const creates: DnsChange[] = [];
  const upserts: DnsChange[] = [];
  const wanted = desiredRecordSets(desired);
  const wantedIds = new Set(wanted.map((r) => r.SetIdentifier));
  for (const record of wanted) {
    const before = owned.get(record.SetIdentifier ?? '');
    if (!before) creates.push({ action: 'CREATE', recordSet: record });
    else if (!sameRecord(before, record)) upserts.push({ action: 'UPSERT', recordSet: record, before });
  }
  for (const [id, record] of owned) {
    if (!wantedIds.has(id)) deletes.push({ action: 'DELETE', recordSet: record });
  }
  return { recordName: name, changes: [...deletes, ...creates, ...upserts], conflicts };
}

export function toChangeBatch(plan: DnsPlan): Change[] {
  return plan.changes.map((change) => ({ Action: change.action, ResourceRecordSet: change.recordSet }));
}

/** A diff for humans: `+` create, `~` upsert (with what changes), `-` delete. */
export function renderDnsPlan(plan: DnsPlan): string {
  const lines: string[] = [];
  if (plan.changes.length === 0) lines.push(`${trimDot(plan.recordName)}: no changes`);
  else lines.push(`${trimDot(plan.recordName)}: ${count(plan, 'CREATE')} to create, ${count(plan, 'UPSERT')} to update, ${count(plan, 'DELETE')} to delete`);
  for (const change of plan.changes) {
    const record = change.recordSet;
    const label = `${locationLabel(record).padEnd(6)} ${record.SetIdentifier ?? ''}`;
    if (change.action === 'CREATE') lines.push(`  + ${label} → ${describeTarget(record)}`);
    else if (change.action === 'DELETE') lines.push(`  - ${label} → ${describeTarget(record)}`);
    else lines.push(`  ~ ${label}: ${describeTarget(change.before ?? {})} → ${describeTarget(record)}`);
  }
  for (const record of plan.conflicts) {
    lines.push(`  ! ${record.Type} ${record.SetIdentifier ?? '(simple)'} is not managed by passagectl and blocks geolocation records`);
  }
  return lines.join('\n');
}

function count(plan: DnsPlan, action: DnsAction): number {
  return plan.changes.filter((c) => c.action === action).length;
}

function isManaged(record: ResourceRecordSet): boolean {
  return record.SetIdentifier?.startsWith(SET_IDENTIFIER_PREFIX) === true && (record.GeoLocation !== undefined || record.Failover !== undefined);
}

function geoLocation(location: GeoLocation): NonNullable<ResourceRecordSet['GeoLocation']> {
  switch (location.kind) {
    case 'continent':
      return { ContinentCode: location.code };
    case 'country':
      return { CountryCode: location.code };
    case 'subdivision':
      return { CountryCode: location.country, SubdivisionCode: location.code };
  }
}

function sameRecord(current: ResourceRecordSet, wanted: ResourceRecordSet): boolean {
  const a = current.AliasTarget;
  const b = wanted.AliasTarget;
  return (
    a !== undefined &&
    b !== undefined &&
    a.HostedZoneId === b.HostedZoneId &&
    sameName(a.DNSName, b.DNSName ?? '') &&
    a.EvaluateTargetHealth === b.EvaluateTargetHealth &&
    sameName(current.Name, wanted.Name ?? '') &&
    current.Failover === wanted.Failover &&
    current.GeoLocation?.ContinentCode === wanted.GeoLocation?.ContinentCode &&
    current.GeoLocation?.CountryCode === wanted.GeoLocation?.CountryCode &&
    current.GeoLocation?.SubdivisionCode === wanted.GeoLocation?.SubdivisionCode &&
    current.ResourceRecords === undefined &&
    current.HealthCheckId === undefined
  );
}

function locationLabel(record: ResourceRecordSet): string {
  if (record.Failover) return record.Failover === 'PRIMARY' ? '*1' : '*2';
  const geo = record.GeoLocation ?? {};
  if (geo.ContinentCode) return geo.ContinentCode;
  if (geo.SubdivisionCode) return `${geo.CountryCode}-${geo.SubdivisionCode}`;
  return geo.CountryCode ?? '?';
}

function describeTarget(record: Pick<ResourceRecordSet, 'AliasTarget'>): string {
  const alias = record.AliasTarget;
  if (!alias) return 'no alias';
  return `${trimDot(alias.DNSName ?? '')}${alias.EvaluateTargetHealth ? '' : ' (target health ignored)'}`;
}

/** Route53 names are absolute and case-insensitive; it answers with a trailing dot. */
function fqdn(name: string): string {
  return `${trimDot(name).toLowerCase()}.`;
}

function trimDot(name: string): string {
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

function sameName(a: string | undefined, b: string): boolean {
  return a !== undefined && fqdn(a) === fqdn(b);
}
