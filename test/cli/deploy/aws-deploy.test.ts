// `passagectl deploy` against AWS with a fake CDK runner and aws-sdk-client-mock for ECS,
// CloudFormation and DynamoDB: the call sequence, the exit codes, the NDJSON events.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient, GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { DescribeServicesCommand, ECSClient, UpdateServiceCommand, type Deployment } from '@aws-sdk/client-ecs';
import { run, type DeployOptions } from '../../../cli/commands/deploy.ts';
import { CdkFailedError, type CdkRunner } from '../../../cli/deploy/cdk.ts';
import { awsDeployCloud } from '../../../cli/deploy/cloud.ts';
import { CliError, UsageError } from '../../../cli/context.ts';
import { fakeContext } from '../../helpers/tables.ts';

// The tests' own regions file (three regions, table id prod, a trusted key), not the one operators edit.
const REGIONS = fileURLToPath(new URL('../../fixtures/aws/passage.regions.toml', import.meta.url));
const NOW = Date.parse('2030-01-01T00:00:00Z');
const ecs = mockClient(ECSClient);
const cfn = mockClient(CloudFormationClient);
const ddb = mockClient(DynamoDBClient);
afterEach(() => {
  ecs.reset();
  cfn.reset();
  ddb.reset();
});

interface FakeCdk extends CdkRunner {
  readonly calls: string[];
}

function fakeCdk(opts: { changes?: boolean; failDeploy?: boolean; writeOutputs?: boolean } = {}): FakeCdk {
  const calls: string[] = [];
  return {
    calls,
    async synth(o) {
      calls.push(`synth ${JSON.stringify(o.context)}`);
    },
    async diff(stacks) {
      calls.push(`diff ${stacks.join(' ')}`);
      return { changes: opts.changes ?? true, text: `Stack ${stacks[0]}\n[~] AWS::ECS::TaskDefinition Task\nNumber of stacks with differences: 1\n` };
    },
    async deploy(stacks, o) {
      calls.push(`deploy ${stacks.join(' ')}`);
      if (opts.failDeploy) throw new CdkFailedError('deploy', 1, 'UPDATE_ROLLBACK_IN_PROGRESS');
      if (opts.writeOutputs !== false) {
        await writeFile(o.outputsFile, JSON.stringify({ [stacks[0]!]: { ClusterName: 'passage-cluster', ServiceName: 'passage-routers' } }));
      }
    },
  };
}

// Static credentials, as a CI runner has them: deploy resolves credentials before it synthesizes.
const cloud = (credentials: NonNullable<ConstructorParameters<typeof CloudFormationClient>[0]>['credentials'] = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' }) =>
  awsDeployCloud({
    cloudFormation: (region) => new CloudFormationClient({ region, credentials }),
    ecs: (region) => new ECSClient({ region }),
    dynamodb: (region) => new DynamoDBClient({ region }),
  });

function options(o: Partial<DeployOptions> = {}): DeployOptions {
  return { file: REGIONS, region: 'eu-west-1', allRegions: false, dryRun: false, detailedExitcode: false, yes: true, detach: false, routes: 'routes.toml', listen: { host: '127.0.0.1', port: 0 }, delayMs: 0, hold: false, ...o };
}

const dep = (d: Partial<Deployment>): Deployment => ({ desiredCount: 2, runningCount: 0, pendingCount: 0, failedTasks: 0, ...d });

function heartbeat(version: number, startedAt: number, extra: Record<string, unknown> = {}) {
  return { pk: { S: 'FLEET#prod#eu-west-1' }, sk: { S: `INSTANCE#eu-west-1#${version}-${startedAt}` }, region: { S: 'eu-west-1' }, started_at: { N: String(startedAt) }, beat_at: { N: String(NOW - 1000) }, interval_ms: { N: '10000' }, ready: { BOOL: true }, draining: { BOOL: false }, table_version: { N: String(version) }, ...extra };
}

async function deploy(opts: DeployOptions, cdk: CdkRunner, ctxOpts: { isTTY?: boolean; confirm?: boolean } = {}) {
  const ctx = { ...fakeContext({ json: true, now: () => NOW }), isTTY: ctxOpts.isTTY ?? false };
  const code = await run(opts, ctx, {
    cdk,
    cloud: cloud(),
    sleep: async () => {},
    pollIntervalMs: 1,
    timeoutMs: 60_000,
    ...(ctxOpts.confirm === undefined ? {} : { confirm: async () => ctxOpts.confirm! }),
  });
  const events = ctx.out().trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>);
  return { code, events };
}

describe('passagectl deploy (AWS)', () => {
  test('synth, diff, deploy, roll the service, wait for COMPLETED, report the heartbeat table version', async () => {
    const cdk = fakeCdk();
    ecs.on(UpdateServiceCommand).resolves({ service: { deployments: [dep({ id: 'ecs-svc/new', status: 'PRIMARY', rolloutState: 'IN_PROGRESS' })] } });
    ecs.on(DescribeServicesCommand)
      .resolvesOnce({ services: [{ deployments: [dep({ id: 'ecs-svc/new', status: 'PRIMARY', rolloutState: 'IN_PROGRESS', runningCount: 1, pendingCount: 1 })] }] })
      .resolves({ services: [{ deployments: [dep({ id: 'ecs-svc/new', status: 'PRIMARY', rolloutState: 'COMPLETED', runningCount: 2 })] }] });
    // Two new tasks on version 7; an old task (started before the roll) still reports 6.
    ddb.on(QueryCommand).resolves({ Items: [heartbeat(7, NOW - 1000), heartbeat(7, NOW - 500), heartbeat(6, NOW - 3_600_000)] });

    const { code, events } = await deploy(options({ image: 'repo/passage:1.4.0' }), cdk);
    assert.equal(code, 0);
    assert.deepEqual(cdk.calls, ['synth {"image":"repo/passage:1.4.0"}', 'diff Passage-prod-eu-west-1', 'deploy Passage-prod-eu-west-1']);
    const update = ecs.commandCalls(UpdateServiceCommand)[0]!.args[0].input;
    assert.deepEqual(update, { cluster: 'passage-cluster', service: 'passage-routers', forceNewDeployment: true });
    assert.equal(ecs.commandCalls(DescribeServicesCommand).length, 2);
    assert.deepEqual(events.filter((e) => e.type === 'rollout').map((e) => `${e.phase} ${e.running}/${e.desired}`), ['in-progress 1/2', 'completed 2/2']);
    assert.deepEqual(events.find((e) => e.type === 'table')?.versions, [7, 7]);
    // The region's own heartbeat partition: the one its task role may write.
    assert.deepEqual(ddb.commandCalls(QueryCommand).map((c) => c.args[0].input.ExpressionAttributeValues?.[':pk']), [{ S: 'FLEET#prod#eu-west-1' }]);
    const result = events.at(-1)!;
    assert.equal(result.type, 'result');
    assert.equal(result.outcome, 'done');
    assert.match(result.message, /2\/2 new tasks healthy; table version 7/);
    for (const e of events) assert.match(e.time, /^2030-01-01T/);
  });

  test('the published table version becomes the routers\' table.min_version (the min_table_version context of the synth)', async () => {
    const cdk = fakeCdk();
    ecs.on(UpdateServiceCommand).resolves({ service: { deployments: [dep({ id: 'new', status: 'PRIMARY', rolloutState: 'IN_PROGRESS' })] } });
    ecs.on(DescribeServicesCommand).resolves({ services: [{ deployments: [dep({ id: 'new', status: 'PRIMARY', rolloutState: 'COMPLETED', runningCount: 2 })] }] });
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(GetItemCommand).resolves({ Item: { version: { N: '12' } } });
    const { code } = await deploy(options(), cdk);
    assert.equal(code, 0);
    assert.equal(cdk.calls[0], 'synth {"min_table_version":"12"}');
    const read = ddb.commandCalls(GetItemCommand)[0]!.args[0].input;
    assert.deepEqual(read.Key, { pk: { S: 'TABLE#prod' }, sk: { S: 'LATEST' } });
    assert.equal(read.ConsistentRead, true);
  });

  test('before anything is published (no table, no LATEST item) the synth gets no version floor', async () => {
    const cdk = fakeCdk({ changes: false });
    ddb.on(GetItemCommand).rejects(Object.assign(new Error('Requested resource not found'), { name: 'ResourceNotFoundException' }));
    const { code } = await deploy(options({ dryRun: true }), cdk);
    assert.equal(code, 0);
    assert.equal(cdk.calls[0], 'synth {}');
  });

  test('the circuit breaker rolling the service back is exit 4', async () => {
    ecs.on(UpdateServiceCommand).resolves({ service: { deployments: [dep({ id: 'new', status: 'PRIMARY', rolloutState: 'IN_PROGRESS' })] } });
    const reason = 'ECS deployment circuit breaker: tasks failed to start.';
    ecs.on(DescribeServicesCommand)
      .resolvesOnce({ services: [{ deployments: [dep({ id: 'rb', status: 'PRIMARY', rolloutState: 'IN_PROGRESS' }), dep({ id: 'new', status: 'ACTIVE', rolloutState: 'FAILED', rolloutStateReason: reason, failedTasks: 3 })] }] })
      .resolves({ services: [{ deployments: [dep({ id: 'rb', status: 'PRIMARY', rolloutState: 'COMPLETED', runningCount: 2 }), dep({ id: 'new', status: 'ACTIVE', rolloutState: 'FAILED', rolloutStateReason: reason })] }] });
    const { code, events } = await deploy(options(), fakeCdk());
    assert.equal(code, 4);
    assert.deepEqual(events.filter((e) => e.type === 'rollout').map((e) => e.phase), ['rolling-back', 'rolled-back']);
    assert.equal(events.at(-1)!.outcome, 'rolled-back');
    assert.match(events.at(-1)!.message, /circuit breaker/);
    assert.equal(ddb.commandCalls(QueryCommand).length, 0);
  });

  test('CloudFormation rolling the stack back is exit 4; the service is not touched', async () => {
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'Passage-prod-eu-west-1', StackStatus: 'UPDATE_ROLLBACK_COMPLETE', CreationTime: new Date() }] });
    const { code, events } = await deploy(options(), fakeCdk({ failDeploy: true }));
    assert.equal(code, 4);
    assert.match(events.at(-1)!.message, /CloudFormation rolled Passage-prod-eu-west-1 back \(UPDATE_ROLLBACK_COMPLETE\)/);
    assert.equal(ecs.commandCalls(UpdateServiceCommand).length, 0);
  });

  test('no heartbeats: the table version is reported as unknown', async () => {
    ecs.on(UpdateServiceCommand).resolves({ service: { deployments: [dep({ id: 'new', status: 'PRIMARY' })] } });
    ecs.on(DescribeServicesCommand).resolves({ services: [{ deployments: [dep({ id: 'new', status: 'PRIMARY', rolloutState: 'COMPLETED', runningCount: 2 })] }] });
    ddb.on(QueryCommand).resolves({ Items: [] });
    const { code, events } = await deploy(options(), fakeCdk());
    assert.equal(code, 0);
    assert.equal(events.find((e) => e.type === 'table')?.versions, 'unknown');
    assert.match(events.at(-1)!.message, /table version unknown/);
  });

  test('outputs come from DescribeStacks when the outputs file has none; --detach does not wait', async () => {
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 's', StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(), Outputs: [{ OutputKey: 'ClusterName', OutputValue: 'c1' }, { OutputKey: 'ServiceName', OutputValue: 's1' }] }] });
    ecs.on(UpdateServiceCommand).resolves({ service: { deployments: [dep({ id: 'new', status: 'PRIMARY' })] } });
    // The stack update started no deployment (the service's is older than the stack's update): force one.
    ecs.on(DescribeServicesCommand).resolves({ services: [{ deployments: [dep({ id: 'old', status: 'PRIMARY', rolloutState: 'COMPLETED', createdAt: new Date(0) })] }] });
    const { code, events } = await deploy(options({ detach: true }), fakeCdk({ writeOutputs: false }));
    assert.equal(code, 0);
    assert.equal(ecs.commandCalls(UpdateServiceCommand)[0]!.args[0].input.cluster, 'c1');
    assert.equal(ecs.commandCalls(DescribeServicesCommand).length, 1, 'one look at the service, no waiting');
    assert.equal(events.at(-1)!.outcome, 'detached');
  });

  test('--all-regions deploys the edge and control plane first, then each region, rolling only region services', async () => {
    const cdk = fakeCdk();
    ecs.on(UpdateServiceCommand).resolves({ service: { deployments: [dep({ id: 'new', status: 'PRIMARY' })] } });
    ecs.on(DescribeServicesCommand).resolves({ services: [{ deployments: [dep({ id: 'new', status: 'PRIMARY', rolloutState: 'COMPLETED', runningCount: 2 })] }] });
    ddb.on(QueryCommand).resolves({ Items: [] });
    const { code } = await deploy(options({ region: undefined, allRegions: true } as Partial<DeployOptions>), cdk);
    assert.equal(code, 0);
    assert.deepEqual(cdk.calls.filter((c) => c.startsWith('deploy')), [
      'deploy Passage-prod-Edge',
      'deploy Passage-prod-ControlPlane',
      'deploy Passage-prod-eu-west-1',
      'deploy Passage-prod-us-east-1',
      'deploy Passage-prod-ap-southeast-1',
    ]);
    assert.equal(ecs.commandCalls(UpdateServiceCommand).length, 3);
  });

  test('--dry-run shows the diff and deploys nothing; --detailed-exitcode makes pending changes exit 3', async () => {
    const cdk = fakeCdk();
    const plain = await deploy(options({ dryRun: true, yes: false }), cdk);
    assert.equal(plain.code, 0);
    assert.ok(plain.events.some((e) => e.type === 'diff' && e.changes && /TaskDefinition/.test(e.text)));
    const detailed = await deploy(options({ dryRun: true, detailedExitcode: true, yes: false }), cdk);
    assert.equal(detailed.code, 3);
    assert.equal(detailed.events.at(-1)!.outcome, 'changes-pending');
    const none = await deploy(options({ dryRun: true, detailedExitcode: true }), fakeCdk({ changes: false }));
    assert.equal(none.code, 0);
    assert.ok(!cdk.calls.some((c) => c.startsWith('deploy')));
    assert.equal(ecs.commandCalls(UpdateServiceCommand).length, 0);
  });

  test('without a terminal and without --yes it refuses with exit 2 before synth; on a terminal a "no" deploys nothing', async () => {
    const cdk = fakeCdk();
    await assert.rejects(deploy(options({ yes: false }), cdk), (err: unknown) => err instanceof UsageError && err.exitCode === 2 && /--yes/.test(err.message));
    assert.equal(cdk.calls.length, 0);
    const declined = await deploy(options({ yes: false }), cdk, { isTTY: true, confirm: false });
    assert.equal(declined.code, 0);
    assert.ok(!cdk.calls.some((c) => c.startsWith('deploy')));
  });

  test('a regions file whose routers would refuse their config stops --dry-run and deploy before synth, naming public_keys', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'passage-deploy-keys-'));
    const file = join(dir, 'passage.regions.toml');
    await writeFile(file, (await readFile(REGIONS, 'utf8')).replace(/^public_keys = .*$/m, 'public_keys = []'));
    for (const o of [{ dryRun: true, yes: false }, { dryRun: false, yes: true }]) {
      const cdk = fakeCdk();
      await assert.rejects(deploy(options({ file, ...o }), cdk), (err: unknown) =>
        err instanceof CliError && err.code === 'PASSAGE_REGIONS_INVALID' &&
        err.message.startsWith(`${file}: public_keys: the routers in eu-west-1 would refuse their config (table.public_keys: required when table.source = "dynamodb"`) &&
        /passagectl keys generate/.test(err.message) && !err.message.includes('\n'));
      assert.deepEqual(cdk.calls, [], 'nothing synthesized');
    }
    assert.equal(ecs.commandCalls(UpdateServiceCommand).length, 0);
    // A key file that is not a public key is named by its index, with the router's key parser's words.
    await writeFile(join(dir, 'private.pem'), '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n');
    await writeFile(file, (await readFile(REGIONS, 'utf8')).replace(/^public_keys = .*$/m, 'public_keys = ["private.pem"]'));
    await assert.rejects(deploy(options({ file, dryRun: true, yes: false }), fakeCdk()), (err: unknown) =>
      err instanceof CliError && /: public_keys\[0\]: .*private\.pem: holds a private key/.test(err.message));
  });

  test('without AWS credentials, --dry-run stops before the synth with the credentials error, once', async () => {
    const cdk = fakeCdk();
    const ctx = fakeContext({ json: true, now: () => NOW });
    const missing = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
    await assert.rejects(
      run(options({ dryRun: true }), ctx, { cdk, cloud: cloud(() => Promise.reject(missing)), sleep: async () => {} }),
      (err: unknown) => err === missing,
    );
    assert.deepEqual(cdk.calls, [], 'no synth, no diff');
  });

  test('usage mistakes exit 2', async () => {
    for (const [o, message] of [
      [{ region: 'eu-central-1' }, /not in .*passage\.regions\.toml/],
      [{ allRegions: true }, /exclude each other/],
      [{ region: undefined }, /--region <aws-region>, --all-regions or --local/],
      [{ detailedExitcode: true }, /only applies with --dry-run/],
      [{ local: 3 }, /does not combine/],
      [{ local: 3, region: undefined, dryRun: true }, /^--dry-run: AWS deploys only/],
      [{ local: 3, region: undefined, detach: true, image: 'passage:1' }, /^--detach, --image: AWS deploys only/],
    ] as const) {
      await assert.rejects(deploy(options(o as Partial<DeployOptions>), fakeCdk()), (err: unknown) => err instanceof UsageError && message.test(err.message));
    }
  });
});
