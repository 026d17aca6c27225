// `passagectl regions|dns|waf`: the regions file edited in place, and the Route53 / WAF call sequences
// with aws-sdk-client-mock (stack outputs from an outputs file or from CloudFormation).
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { ChangeResourceRecordSetsCommand, GetChangeCommand, ListHostedZonesByNameCommand, ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { GetWebACLCommand, UpdateWebACLCommand, WAFV2Client, type Rule, type WebACL } from '@aws-sdk/client-wafv2';
import { desiredRecordSets } from '../../../cli/aws/dns-plan.ts';
import { loadRegionsFile } from '../../../router/contracts/regions-file.ts';
import { desiredDnsFromOutputs } from '../../../cli/aws/stack-outputs.ts';
import { toWafRule } from '../../../cli/aws/waf-plan.ts';
import { CliError } from '../../../cli/context.ts';
import { run as dns } from '../../../cli/commands/dns.ts';
import { add, list, remove } from '../../../cli/commands/regions.ts';
import { run as waf } from '../../../cli/commands/waf.ts';
import { fakeContext } from '../../helpers/tables.ts';

const dir = mkdtempSync(join(tmpdir(), 'passagectl-aws-'));
const REGIONS = join(dir, 'passage.regions.toml');
copyFileSync(fileURLToPath(new URL('../../fixtures/aws/passage.regions.toml', import.meta.url)), REGIONS);
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const r53 = mockClient(Route53Client);
const wafMock = mockClient(WAFV2Client);
const cfn = mockClient(CloudFormationClient);
afterEach(() => {
  r53.reset();
  wafMock.reset();
  cfn.reset();
});

const outputs = {
  'Passage-prod-eu-west-1': { LoadBalancerDnsName: 'eu.elb.eu-west-1.amazonaws.com', LoadBalancerHostedZoneId: 'Z32O12XQLNTSW2' },
  'Passage-prod-us-east-1': { LoadBalancerDnsName: 'us.elb.us-east-1.amazonaws.com', LoadBalancerHostedZoneId: 'Z26RNL4JYFTOTI' },
  'Passage-prod-ap-southeast-1': { LoadBalancerDnsName: 'ap.elb.ap-southeast-1.amazonaws.com', LoadBalancerHostedZoneId: 'Z1LMS91P8CMLE5' },
  'Passage-prod-Edge': { WebAclName: 'passage-prod-table', WebAclId: 'acl-1' },
};
const outputsFile = join(dir, 'outputs.json');
writeFileSync(outputsFile, JSON.stringify(outputs));

describe('passagectl regions', () => {
  test('list shows every region with its locations; add and remove edit the file and keep its comments', async () => {
    const ctx = fakeContext();
    await list({ file: REGIONS }, ctx);
    assert.match(ctx.out(), /eu-west-1\s+EU AF\s+2…10\s+512\/1024\s+home/);
    assert.match(ctx.out(), /us-east-1\s+NA SA\s+2…10\s+512\/1024\s+default \(\*\)/);

    await add({ file: REGIONS, region: { name: 'me-south-1', countries: ['AE', 'BH'], desiredCount: 1 } }, fakeContext());
    const json = fakeContext({ json: true });
    await list({ file: REGIONS }, json);
    const added = JSON.parse(json.out()).regions.find((r: { name: string }) => r.name === 'me-south-1');
    assert.deepEqual(added, { name: 'me-south-1', locations: ['AE', 'BH'], desiredCount: 1, maxCount: 4, cpu: 512, memory: 1024 });
    assert.match(readFileSync(REGIONS, 'utf8'), /# control plane: the DynamoDB writer/);

    await remove({ file: REGIONS, name: 'me-south-1' }, fakeContext());
    assert.doesNotMatch(readFileSync(REGIONS, 'utf8'), /me-south-1/);
  });

  test('mistakes are one-line CliErrors naming the key, not stacks', async () => {
    await assert.rejects(remove({ file: REGIONS, name: 'eu-west-1' }, fakeContext()), (err: unknown) => err instanceof CliError && err.code === 'PASSAGE_REGIONS_INVALID' && /home region/.test(err.message));
    await assert.rejects(add({ file: REGIONS, region: { name: 'sa-east-1', continents: ['SA'] } }, fakeContext()), (err: unknown) => err instanceof CliError && /location SA is already served by us-east-1/.test(err.message));
    await assert.rejects(list({ file: join(dir, 'missing.toml') }, fakeContext()), (err: unknown) => err instanceof CliError && /does not exist/.test(err.message));
  });
});

describe('passagectl dns', () => {
  const clients = () => ({
    route53: new Route53Client({ region: 'us-east-1', credentials }),
    cloudFormation: (region: string) => new CloudFormationClient({ region, credentials }),
    wait: { sleep: async () => {}, intervalMs: 1 },
  });

  test('plan shows a diff; apply sends one batch and waits for INSYNC; a second apply changes nothing', async () => {
    const file = await loadRegionsFile(REGIONS);
    const wanted = desiredRecordSets({ ...desiredDnsFromOutputs(file, outputs), hostedZoneId: 'Z9' });
    r53.on(ListHostedZonesByNameCommand).resolves({ HostedZones: [{ Id: '/hostedzone/Z9', Name: 'example.com.', CallerReference: 'x' }] });
    // Each plan lists two names (the domain and the default's failover pair): plan, apply, then in sync.
    const empty = { ResourceRecordSets: [] };
    r53.on(ListResourceRecordSetsCommand).resolvesOnce(empty).resolvesOnce(empty).resolvesOnce(empty).resolvesOnce(empty).resolves({ ResourceRecordSets: wanted });
    r53.on(ChangeResourceRecordSetsCommand).resolves({ ChangeInfo: { Id: '/change/C1', Status: 'PENDING', SubmittedAt: new Date() } });
    r53.on(GetChangeCommand).resolvesOnce({ ChangeInfo: { Id: 'C1', Status: 'PENDING', SubmittedAt: new Date() } }).resolves({ ChangeInfo: { Id: 'C1', Status: 'INSYNC', SubmittedAt: new Date() } });

    const plan = fakeContext();
    assert.equal(await dns('plan', { file: REGIONS, outputsFile, detailedExitcode: true }, plan, clients()), 3);
    // Six locations, the default `*`, and the default's failover pair (issue 20).
    assert.match(plan.out(), /play\.example\.com: 9 to create, 0 to update, 0 to delete/);
    assert.match(plan.out(), /\+ EU\s+passage:eu-west-1:EU → eu\.elb\.eu-west-1\.amazonaws\.com/);
    assert.equal(r53.commandCalls(ChangeResourceRecordSetsCommand).length, 0);

    const apply = fakeContext();
    assert.equal(await dns('apply', { file: REGIONS, outputsFile, detailedExitcode: false }, apply, clients()), 0);
    assert.match(apply.out(), /applied as change C1; Route53 reports INSYNC/);
    const batch = r53.commandCalls(ChangeResourceRecordSetsCommand)[0]!.args[0].input;
    assert.equal(batch.HostedZoneId, 'Z9');
    assert.equal(batch.ChangeBatch?.Changes?.length, 9);
    assert.equal(r53.commandCalls(GetChangeCommand).length, 2);

    const again = fakeContext({ json: true });
    assert.equal(await dns('apply', { file: REGIONS, outputsFile, detailedExitcode: false }, again, clients()), 0);
    assert.deepEqual(JSON.parse(again.out()).changes, []);
    assert.equal(r53.commandCalls(ChangeResourceRecordSetsCommand).length, 1, 'the second apply sent nothing');
  });

  test('without --outputs the NLBs come from CloudFormation; a region never deployed is named', async () => {
    const missing = Object.assign(new Error('Stack with id Passage-prod-us-east-1 does not exist'), { name: 'ValidationError' });
    cfn.on(DescribeStacksCommand).rejects(missing);
    cfn.on(DescribeStacksCommand, { StackName: 'Passage-prod-eu-west-1' }).resolves({ Stacks: [{ StackName: 'Passage-prod-eu-west-1', StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(), Outputs: [{ OutputKey: 'LoadBalancerDnsName', OutputValue: 'x' }, { OutputKey: 'LoadBalancerHostedZoneId', OutputValue: 'Z' }] }] });
    await assert.rejects(dns('plan', { file: REGIONS, detailedExitcode: false }, fakeContext(), clients()), (err: unknown) => err instanceof CliError && err.code === 'PASSAGE_STACK_OUTPUT_MISSING' && /Passage-prod-us-east-1 has no output LoadBalancerDnsName/.test(err.message));
  });
});

describe('passagectl waf', () => {
  const acl = (rules: Rule[]): WebACL => ({ Name: 'passage-prod-table', Id: 'acl-1', ARN: 'arn:acl', DefaultAction: { Allow: {} }, VisibilityConfig: { SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: 'acl' }, Rules: rules });
  const clients = () => ({ wafv2: new WAFV2Client({ region: 'us-east-1', credentials }), cloudFormation: (region: string) => new CloudFormationClient({ region, credentials }) });

  test('plan shows the rule to add; apply writes it and reads it back; a second apply changes nothing', async () => {
    const file = await loadRegionsFile(REGIONS);
    const after = file.rateRules.map((spec, i) => toWafRule(spec, i));
    wafMock.on(GetWebACLCommand).resolvesOnce({ WebACL: acl([]), LockToken: 'l1' }).resolvesOnce({ WebACL: acl([]), LockToken: 'l1' }).resolves({ WebACL: acl(after), LockToken: 'l2' });
    wafMock.on(UpdateWebACLCommand).resolves({ NextLockToken: 'l2' });

    const plan = fakeContext();
    assert.equal(await waf('plan', { file: REGIONS, outputsFile, detailedExitcode: true }, plan, clients()), 3);
    assert.match(plan.out(), /passage-prod-table: 1 to add, 0 to change, 0 to remove/);
    assert.match(plan.out(), /\+ table-per-ip: 600 per 300s per IP, block/);

    const apply = fakeContext();
    assert.equal(await waf('apply', { file: REGIONS, outputsFile, detailedExitcode: false }, apply, clients()), 0);
    assert.match(apply.out(), /the web ACL is in sync/);
    const update = wafMock.commandCalls(UpdateWebACLCommand)[0]!.args[0].input;
    assert.equal(update.LockToken, 'l1');
    assert.equal(update.Scope, 'CLOUDFRONT');
    assert.deepEqual(update.Rules, after);

    const again = fakeContext();
    assert.equal(await waf('apply', { file: REGIONS, outputsFile, detailedExitcode: false }, again, clients()), 0);
    assert.match(again.out(), /no changes/);
    assert.equal(wafMock.commandCalls(UpdateWebACLCommand).length, 1);
  });
});
