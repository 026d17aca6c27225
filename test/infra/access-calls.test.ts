// One list of AWS calls per role, derived from the code: every command path a role exists for runs
// against aws-sdk-client-mock, which records each SDK command sent; the role's policy in the access
// stack must allow exactly those actions (nothing missing, nothing unused). `sts:AssumeRole` lines are
// the CDK CLI's and are checked by name: deploy and asset publishing for the deploy role, lookup for plans.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Readable } from 'node:stream';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import { CloudFormationClient, DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import { DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { DescribeServicesCommand, ECSClient, UpdateServiceCommand, type Deployment } from '@aws-sdk/client-ecs';
import { ChangeResourceRecordSetsCommand, GetChangeCommand, ListHostedZonesByNameCommand, ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, NoSuchKey, NotFound, PutObjectCommand, S3Client, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { GetWebACLCommand, UpdateWebACLCommand, WAFV2Client } from '@aws-sdk/client-wafv2';
import { loadRegionsFile, type RegionsFile } from '../../router/contracts/regions-file.ts';
import { ACCESS_ROLES, accessRoleName, accessStackName, type AccessRole } from '../../router/contracts/stacks.ts';
import { run as deploy, type DeployOptions } from '../../cli/commands/deploy.ts';
import { run as dns } from '../../cli/commands/dns.ts';
import { run as waf } from '../../cli/commands/waf.ts';
import { run as keysGenerate } from '../../cli/commands/keys-generate.ts';
import { run as publish } from '../../cli/commands/table-publish.ts';
import { run as history } from '../../cli/commands/table-history.ts';
import { run as tableDiff } from '../../cli/commands/table-diff.ts';
import { run as gc } from '../../cli/commands/table-gc.ts';
import { chunkObjectKey } from '../../router/table/chunk-keys.ts';
import { CdkFailedError, diffArgs, type CdkOptions, type CdkRunner } from '../../cli/deploy/cdk.ts';
import { awsDeployCloud } from '../../cli/deploy/cloud.ts';
import { AccessStack } from '../../infra/stacks/access-stack.ts';
import { edgeWebAclName } from '../../infra/stacks/passage.ts';
import { fakeContext, trustedBy } from '../helpers/tables.ts';

// The SDK clients the stores build from a location read the default credential chain.
process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const REGIONS = fileURLToPath(new URL('../fixtures/aws/passage.regions.toml', import.meta.url));
const NOW = Date.parse('2030-01-01T00:00:00Z');
const dir = mkdtempSync(join(tmpdir(), 'passage-access-'));

const mocks: Readonly<Record<string, AwsStub<any, any, any>>> = {
  cloudformation: mockClient(CloudFormationClient),
  dynamodb: mockClient(DynamoDBClient),
  ecs: mockClient(ECSClient),
  route53: mockClient(Route53Client),
  s3: mockClient(S3Client),
  wafv2: mockClient(WAFV2Client),
};
after(() => Object.values(mocks).forEach((m) => m.restore()));

/** IAM's name for an SDK command: the service prefix and the operation (S3's list is `ListBucket`). */
/** SDK calls whose IAM action has another name (HEAD is authorized as s3:GetObject). */
const IAM_ACTION_OF: Readonly<Record<string, string>> = { 's3:ListObjectsV2': 's3:ListBucket', 's3:HeadObject': 's3:GetObject' };
function recordedActions(): string[] {
  const actions = Object.entries(mocks).flatMap(([service, mock]) =>
    mock.calls().map((call) => {
      const action = `${service}:${(call.args[0] as object).constructor.name.replace(/Command$/, '')}`;
      return IAM_ACTION_OF[action] ?? action;
    }),
  );
  return [...new Set(actions)].sort();
}

let file: RegionsFile;
let template: Template;
before(async () => {
  file = await loadRegionsFile(REGIONS);
  const stack = new AccessStack(new App(), accessStackName(file.tableId), {
    env: { region: file.homeRegion },
    tableId: file.tableId,
    tableName: file.tableName,
    homeRegion: file.homeRegion,
    domain: file.domain,
    webAclName: edgeWebAclName(file.tableId),
    githubRepository: 'example/passage',
  });
  template = Template.fromStack(stack);
});

interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}
function statementsOf(role: AccessRole): Statement[] {
  const [found] = Object.values(template.findResources('AWS::IAM::Role', { Properties: { RoleName: accessRoleName(file.tableId, role) } }));
  assert.ok(found, `the access stack has the ${role} role`);
  return (found.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[]).flatMap((p) => p.PolicyDocument.Statement);
}
const actionsOf = (statements: Statement[]): string[] => [...new Set(statements.flatMap((s) => [s.Action].flat()))].sort();
const allowedCalls = (role: AccessRole): string[] => actionsOf(statementsOf(role).filter((s) => s.Effect === 'Allow')).filter((a) => a !== 'sts:AssumeRole');
/** The CDK bootstrap roles a role may assume, by kind (`deploy`, `lookup`, …). */
function assumedCdkRoles(role: AccessRole): string[] {
  const resources = statementsOf(role).filter((s) => [s.Action].flat().includes('sts:AssumeRole')).flatMap((s) => [s.Resource].flat());
  return resources.map((r) => /cdk-hnb659fds-([a-z-]+)-role-/.exec(JSON.stringify(r))?.[1] ?? JSON.stringify(r)).sort();
}

// ---- the AWS answers the command paths get ----

const stackUpdatedAt = new Date(NOW - 120_000);
function stackNamed(name: string): Stack {
  const region = /Passage-prod-(.+)$/.exec(name)![1]!;
  const outputs: Record<string, string> = name.endsWith('-Edge')
    ? { WebAclName: edgeWebAclName('prod'), WebAclId: 'acl-1' }
    : { ClusterName: `Passage-prod-${region}-Cluster`, ServiceName: 'routers', LoadBalancerDnsName: `${region}.elb.amazonaws.com`, LoadBalancerHostedZoneId: 'ZNLB' };
  return { StackName: name, StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(0), LastUpdatedTime: stackUpdatedAt, Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })) };
}

/** Actions recorded so far by the current role's paths (kept across the resets between runs). */
const seen = new Set<string>();
function resetMocks(): void {
  recordedActions().forEach((action) => seen.add(action));
  Object.values(mocks).forEach((m) => m.reset());
}

function answerAws(opts: { cloudFormationRolls: boolean }): void {
  resetMocks();
  mocks.cloudformation!.on(DescribeStacksCommand).callsFake((input: { StackName: string }) => ({ Stacks: [stackNamed(input.StackName)] }));
  const deployment = (createdAt: number): Deployment => ({ id: 'ecs-svc/1', status: 'PRIMARY', rolloutState: 'COMPLETED', desiredCount: 2, runningCount: 2, pendingCount: 0, failedTasks: 0, createdAt: new Date(createdAt) });
  const created = opts.cloudFormationRolls ? stackUpdatedAt.getTime() + 1000 : stackUpdatedAt.getTime() - 86_400_000;
  mocks.ecs!.on(DescribeServicesCommand).resolves({ services: [{ deployments: [deployment(created)] }] });
  mocks.ecs!.on(UpdateServiceCommand).resolves({ service: { deployments: [deployment(NOW)] } });
  mocks.dynamodb!.on(GetItemCommand).resolves({});
  mocks.dynamodb!.on(QueryCommand).resolves({ Items: [] });
  mocks.dynamodb!.on(PutItemCommand).resolves({});
  mocks.route53!.on(ListHostedZonesByNameCommand).resolves({ HostedZones: [{ Id: '/hostedzone/Z9', Name: 'example.com.', CallerReference: 'x' }] });
  mocks.route53!.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [] });
  mocks.route53!.on(ChangeResourceRecordSetsCommand).resolves({ ChangeInfo: { Id: '/change/C1', Status: 'PENDING', SubmittedAt: new Date() } });
  mocks.route53!.on(GetChangeCommand).resolves({ ChangeInfo: { Id: 'C1', Status: 'INSYNC', SubmittedAt: new Date() } });
  const acl = { Name: edgeWebAclName('prod'), Id: 'acl-1', ARN: 'arn:acl', DefaultAction: { Allow: {} }, VisibilityConfig: { SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: 'acl' } };
  let rules: unknown[] = [];
  mocks.wafv2!.on(GetWebACLCommand).callsFake(() => ({ WebACL: { ...acl, Rules: rules }, LockToken: 'l1' }));
  mocks.wafv2!.on(UpdateWebACLCommand).callsFake((input: { Rules: unknown[] }) => ((rules = input.Rules), { NextLockToken: 'l2' }));
  const objects = s3Objects;
  objects.clear();
  mocks.s3!.on(GetObjectCommand).callsFake((input: { Key: string }) => {
    const body = objects.get(input.Key);
    if (body === undefined) throw new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } });
    return { Body: Readable.from([Buffer.from(body)]) as unknown as GetObjectCommandOutput['Body'], ETag: '"e1"', ContentLength: Buffer.byteLength(body), Metadata: {} };
  });
  mocks.s3!.on(PutObjectCommand).callsFake((input: { Key: string; Body: string }) => (objects.set(input.Key, String(input.Body)), { ETag: '"e1"' }));
  mocks.s3!.on(ListObjectsV2Command).callsFake((input: { Prefix?: string }) => ({ Contents: [...objects.keys()].filter((k) => k.startsWith(input.Prefix ?? '')).map((Key) => ({ Key, LastModified: new Date(0) })), KeyCount: objects.size }));
  mocks.s3!.on(DeleteObjectCommand).callsFake((input: { Key: string }) => (objects.delete(input.Key), {}));
  mocks.s3!.on(HeadObjectCommand).callsFake((input: { Key: string }) => {
    if (!objects.has(input.Key)) throw new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } });
    return { LastModified: new Date(0), ETag: '"e1"' };
  });
}
/** The fake bucket's objects by key (answerAws empties it). */
const s3Objects = new Map<string, string>();

// ---- the command paths, as each role runs them ----

interface RecordingCdk extends CdkRunner {
  readonly diffs: CdkOptions[];
}
function fakeCdk(opts: { failDeploy?: boolean } = {}): RecordingCdk {
  const diffs: CdkOptions[] = [];
  return {
    diffs,
    async synth() {},
    async diff(_stacks, o) {
      diffs.push(o);
      return { changes: true, text: '[~] AWS::ECS::TaskDefinition Task\nNumber of stacks with differences: 1\n' };
    },
    async deploy(stacks, o) {
      if (opts.failDeploy) throw new CdkFailedError('deploy', 1, 'UPDATE_ROLLBACK_COMPLETE');
      writeFileSync(o.outputsFile, JSON.stringify({ [stacks[0]!]: {} }));
    },
  };
}
const cloud = () =>
  awsDeployCloud({
    cloudFormation: (region) => new CloudFormationClient({ region, credentials }),
    ecs: (region) => new ECSClient({ region, credentials }),
    dynamodb: (region) => new DynamoDBClient({ region, credentials }),
  });
function deployOptions(o: Partial<DeployOptions>): DeployOptions {
  return { file: REGIONS, allRegions: true, dryRun: false, detailedExitcode: false, yes: true, detach: false, routes: 'routes.toml', listen: { host: '127.0.0.1', port: 0 }, delayMs: 0, hold: false, ...o };
}
async function runDeploy(o: Partial<DeployOptions>, cdk: CdkRunner): Promise<number> {
  return deploy(deployOptions(o), fakeContext({ json: true, now: () => NOW }), { cdk, cloud: cloud(), sleep: async () => {}, pollIntervalMs: 1, timeoutMs: 60_000 });
}
const dnsClients = () => ({ route53: new Route53Client({ region: 'us-east-1', credentials }), cloudFormation: (region: string) => new CloudFormationClient({ region, credentials }), wait: { sleep: async () => {}, intervalMs: 1 } });
const wafClients = () => ({ wafv2: new WAFV2Client({ region: 'us-east-1', credentials }), cloudFormation: (region: string) => new CloudFormationClient({ region, credentials }) });

const DYNAMODB = `dynamodb://passage/prod?region=eu-west-1`;
const S3 = `s3://passage-prod-controlplane-tableendpointbucket-abc/table.json?region=eu-west-1`;
let keyFile: string;
let routesFile: string;
before(async () => {
  await keysGenerate({ out: join(dir, 'keys') }, fakeContext());
  keyFile = join(dir, 'keys', 'passage-signing.key');
  routesFile = join(dir, 'routes.toml');
  writeFileSync(routesFile, ['table_id = "prod"', 'version = 5', '[[routes]]', 'id = "lobby"', 'hosts = ["play.example.com"]', '[[routes.targets]]', 'id = "a"', 'address = "10.0.0.1:25565"', ''].join('\n'));
});
const publishTo = (to: string) => publish({ file: routesFile, to, keys: [keyFile], expiresInMs: 3_600_000, ...trustedBy(keyFile) }, fakeContext({ now: () => NOW }));

const PATHS: Readonly<Record<AccessRole, () => Promise<void>>> = {
  async deploy() {
    // Every region rolled once: by the stack update (a new task definition), or forced when it started none.
    for (const cloudFormationRolls of [true, false]) {
      answerAws({ cloudFormationRolls });
      assert.equal(await runDeploy({}, fakeCdk()), 0);
    }
    // A failed stack update is told apart from a rollback by the stack's status (exit 4).
    answerAws({ cloudFormationRolls: false });
    mocks.cloudformation!.on(DescribeStacksCommand).resolves({ Stacks: [{ ...stackNamed('Passage-prod-Edge'), StackStatus: 'UPDATE_ROLLBACK_COMPLETE' }] });
    assert.equal(await runDeploy({}, fakeCdk({ failDeploy: true })), 4);
  },
  async operator() {
    answerAws({ cloudFormationRolls: false });
    assert.equal(await dns('apply', { file: REGIONS, detailedExitcode: false }, fakeContext(), dnsClients()), 0);
    assert.equal(await waf('apply', { file: REGIONS, detailedExitcode: false }, fakeContext(), wafClients()), 0);
  },
  async publisher() {
    answerAws({ cloudFormationRolls: false });
    await publishTo(DYNAMODB);
    await history({ from: DYNAMODB, limit: 10 }, fakeContext());
    // Someone else published first: the history item this publish wrote is deleted again (DeleteItem).
    mocks.dynamodb!.on(PutItemCommand, { Item: { sk: { S: 'LATEST' } } } as never).rejects(Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' }));
    mocks.dynamodb!.on(DeleteItemCommand).resolves({});
    await assert.rejects(publishTo(DYNAMODB));
    await publishTo(S3);
    await history({ from: S3, limit: 10 }, fakeContext());
    // `table gc` removes a chunk no version names (left by a publish that stopped half-way).
    const orphan = chunkObjectKey('table.json', 'd'.repeat(64));
    s3Objects.set(orphan, '[]');
    await gc({ from: S3, graceMs: 0, dryRun: false }, fakeContext({ now: () => NOW }));
    assert.equal(s3Objects.has(orphan), false);
    await gc({ from: DYNAMODB, graceMs: 0, dryRun: false }, fakeContext({ now: () => NOW }));
  },
  async plan() {
    answerAws({ cloudFormationRolls: false });
    const cdk = fakeCdk();
    assert.equal(await runDeploy({ dryRun: true, yes: false }, cdk), 0);
    assert.ok(cdk.diffs.length > 0 && cdk.diffs.every((o) => o.readOnly === true), 'a plan diffs templates only');
    assert.equal(await dns('plan', { file: REGIONS, detailedExitcode: false }, fakeContext(), dnsClients()), 0);
    assert.equal(await waf('plan', { file: REGIONS, detailedExitcode: false }, fakeContext(), wafClients()), 0);
    await tableDiff({ file: routesFile, from: DYNAMODB }, fakeContext());
    await tableDiff({ file: routesFile, from: S3 }, fakeContext());
  },
};

describe('each access role allows exactly the AWS calls its commands send', () => {
  for (const role of ACCESS_ROLES) {
    test(`the ${role} role: its policy's actions are the commands its paths sent`, async () => {
      resetMocks();
      seen.clear();
      await PATHS[role]();
      resetMocks();
      assert.deepEqual(allowedCalls(role), [...seen].sort());
    });
  }
});

describe('the CDK roles each access role may assume', () => {
  test('the deploy role assumes the bootstrap deploy and asset-publishing roles only, not the execution or lookup role', () => {
    assert.deepEqual(assumedCdkRoles('deploy'), ['deploy', 'file-publishing', 'image-publishing']);
  });

  test('the plan role assumes only the read-only lookup role, which `cdk diff --method template` uses', () => {
    assert.deepEqual(assumedCdkRoles('plan'), ['lookup']);
    assert.deepEqual(diffArgs(['S'], { readOnly: true }), ['diff', '--app', 'cdk.out', '--method', 'template', 'S']);
  });

  test('the operator and publisher roles assume nothing', () => {
    assert.deepEqual(assumedCdkRoles('operator'), []);
    assert.deepEqual(assumedCdkRoles('publisher'), []);
  });
});
