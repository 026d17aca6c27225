// One roll per deploy: when the stack update itself started an ECS deployment (a new task definition),
// `passagectl deploy` follows that one instead of forcing a second roll of every router; only when the
// update started none does it force one. And a private ECR image named by a tag is refused before synth.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient, GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { DescribeServicesCommand, ECSClient, UpdateServiceCommand, type Deployment } from '@aws-sdk/client-ecs';
import { run, type DeployOptions } from '../../../cli/commands/deploy.ts';
import type { CdkRunner } from '../../../cli/deploy/cdk.ts';
import { awsDeployCloud } from '../../../cli/deploy/cloud.ts';
import { UsageError } from '../../../cli/context.ts';
import { fakeContext } from '../../helpers/tables.ts';

const REGIONS = fileURLToPath(new URL('../../fixtures/aws/passage.regions.toml', import.meta.url));
const NOW = Date.parse('2030-01-01T00:00:00Z');
const UPDATED = new Date(NOW - 300_000);
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const ecs = mockClient(ECSClient);
const cfn = mockClient(CloudFormationClient);
const ddb = mockClient(DynamoDBClient);
afterEach(() => [ecs, cfn, ddb].forEach((m) => m.reset()));

function cdk(calls: string[]): CdkRunner {
  return {
    async synth() {
      calls.push('synth');
    },
    async diff() {
      return { changes: true, text: 'Number of stacks with differences: 1\n' };
    },
    async deploy(stacks, o) {
      calls.push(`deploy ${stacks.join(' ')}`);
      await writeFile(o.outputsFile, JSON.stringify({ [stacks[0]!]: { ClusterName: 'c', ServiceName: 's' } }));
    },
  };
}

const dep = (d: Partial<Deployment>): Deployment => ({ status: 'PRIMARY', rolloutState: 'COMPLETED', desiredCount: 2, runningCount: 2, pendingCount: 0, failedTasks: 0, ...d });

async function deploy(o: Partial<DeployOptions> = {}, calls: string[] = []): Promise<{ code: number; events: Record<string, any>[] }> {
  const ctx = fakeContext({ json: true, now: () => NOW });
  const cloud = awsDeployCloud({
    cloudFormation: (region) => new CloudFormationClient({ region, credentials }),
    ecs: (region) => new ECSClient({ region, credentials }),
    dynamodb: (region) => new DynamoDBClient({ region, credentials }),
  });
  const opts: DeployOptions = { file: REGIONS, region: 'eu-west-1', allRegions: false, dryRun: false, detailedExitcode: false, yes: true, detach: false, routes: 'routes.toml', listen: { host: '127.0.0.1', port: 0 }, delayMs: 0, hold: false, ...o };
  const code = await run(opts, ctx, { cdk: cdk(calls), cloud, sleep: async () => {}, pollIntervalMs: 1, timeoutMs: 60_000 });
  return { code, events: ctx.out().trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) };
}

function answers(primary: Deployment): void {
  cfn.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'Passage-prod-eu-west-1', StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(0), LastUpdatedTime: UPDATED }] });
  // After a forced roll, the service's primary deployment is the forced one.
  let current = primary;
  const forced = dep({ id: 'forced', createdAt: new Date(NOW) });
  ecs.on(DescribeServicesCommand).callsFake(() => ({ services: [{ deployments: [current] }] }));
  ecs.on(UpdateServiceCommand).callsFake(() => ((current = forced), { service: { deployments: [forced] } }));
  ddb.on(GetItemCommand).resolves({});
  ddb.on(QueryCommand).resolves({ Items: [] });
}

describe('passagectl deploy rolls the routers once', () => {
  test('a stack update that started an ECS deployment (new task definition) is followed, with no forced second roll', async () => {
    answers(dep({ id: 'by-cloudformation', createdAt: new Date(UPDATED.getTime() + 5_000) }));
    const { code, events } = await deploy();
    assert.equal(code, 0);
    assert.equal(ecs.commandCalls(UpdateServiceCommand).length, 0, 'no --force-new-deployment');
    const roll = events.find((e) => e.type === 'step' && e.step === 'roll' && e.status === 'done');
    assert.match(roll?.detail, /by-cloudformation \(started by the stack update\)/);
    assert.equal(events.at(-1)!.outcome, 'done');
  });

  test('a stack update that started none (the routers run what they ran before) forces exactly one roll', async () => {
    answers(dep({ id: 'last-week', createdAt: new Date(UPDATED.getTime() - 7 * 86_400_000) }));
    const { code } = await deploy();
    assert.equal(code, 0);
    const updates = ecs.commandCalls(UpdateServiceCommand);
    assert.equal(updates.length, 1);
    assert.deepEqual(updates[0]!.args[0].input, { cluster: 'c', service: 's', forceNewDeployment: true });
  });

  test('--all-regions rolls each region once, whichever way its update went', async () => {
    answers(dep({ id: 'by-cloudformation', createdAt: new Date(UPDATED.getTime() + 1) }));
    const calls: string[] = [];
    const { code } = await deploy({ region: undefined, allRegions: true } as Partial<DeployOptions>, calls);
    assert.equal(code, 0);
    assert.equal(calls.filter((c) => c.startsWith('deploy')).length, 5);
    assert.equal(ecs.commandCalls(UpdateServiceCommand).length, 0);
  });
});

describe('passagectl deploy --image', () => {
  test('a private ECR image named by a tag is refused with exit 2 before anything is synthesized', async () => {
    const calls: string[] = [];
    await assert.rejects(deploy({ image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/passage:1.4.0' }, calls), (err: unknown) =>
      err instanceof UsageError && err.exitCode === 2 && /^--image: .*pin it by digest/.test(err.message));
    assert.deepEqual(calls, []);
  });

  test('the same image pinned by digest goes to the synth as the image context', async () => {
    answers(dep({ id: 'by-cloudformation', createdAt: new Date(UPDATED.getTime() + 1) }));
    const image = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/passage@sha256:${'0f'.repeat(32)}`;
    const calls: string[] = [];
    assert.equal((await deploy({ image }, calls)).code, 0);
    assert.deepEqual(calls, ['synth', 'deploy Passage-prod-eu-west-1']);
  });
});
