// The pull-request plan: the four plan commands run against mocked AWS answers (aws-sdk-client-mock) and
// a fake CDK, their JSON goes through `passagectl plan-summary`, and the Markdown says what merging
// would change. Plus the renderer's own guarantees: a failed step is reported, not fatal, and no text
// from a plan (a cdk diff, a record name) can break out of its Markdown.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudFormationClient, DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ListHostedZonesByNameCommand, ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { GetWebACLCommand, WAFV2Client } from '@aws-sdk/client-wafv2';
import { run as deploy } from '../../../cli/commands/deploy.ts';
import { run as dns } from '../../../cli/commands/dns.ts';
import { run as keysGenerate } from '../../../cli/commands/keys-generate.ts';
import { run as planSummary } from '../../../cli/commands/plan-summary.ts';
import { run as publish } from '../../../cli/commands/table-publish.ts';
import { run as tableDiff } from '../../../cli/commands/table-diff.ts';
import { run as waf } from '../../../cli/commands/waf.ts';
import type { CdkRunner } from '../../../cli/deploy/cdk.ts';
import { awsDeployCloud } from '../../../cli/deploy/cloud.ts';
import { MAX_SUMMARY_CHARS, renderPlanSummary, SUMMARY_MARKER } from '../../../cli/plan/summary.ts';
import { edgeWebAclName } from '../../../infra/stacks/passage.ts';
import { fakeContext, trustedBy } from '../../helpers/tables.ts';

process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const REGIONS = fileURLToPath(new URL('../../fixtures/aws/passage.regions.toml', import.meta.url));
const NOW = Date.parse('2030-01-01T00:00:00Z');
const dir = mkdtempSync(join(tmpdir(), 'passage-plan-'));
const S3 = 's3://passage-prod-controlplane-tableendpointbucket-abc/table.json?region=eu-west-1';

const cfn = mockClient(CloudFormationClient);
const ddb = mockClient(DynamoDBClient);
const route53 = mockClient(Route53Client);
const s3 = mockClient(S3Client);
const wafv2 = mockClient(WAFV2Client);
after(() => [cfn, ddb, route53, s3, wafv2].forEach((m) => m.restore()));

function stackNamed(name: string): Stack {
  const region = /Passage-prod-(.+)$/.exec(name)![1]!;
  const outputs: Record<string, string> = name.endsWith('-Edge')
    ? { WebAclName: edgeWebAclName('prod'), WebAclId: 'acl-1' }
    : { ClusterName: `c-${region}`, ServiceName: 'routers', LoadBalancerDnsName: `${region}.elb.amazonaws.com`, LoadBalancerHostedZoneId: 'ZNLB' };
  return { StackName: name, StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(0), Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })) };
}

const objects = new Map<string, string>();
function answerAws(): void {
  cfn.on(DescribeStacksCommand).callsFake((input: { StackName: string }) => ({ Stacks: [stackNamed(input.StackName)] }));
  ddb.on(GetItemCommand).resolves({ Item: { pk: { S: 'TABLE#prod' }, sk: { S: 'LATEST' }, version: { N: '5' } } });
  route53.on(ListHostedZonesByNameCommand).resolves({ HostedZones: [{ Id: '/hostedzone/Z9', Name: 'example.com.', CallerReference: 'x' }] });
  route53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [] });
  // The live ACL has the token rule and no rate rule yet: the file's table-per-ip is an `add`.
  wafv2.on(GetWebACLCommand).resolves({
    WebACL: { Name: edgeWebAclName('prod'), Id: 'acl-1', ARN: 'arn:acl', DefaultAction: { Allow: {} }, Rules: [], VisibilityConfig: { SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: 'acl' } },
    LockToken: 'l1',
  });
  s3.on(GetObjectCommand).callsFake((input: { Key: string }) => {
    const body = objects.get(input.Key);
    if (body === undefined) throw new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } });
    return { Body: Readable.from([Buffer.from(body)]) as unknown as GetObjectCommandOutput['Body'], ETag: '"e1"', ContentLength: Buffer.byteLength(body), Metadata: {} };
  });
  s3.on(PutObjectCommand).callsFake((input: { Key: string; Body: string }) => (objects.set(input.Key, String(input.Body)), { ETag: '"e1"' }));
}

/** `cdk diff` says the eu-west-1 stack changes (a new task definition) and nothing else does. */
const cdk: CdkRunner = {
  async synth() {},
  async diff(stacks) {
    const changes = stacks[0] === 'Passage-prod-eu-west-1';
    return { changes, text: changes ? 'Stack Passage-prod-eu-west-1\nResources\n[~] AWS::ECS::TaskDefinition Task\n' : 'There were no differences\n' };
  },
  async deploy() {
    throw new Error('a plan never deploys');
  },
};

const routes = (version: number, address: string): string =>
  ['table_id = "prod"', `version = ${version}`, '[[routes]]', 'id = "lobby"', 'hosts = ["play.example.com"]', '[[routes.targets]]', 'id = "a"', `address = "${address}"`, ''].join('\n');

describe('the pull-request plan, end to end against mocked AWS', () => {
  let markdown = '';
  before(async () => {
    answerAws();
    await keysGenerate({ out: join(dir, 'keys') }, fakeContext());
    const key = join(dir, 'keys', 'passage-signing.key');
    const routesFile = join(dir, 'routes.toml');
    writeFileSync(routesFile, routes(5, '10.0.0.1:25565'));
    await publish({ file: routesFile, to: S3, keys: [key], expiresInMs: 3_600_000, ...trustedBy(key) }, fakeContext({ now: () => NOW }));
    // The pull request moves the lobby target.
    writeFileSync(routesFile, routes(6, '10.0.0.2:25565'));

    const out = async (f: (ctx: ReturnType<typeof fakeContext>) => Promise<unknown>): Promise<string> => {
      const ctx = fakeContext({ json: true, now: () => NOW });
      await f(ctx);
      return ctx.out();
    };
    const cloud = awsDeployCloud({
      cloudFormation: (region) => new CloudFormationClient({ region, credentials }),
      ecs: (region) => new ECSClient({ region, credentials }),
      dynamodb: (region) => new DynamoDBClient({ region, credentials }),
    });
    const files = {
      deploy: join(dir, 'plan-deploy.ndjson'),
      dns: join(dir, 'plan-dns.json'),
      waf: join(dir, 'plan-waf.json'),
      table: join(dir, 'plan-table.json'),
    };
    writeFileSync(files.deploy, await out((ctx) => deploy(
      { file: REGIONS, allRegions: true, dryRun: true, detailedExitcode: false, yes: false, detach: false, routes: 'routes.toml', listen: { host: '127.0.0.1', port: 0 }, delayMs: 0, hold: false },
      ctx, { cdk, cloud, sleep: async () => {}, pollIntervalMs: 1, timeoutMs: 60_000 })));
    const cloudFormation = (region: string) => new CloudFormationClient({ region, credentials });
    writeFileSync(files.dns, await out((ctx) => dns('plan', { file: REGIONS, detailedExitcode: false }, ctx, { route53: new Route53Client({ region: 'us-east-1', credentials }), cloudFormation, wait: { sleep: async () => {}, intervalMs: 1 } })));
    writeFileSync(files.waf, await out((ctx) => waf('plan', { file: REGIONS, detailedExitcode: false }, ctx, { wafv2: new WAFV2Client({ region: 'us-east-1', credentials }), cloudFormation })));
    writeFileSync(files.table, await out((ctx) => tableDiff({ file: routesFile, from: S3 }, ctx)));
    const ctx = fakeContext();
    assert.equal(await planSummary(files, ctx), 0);
    markdown = ctx.out();
  });

  test('the summary starts with the marker the workflow finds its own comment by, and says merging applies changes', () => {
    assert.ok(markdown.startsWith(`${SUMMARY_MARKER}\n## Passage plan\n`), markdown.slice(0, 80));
    assert.match(markdown, /^Merging applies these changes\.$/m);
  });

  test('the stacks section lists each stack and shows the cdk diff of the one that changes', () => {
    assert.match(markdown, /1 of 5 stacks would change:/);
    assert.match(markdown, /^- `Passage-prod-eu-west-1`: \*\*changes\*\*$/m);
    assert.match(markdown, /^- `Passage-prod-us-east-1`: no changes$/m);
    assert.match(markdown, /```diff\n(.*\n)*\[~\] AWS::ECS::TaskDefinition Task\n```/);
  });

  test('the GeoDNS section lists the records Route53 lacks, with their NLB targets', () => {
    assert.match(markdown, /`play\.example\.com\.`: 9 record changes:/);
    assert.match(markdown, /^- \+ `passage:eu-west-1:EU` → `eu-west-1\.elb\.amazonaws\.com\.`$/m);
    assert.match(markdown, /^- \+ `passage:us-east-1:\*` → `_passage-default\.play\.example\.com\.`$/m);
  });

  test('the WAF section lists the rate rule the live ACL lacks', () => {
    assert.match(markdown, new RegExp(`Web ACL \`${edgeWebAclName('prod')}\`: 1 rule changes:`));
    assert.match(markdown, /^- `add` `table-per-ip`$/m);
  });

  test("the table section names the versions and the route whose target moved", () => {
    assert.match(markdown, /v5 → v6: 0 routes added, 0 removed, 1 changed\./);
    assert.match(markdown, /^- ~ route `lobby`: 0 targets added, 0 removed, 1 changed$/m);
  });
});

describe('renderPlanSummary', () => {
  test('a step that failed, wrote nothing or wrote no JSON is reported in its section, and the verdict says so', () => {
    const s = renderPlanSummary({ deploy: '', dns: '{"ok":false,"error":{"code":"PASSAGE_AWS_CREDENTIALS","message":"no credentials"}}', waf: 'npx: not found' });
    assert.equal(s.failed, true);
    assert.match(s.markdown, /\*\*Some parts could not be planned\.\*\*/);
    assert.match(s.markdown, /_Not planned: the dry run wrote no events/);
    assert.match(s.markdown, /\*\*Failed\*\*: `PASSAGE_AWS_CREDENTIALS` `no credentials`/);
    assert.match(s.markdown, /_Not planned: the step did not write JSON/);
    assert.match(s.markdown, /no table location is configured/);
  });

  test('nothing to change says so', () => {
    const s = renderPlanSummary({
      deploy: `${JSON.stringify({ type: 'diff', target: 'S', changes: false, text: '' })}\n${JSON.stringify({ type: 'result', target: 'S', outcome: 'no-changes', exitCode: 0, message: '' })}\n`,
      dns: JSON.stringify({ ok: true, recordName: 'play.example.com', changes: [], conflicts: [] }),
      waf: JSON.stringify({ ok: true, webAcl: { name: 'acl' }, changes: [{ action: 'no-op', name: 'r' }] }),
      table: JSON.stringify({ fromVersion: 3, toVersion: 3, added: [], removed: [], changed: [], identical: true }),
    });
    assert.deepEqual([s.changes, s.failed], [false, false]);
    assert.match(s.markdown, /^Merging changes nothing in AWS\.$/m);
  });

  test('no text from a plan can close its code fence or inline code, and the summary fits a PR comment', () => {
    const hostile = 'x\n```\n# injected heading\n````';
    const s = renderPlanSummary({
      deploy: `${JSON.stringify({ type: 'diff', target: 'a`b', changes: true, text: hostile.repeat(5000) })}\n`,
      dns: JSON.stringify({ ok: true, recordName: 'r`\n# h', changes: [], conflicts: [] }),
    });
    assert.ok(s.markdown.length <= MAX_SUMMARY_CHARS + 200, String(s.markdown.length));
    assert.doesNotMatch(s.markdown, /^# injected heading$(?![\s\S]*^`{5}$)/m);
    const fence = /^(`{5,})diff$/m.exec(s.markdown)?.[1];
    assert.equal(fence, '`````', 'a fence longer than any backtick run inside');
    assert.match(s.markdown, /`a'b`/);
    assert.match(s.markdown, /`r' # h`: in sync\./);
  });
});
