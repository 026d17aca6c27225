import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ResourceRecordSet } from '@aws-sdk/client-route-53';
import { desiredRecordSets, planDns, renderDnsPlan, toChangeBatch, type DesiredDns } from '../../../cli/aws/dns-plan.ts';

const EU = { region: 'eu-west-1', nlbDnsName: 'eu-nlb.elb.eu-west-1.amazonaws.com', nlbHostedZoneId: 'Z2IFOLAFXWLO4F' };
const US = { region: 'us-east-1', nlbDnsName: 'us-nlb.elb.us-east-1.amazonaws.com', nlbHostedZoneId: 'Z26RNL4JYFTOTI' };

const desired: DesiredDns = {
  recordName: 'play.example.com',
  defaultRegion: 'eu-west-1',
  regions: [
    { ...EU, locations: [{ kind: 'continent', code: 'EU' }] },
    { ...US, locations: [{ kind: 'continent', code: 'NA' }, { kind: 'subdivision', country: 'US', code: 'CA' }] },
  ],
};

/** What Route53 answers for records we created: absolute lower-case names with trailing dots. */
function asListed(records: ResourceRecordSet[]): ResourceRecordSet[] {
  return records.map((r) => ({ ...r, AliasTarget: { ...r.AliasTarget!, DNSName: r.AliasTarget!.DNSName!.toLowerCase() } }));
}
const inSync = asListed(desiredRecordSets(desired));

describe('desiredRecordSets', () => {
  test('makes one alias record per region and location plus the default `*`, target health evaluated', () => {
    const records = desiredRecordSets(desired);
    assert.deepEqual(
      records.map((r) => [r.SetIdentifier, r.GeoLocation]),
      [
        ['passage:eu-west-1:EU', { ContinentCode: 'EU' }],
        ['passage:us-east-1:NA', { ContinentCode: 'NA' }],
        ['passage:us-east-1:US-CA', { CountryCode: 'US', SubdivisionCode: 'CA' }],
        ['passage:eu-west-1:*', { CountryCode: '*' }],
      ],
    );
    for (const record of records) {
      assert.equal(record.Name, 'play.example.com.');
      assert.equal(record.Type, 'A');
      assert.equal(record.AliasTarget?.EvaluateTargetHealth, true);
    }
    assert.deepEqual(records[3].AliasTarget, { HostedZoneId: EU.nlbHostedZoneId, DNSName: `${EU.nlbDnsName}.`, EvaluateTargetHealth: true });
  });
});

describe('planDns', () => {
  const unrelated: ResourceRecordSet = { Name: 'example.com.', Type: 'NS', TTL: 172800, ResourceRecords: [{ Value: 'ns-1.awsdns-00.com.' }] };
  const otherName: ResourceRecordSet = { Name: 'www.example.com.', Type: 'A', TTL: 300, ResourceRecords: [{ Value: '192.0.2.1' }] };

  const cases: { name: string; current: ResourceRecordSet[]; want: DesiredDns; expect: [string, string][]; conflicts?: number }[] = [
    {
      name: 'creates every record in an empty zone',
      current: [unrelated, otherName],
      want: desired,
      expect: [
        ['CREATE', 'passage:eu-west-1:EU'],
        ['CREATE', 'passage:us-east-1:NA'],
        ['CREATE', 'passage:us-east-1:US-CA'],
        ['CREATE', 'passage:eu-west-1:*'],
      ],
    },
    {
      name: 'changes nothing when the zone already matches (names and case as Route53 lists them)',
      current: [unrelated, ...inSync, otherName],
      want: desired,
      expect: [],
    },
    {
      name: 'upserts the records of a region whose NLB changed',
      current: inSync,
      want: { ...desired, regions: [desired.regions[0], { ...desired.regions[1], nlbDnsName: 'us-nlb-2.elb.us-east-1.amazonaws.com' }] },
      expect: [
        ['UPSERT', 'passage:us-east-1:NA'],
        ['UPSERT', 'passage:us-east-1:US-CA'],
      ],
    },
    {
      name: 'upserts a record whose target health evaluation was turned off by hand',
      current: inSync.map((r) => (r.SetIdentifier === 'passage:eu-west-1:EU' ? { ...r, AliasTarget: { ...r.AliasTarget!, EvaluateTargetHealth: false } } : r)),
      want: desired,
      expect: [['UPSERT', 'passage:eu-west-1:EU']],
    },
    {
      name: 'deletes the records of a region that left the file',
      current: inSync,
      want: { ...desired, regions: [desired.regions[0]] },
      expect: [
        ['DELETE', 'passage:us-east-1:NA'],
        ['DELETE', 'passage:us-east-1:US-CA'],
      ],
    },
    {
      name: 'moves a location between regions as delete-then-create in one batch',
      current: inSync,
      want: {
        ...desired,
        regions: [
          { ...EU, locations: [{ kind: 'continent', code: 'EU' }, { kind: 'continent', code: 'NA' }] },
          { ...US, locations: [{ kind: 'subdivision', country: 'US', code: 'CA' }] },
        ],
      },
      expect: [
        ['DELETE', 'passage:us-east-1:NA'],
        ['CREATE', 'passage:eu-west-1:NA'],
      ],
    },
    {
      name: 'moves the default location to another region',
      current: inSync,
      want: { ...desired, defaultRegion: 'us-east-1' },
      expect: [
        ['DELETE', 'passage:eu-west-1:*'],
        ['CREATE', 'passage:us-east-1:*'],
      ],
    },
    {
      name: 'reports an unmanaged A record at the same name as a conflict',
      current: [{ Name: 'play.example.com.', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '192.0.2.10' }] }],
      want: desired,
      expect: [
        ['CREATE', 'passage:eu-west-1:EU'],
        ['CREATE', 'passage:us-east-1:NA'],
        ['CREATE', 'passage:us-east-1:US-CA'],
        ['CREATE', 'passage:eu-west-1:*'],
      ],
      conflicts: 1,
    },
    {
      name: 'reports a CNAME at the same name as a conflict (it cannot coexist with the A records)',
      current: [{ Name: 'play.example.com.', Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: 'old-lb.example.net' }] }],
      want: desired,
      expect: [
        ['CREATE', 'passage:eu-west-1:EU'],
        ['CREATE', 'passage:us-east-1:NA'],
        ['CREATE', 'passage:us-east-1:US-CA'],
        ['CREATE', 'passage:eu-west-1:*'],
      ],
      conflicts: 1,
    },
  ];

  for (const c of cases) {
    test(c.name, () => {
      const plan = planDns(c.want, c.current);
      assert.deepEqual(
        plan.changes.map((ch) => [ch.action, ch.recordSet.SetIdentifier]),
        c.expect,
      );
      assert.equal(plan.conflicts.length, c.conflicts ?? 0);
    });
  }

  test('deletes with the record exactly as listed (Route53 requires a full match)', () => {
    const plan = planDns({ ...desired, regions: [desired.regions[0]] }, inSync);
    const deleted = plan.changes.find((c) => c.action === 'DELETE');
    assert.equal(deleted?.recordSet, inSync.find((r) => r.SetIdentifier === deleted?.recordSet.SetIdentifier));
    assert.deepEqual(toChangeBatch(plan)[0], { Action: 'DELETE', ResourceRecordSet: deleted?.recordSet });
  });
});

describe('renderDnsPlan', () => {
  test('shows a diff line per change and says so when there is nothing to do', () => {
    const moved = planDns({ ...desired, regions: [desired.regions[0], { ...desired.regions[1], nlbDnsName: 'new.elb.amazonaws.com' }] }, inSync.slice(1));
    assert.equal(
      renderDnsPlan(moved),
      [
        'play.example.com: 1 to create, 2 to update, 0 to delete',
        '  + EU     passage:eu-west-1:EU → eu-nlb.elb.eu-west-1.amazonaws.com',
        '  ~ NA     passage:us-east-1:NA: us-nlb.elb.us-east-1.amazonaws.com → new.elb.amazonaws.com',
        '  ~ US-CA  passage:us-east-1:US-CA: us-nlb.elb.us-east-1.amazonaws.com → new.elb.amazonaws.com',
      ].join('\n'),
    );
    assert.equal(renderDnsPlan(planDns(desired, inSync)), 'play.example.com: no changes');
  });
});
