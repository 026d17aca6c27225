// `passagectl deploy` on AWS, in two halves so the command can ask in between:
//   planDeploy:  synth once, diff each stack that will be deployed
//   applyDeploy: per stack, in order: cdk deploy; for a region stack, follow the ECS deployment the
//                stack update started (a new task definition), or start one (forceNewDeployment) only
//                when it started none, so every deploy rolls the routers exactly once; wait until the
//                new tasks are healthy (`assessEcsRollout`) and report the table version their heartbeats show.
// A failure stops the remaining stacks. CloudFormation rolling the stack back, or the ECS circuit
// breaker rolling the service back, is exit 4; any other failure is exit 1.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { EXIT_CHANGES_PENDING, EXIT_FAILURE, EXIT_OK, EXIT_ROLLED_BACK } from '../exit-codes.ts';
import type { RegionsFile } from '../../router/contracts/regions-file.ts';
import { controlPlaneStackName, EDGE_REGION, edgeStackName, OUTPUTS, regionStackName } from '../../router/contracts/stacks.ts';
import type { StackOutputs } from '../aws/stack-outputs.ts';
import { CdkFailedError, type CdkOptions, type CdkRunner } from './cdk.ts';
import type { DeployCloud, ServiceRef, StackState } from './cloud.ts';
import type { DeployEvent, Reporter } from './events.ts';
import { assessEcsRollout, deploymentStartedBy, isFinal, type EcsRolloutStatus } from './rollout.ts';

export { EXIT_CHANGES_PENDING, EXIT_ROLLED_BACK };
export const ROLLOUT_POLL_INTERVAL_MS = 10_000;
/** ECS waits for the NLB health checks and the 30 s deregistration delay per batch; 30 min is generous. */
export const ROLLOUT_TIMEOUT_MS = 30 * 60_000;
export const CLOCK_SKEW_MS = 60_000;

export interface DeployTarget {
  readonly stack: string;
  readonly region: string;
  /** Region stacks run the router service, which is rolled and watched after the stack deploys. */
  readonly kind: 'edge' | 'control-plane' | 'region';
}

/** `--region R`: that region's stack. `--all-regions`: the edge and control-plane stacks, then every region. */
export function deployTargets(file: RegionsFile, selection: { readonly region?: string; readonly allRegions: boolean }): DeployTarget[] {
  const regionTarget = (name: string): DeployTarget => ({ stack: regionStackName(file.tableId, name), region: name, kind: 'region' });
  if (!selection.allRegions) return [regionTarget(selection.region!)];
  return [
    { stack: edgeStackName(file.tableId), region: EDGE_REGION, kind: 'edge' },
    { stack: controlPlaneStackName(file.tableId), region: file.homeRegion, kind: 'control-plane' },
    ...file.regions.map((r) => regionTarget(r.name)),
  ];
}

export interface AwsDeployDeps {
  readonly cdk: CdkRunner;
  readonly cloud: DeployCloud;
  readonly reporter: Reporter;
  readonly cdkOptions: CdkOptions;
  /** Where `cdk deploy --outputs-file` writes. */
  readonly workDir: string;
  readonly now: () => number;
  readonly sleep?: (ms: number) => Promise<unknown>;
  readonly pollIntervalMs?: number;
  readonly timeoutMs?: number;
}

export interface DeployPlan {
  readonly targets: readonly DeployTarget[];
  readonly changed: readonly string[];
}

export async function planDeploy(targets: readonly DeployTarget[], deps: AwsDeployDeps): Promise<DeployPlan> {
  const { reporter, cdk } = deps;
  const all = 'deploy';
  reporter.emit({ type: 'step', target: all, step: 'synth', status: 'started' });
  await cdk.synth(deps.cdkOptions);
  reporter.emit({ type: 'step', target: all, step: 'synth', status: 'done' });
  const changed: string[] = [];
  for (const target of targets) {
    reporter.emit({ type: 'step', target: target.stack, step: 'diff', status: 'started' });
    const diff = await cdk.diff([target.stack], deps.cdkOptions);
    if (diff.changes) changed.push(target.stack);
    reporter.emit({ type: 'diff', target: target.stack, changes: diff.changes, text: diff.text });
    reporter.emit({ type: 'step', target: target.stack, step: 'diff', status: 'done', detail: diff.changes ? 'changes' : 'no changes' });
  }
  return { targets, changed };
}

type TargetResult = Extract<DeployEvent, { type: 'result' }>;

export async function applyDeploy(plan: DeployPlan, file: RegionsFile, opts: { readonly detach: boolean }, deps: AwsDeployDeps): Promise<number> {
  for (const target of plan.targets) {
    const result = await deployTarget(target, file, opts, deps);
    deps.reporter.emit(result);
    if (result.exitCode !== EXIT_OK) return result.exitCode;
  }
  return EXIT_OK;
}

async function deployTarget(target: DeployTarget, file: RegionsFile, opts: { readonly detach: boolean }, deps: AwsDeployDeps): Promise<TargetResult> {
  const { reporter, cloud } = deps;
  const at = target.stack;
  const result = (outcome: TargetResult['outcome'], exitCode: number, message: string): TargetResult => ({ type: 'result', target: at, outcome, exitCode, message });
  const outputsFile = join(deps.workDir, `${target.stack}.outputs.json`);

  reporter.emit({ type: 'step', target: at, step: 'deploy', status: 'started' });
  // Tasks that start from here on run the new revision; allow for a laptop clock a little ahead of AWS.
  const rolledAt = deps.now() - CLOCK_SKEW_MS;
  try {
    await deps.cdk.deploy([target.stack], { ...deps.cdkOptions, outputsFile });
  } catch (err) {
    if (!(err instanceof CdkFailedError)) throw err;
    const state = await cloud.describeStack(target.stack, target.region);
    if (state && /ROLLBACK_COMPLETE$/.test(state.status)) {
      return result('rolled-back', EXIT_ROLLED_BACK, `CloudFormation rolled ${target.stack} back (${state.status}):\n${err.message}`);
    }
    return result('failed', EXIT_FAILURE, err.message);
  }
  reporter.emit({ type: 'step', target: at, step: 'deploy', status: 'done' });
  if (target.kind !== 'region') return result('done', EXIT_OK, `${target.stack} deployed`);

  const deployed = await cloud.describeStack(target.stack, target.region);
  const outputs = await stackOutputs(target, outputsFile, deployed);
  const ref: ServiceRef = { region: target.region, cluster: outputs[OUTPUTS.clusterName] ?? '', service: outputs[OUTPUTS.serviceName] ?? '' };
  if (ref.cluster === '' || ref.service === '') {
    return result('failed', EXIT_FAILURE, `${target.stack} has no ${OUTPUTS.clusterName}/${OUTPUTS.serviceName} outputs`);
  }
  reporter.emit({ type: 'step', target: at, step: 'roll', status: 'started', detail: `${ref.cluster}/${ref.service}` });
  const started = deployed?.updatedAt === undefined ? undefined : deploymentStartedBy(deployed.updatedAt, await cloud.describeService(ref));
  const deploymentId = started?.id ?? (await cloud.rollService(ref));
  reporter.emit({ type: 'step', target: at, step: 'roll', status: 'done', detail: started ? `${deploymentId} (started by the stack update)` : deploymentId });
  if (opts.detach) return result('detached', EXIT_OK, `ECS deployment ${deploymentId} started; not waiting (--detach)`);

  reporter.emit({ type: 'step', target: at, step: 'wait', status: 'started' });
  const status = await watchRollout(at, ref, deploymentId, deps);
  if (status === undefined) return result('failed', EXIT_FAILURE, `deployment ${deploymentId} still in progress after ${(deps.timeoutMs ?? ROLLOUT_TIMEOUT_MS) / 1000} s`);
  reporter.emit({ type: 'step', target: at, step: 'wait', status: 'done', detail: status.phase });
  switch (status.phase) {
    case 'completed': {
      const versions = await cloud.heartbeatTableVersions({
        region: target.region,
        tableName: file.tableName,
        tableId: file.tableId,
        startedAfterMs: rolledAt,
        nowMs: deps.now(),
      });
      reporter.emit({ type: 'table', target: at, versions: versions.length > 0 ? versions : 'unknown' });
      const table = versions.length > 0 ? `table version ${[...new Set(versions)].join(', ')}` : 'table version unknown';
      return result('done', EXIT_OK, `${status.running}/${status.desired} new tasks healthy; ${table}`);
    }
    case 'rolled-back':
      return result('rolled-back', EXIT_ROLLED_BACK, `the new tasks failed and ECS rolled the service back${status.reason ? `: ${status.reason}` : ''}`);
    case 'superseded':
      return result('failed', EXIT_FAILURE, `another deployment replaced ${deploymentId} before it finished`);
    default:
      return result('failed', EXIT_FAILURE, `deployment ${deploymentId} failed${status.reason ? `: ${status.reason}` : ''}`);
  }
}

async function stackOutputs(target: DeployTarget, outputsFile: string, deployed: StackState | undefined): Promise<Readonly<Record<string, string>>> {
  try {
    const written = JSON.parse(await readFile(outputsFile, 'utf8')) as StackOutputs;
    const mine = written[target.stack];
    if (mine && Object.keys(mine).length > 0) return mine;
  } catch {
    // no outputs file (a fake runner, an older CDK): ask CloudFormation
  }
  return deployed?.outputs ?? {};
}

/** Polls DescribeServices until the rollout is final; undefined on timeout. Emits each change. */
async function watchRollout(at: string, ref: ServiceRef, deploymentId: string, deps: AwsDeployDeps): Promise<EcsRolloutStatus | undefined> {
  const sleep = deps.sleep ?? ((ms: number) => delay(ms));
  const interval = deps.pollIntervalMs ?? ROLLOUT_POLL_INTERVAL_MS;
  const deadline = deps.now() + (deps.timeoutMs ?? ROLLOUT_TIMEOUT_MS);
  let last = '';
  for (;;) {
    const status = assessEcsRollout(await deps.cloud.describeService(ref), deploymentId);
    const { phase, running, desired, pending, failedTasks, reason } = status;
    const event: DeployEvent = { type: 'rollout', target: at, phase, running, desired, pending, failedTasks, ...(reason === undefined ? {} : { reason }) };
    const key = JSON.stringify(event);
    if (key !== last) deps.reporter.emit(event);
    last = key;
    if (isFinal(phase)) return status;
    if (deps.now() + interval > deadline) return undefined;
    await sleep(interval);
  }
}
