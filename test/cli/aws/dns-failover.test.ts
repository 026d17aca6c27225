// The GeoDNS default `*` fails over: it aliases a failover pair (primary default_region, secondary
// another region) instead of one NLB, so the players it serves, and every region's players in the end,
// still get an answer when the default region has no healthy routers.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ResourceRecordSet } from '@aws-sdk/client-route-53';
import { desiredRecordSets, failoverRecordName, planDns, renderDnsPlan, type DesiredDns } from '../../../cli/aws/dns-plan.ts';

const US = { region: 'us-east-1', nlbDnsName: 'us-nlb.elb.us-east-1.amazonaws.com', nlbHostedZoneId: 'Z26RNL4JYFTOTI' };
const EU = { region: 'eu-west-1', nlbDnsName: 'eu-nlb.elb.eu-west-1.amazonaws.com', nlbHostedZoneId: 'Z2IFOLAFXWLO4F' };
const desired: DesiredDns = {
  recordName: 'play.example.com',
  defaultRegion: 'us-east-1',
  hostedZoneId: '/hostedzone/ZONE1',
  regions: [
    { ...EU, locations: [{ kind: 'continent', code: 'EU' }] },
    { ...US, locations: [{ kind: 'continent', code: 'NA' }, { kind: 'continent', code: 'SA' }] },
  ],
};

describe('the default location fails over', () => {
  test('`*` aliases the failover pair in the same zone; the pair is default_region first, another region second, both on target health', () => {
    const records = desiredRecordSets(desired);
    const pair = failoverRecordName('play.example.com');
    assert.equal(pair, '_passage-default.play.example.com.');
    const star = records.find((r) => r.GeoLocation?.CountryCode === '*')!;
    assert.deepEqual(star.AliasTarget, { HostedZoneId: 'ZONE1', DNSName: pair, EvaluateTargetHealth: true });
    const failover = records.filter((r) => r.Name === pair).map((r) => [r.Failover, r.AliasTarget?.DNSName, r.AliasTarget?.EvaluateTargetHealth]);
    assert.deepEqual(failover, [
      ['PRIMARY', 'us-nlb.elb.us-east-1.amazonaws.com.', true],
      ['SECONDARY', 'eu-nlb.elb.eu-west-1.amazonaws.com.', true],
    ]);
    // In one change batch the pair must exist before `*` aliases it.
    assert.ok(records.indexOf(star) > records.findIndex((r) => r.Name === pair));
  });

  test('a deployment whose `*` aliased one NLB moves to the pair in one batch: two creates, one update', () => {
    const before = desiredRecordSets({ ...desired, hostedZoneId: undefined } as DesiredDns);
    const plan = planDns(desired, before);
    assert.deepEqual(plan.changes.map((c) => [c.action, c.recordSet.SetIdentifier]), [
      ['CREATE', 'passage:us-east-1:failover-primary'],
      ['CREATE', 'passage:eu-west-1:failover-secondary'],
      ['UPSERT', 'passage:us-east-1:*'],
    ]);
    assert.match(renderDnsPlan(plan), /~ \*\s+passage:us-east-1:\*: us-nlb\.elb\.us-east-1\.amazonaws\.com → _passage-default\.play\.example\.com/);
    assert.deepEqual(planDns(desired, desiredRecordSets(desired)).changes, [], 'in sync afterwards');
  });

  test('a record passagectl does not manage at the pair name is a conflict', () => {
    const foreign: ResourceRecordSet = { Name: '_passage-default.play.example.com.', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '192.0.2.1' }] };
    assert.equal(planDns(desired, [foreign]).conflicts.length, 1);
  });

  test('with a single region there is nothing to fail over to: `*` aliases its NLB', () => {
    const one: DesiredDns = { ...desired, regions: [desired.regions[1]!] };
    const records = desiredRecordSets(one);
    assert.equal(records.some((r) => r.Failover !== undefined), false);
    assert.equal(records.find((r) => r.GeoLocation?.CountryCode === '*')?.AliasTarget?.DNSName, 'us-nlb.elb.us-east-1.amazonaws.com.');
  });
});
