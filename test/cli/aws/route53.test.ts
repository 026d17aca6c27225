import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
  type ResourceRecordSet,
} from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import { desiredRecordSets, type DesiredDns } from '../../../cli/aws/dns-plan.ts';
import { DnsConflictError, DnsWaitTimeoutError, HostedZoneNotFoundError } from '../../../cli/aws/errors.ts';
import { findHostedZoneId, listRecordSets, syncDns, waitForChangeInsync } from '../../../cli/aws/route53.ts';

const route53 = mockClient(Route53Client);
const client = new Route53Client({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
const noSleep = async () => {};

const desired: DesiredDns = {
  recordName: 'play.example.com',
  defaultRegion: 'eu-west-1',
  regions: [
    { region: 'eu-west-1', nlbDnsName: 'eu.elb.eu-west-1.amazonaws.com', nlbHostedZoneId: 'Z2IFOLAFXWLO4F', locations: [{ kind: 'continent', code: 'EU' }] },
    { region: 'us-east-1', nlbDnsName: 'us.elb.us-east-1.amazonaws.com', nlbHostedZoneId: 'Z26RNL4JYFTOTI', locations: [{ kind: 'continent', code: 'NA' }] },
  ],
};

beforeEach(() => route53.reset());

describe('listRecordSets', () => {
  test('follows pagination at the name and stops once the listing moves past it', async () => {
    const [eu, na, star] = desiredRecordSets(desired);
    route53
      .on(ListResourceRecordSetsCommand, { HostedZoneId: 'Z1', StartRecordName: 'play.example.com.' })
      .resolves({ ResourceRecordSets: [eu], IsTruncated: true, NextRecordName: 'play.example.com.', NextRecordType: 'A', NextRecordIdentifier: na.SetIdentifier, MaxItems: 1 })
      .on(ListResourceRecordSetsCommand, { HostedZoneId: 'Z1', StartRecordName: 'play.example.com.', StartRecordIdentifier: na.SetIdentifier })
      .resolves({ ResourceRecordSets: [na, star], IsTruncated: true, NextRecordName: 'www.example.com.', NextRecordType: 'A', MaxItems: 2 });

    const records = await listRecordSets(client, '/hostedzone/Z1', { name: 'Play.Example.com' });
    assert.deepEqual(records.map((r) => r.SetIdentifier), [eu.SetIdentifier, na.SetIdentifier, star.SetIdentifier]);
    const calls = route53.commandCalls(ListResourceRecordSetsCommand).map((c) => c.args[0].input);
    assert.deepEqual(calls, [
      { HostedZoneId: 'Z1', StartRecordName: 'play.example.com.' },
      { HostedZoneId: 'Z1', StartRecordName: 'play.example.com.', StartRecordType: 'A', StartRecordIdentifier: na.SetIdentifier },
    ]);
  });

  test('lists a whole zone page by page without a name', async () => {
    route53
      .on(ListResourceRecordSetsCommand)
      .resolvesOnce({ ResourceRecordSets: [{ Name: 'a.example.com.', Type: 'A' }], IsTruncated: true, NextRecordName: 'b.example.com.', NextRecordType: 'A', MaxItems: 1 })
      .resolvesOnce({ ResourceRecordSets: [{ Name: 'b.example.com.', Type: 'A' }], IsTruncated: false, MaxItems: 1 });
    const records = await listRecordSets(client, 'Z1');
    assert.deepEqual(records.map((r) => r.Name), ['a.example.com.', 'b.example.com.']);
  });
});

describe('findHostedZoneId', () => {
  test('finds the public zone by exact name', async () => {
    route53.on(ListHostedZonesByNameCommand).resolves({
      HostedZones: [
        { Id: '/hostedzone/ZPRIVATE', Name: 'example.com.', CallerReference: 'a', Config: { PrivateZone: true } },
        { Id: '/hostedzone/ZPUBLIC', Name: 'example.com.', CallerReference: 'b', Config: { PrivateZone: false } },
      ],
      IsTruncated: false,
      MaxItems: 10,
    });
    assert.equal(await findHostedZoneId(client, 'example.com'), 'ZPUBLIC');
  });

  test('says which zone is missing', async () => {
    route53.on(ListHostedZonesByNameCommand).resolves({ HostedZones: [{ Id: '/hostedzone/Z9', Name: 'example.org.', CallerReference: 'c' }], IsTruncated: false, MaxItems: 10 });
    await assert.rejects(findHostedZoneId(client, 'example.com'), HostedZoneNotFoundError);
  });
});

describe('syncDns', () => {
  test('creates the records in one batch and waits until Route53 is INSYNC', async () => {
    route53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [], IsTruncated: false, MaxItems: 300 });
    route53.on(ChangeResourceRecordSetsCommand).resolves({ ChangeInfo: { Id: '/change/C1', Status: 'PENDING', SubmittedAt: new Date() } });
    route53
      .on(GetChangeCommand, { Id: 'C1' })
      .resolvesOnce({ ChangeInfo: { Id: 'C1', Status: 'PENDING', SubmittedAt: new Date() } })
      .resolves({ ChangeInfo: { Id: 'C1', Status: 'INSYNC', SubmittedAt: new Date() } });

    const result = await syncDns(client, 'Z1', desired, { sleep: noSleep });
    assert.equal(result.changeId, 'C1');
    const [change] = route53.commandCalls(ChangeResourceRecordSetsCommand);
    const changes = change.args[0].input.ChangeBatch?.Changes ?? [];
    assert.deepEqual(changes.map((c) => [c.Action, c.ResourceRecordSet?.SetIdentifier]), [
      ['CREATE', 'passage:eu-west-1:EU'],
      ['CREATE', 'passage:us-east-1:NA'],
      // The default fails over (issue 20): the pair first, then `*` aliasing it.
      ['CREATE', 'passage:eu-west-1:failover-primary'],
      ['CREATE', 'passage:us-east-1:failover-secondary'],
      ['CREATE', 'passage:eu-west-1:*'],
    ]);
    assert.equal(route53.commandCalls(GetChangeCommand).length, 2);
  });

  test('a second apply against the same zone sends no change batch', async () => {
    const listed: ResourceRecordSet[] = desiredRecordSets({ ...desired, hostedZoneId: 'Z1' });
    route53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: listed, IsTruncated: false, MaxItems: 300 });
    const result = await syncDns(client, 'Z1', desired, { sleep: noSleep });
    assert.equal(result.changeId, undefined);
    assert.equal(result.plan.changes.length, 0);
    assert.equal(route53.commandCalls(ChangeResourceRecordSetsCommand).length, 0);
    assert.equal(route53.commandCalls(GetChangeCommand).length, 0);
  });

  test('a dry run only lists and plans', async () => {
    route53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [], IsTruncated: false, MaxItems: 300 });
    const result = await syncDns(client, 'Z1', desired, { dryRun: true });
    assert.equal(result.plan.changes.length, 5);
    assert.equal(route53.commandCalls(ChangeResourceRecordSetsCommand).length, 0);
  });

  test('refuses to apply next to a record it does not manage', async () => {
    route53.on(ListResourceRecordSetsCommand).resolves({
      ResourceRecordSets: [{ Name: 'play.example.com.', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '192.0.2.1' }] }],
      IsTruncated: false,
      MaxItems: 300,
    });
    await assert.rejects(syncDns(client, 'Z1', desired, { sleep: noSleep }), DnsConflictError);
    assert.equal(route53.commandCalls(ChangeResourceRecordSetsCommand).length, 0);
  });
});

describe('waitForChangeInsync', () => {
  test('gives up after the bound with the change id and last status', async () => {
    route53.on(GetChangeCommand).resolves({ ChangeInfo: { Id: 'C2', Status: 'PENDING', SubmittedAt: new Date() } });
    let clock = 0;
    const error = await waitForChangeInsync(client, 'C2', {
      timeoutMs: 30_000,
      intervalMs: 10_000,
      now: () => clock,
      sleep: async (ms) => {
        clock += ms;
      },
    }).catch((e: unknown) => e);
    assert.ok(error instanceof DnsWaitTimeoutError);
    assert.equal(error.code, 'PASSAGE_DNS_WAIT_TIMEOUT');
    assert.match(error.message, /C2 still PENDING after 30000 ms/);
    assert.equal(route53.commandCalls(GetChangeCommand).length, 4);
  });
});
