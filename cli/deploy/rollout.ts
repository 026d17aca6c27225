// The rolling-update rules, as pure functions. Both deploy targets follow the same policy ECS applies to
// the Fargate service (minimum healthy 100%, one extra task at a time): start one new instance, wait
// until it is ready, drain one old instance, wait until it has exited, repeat. A new instance that never
// becomes ready stops the rollout, and the fleet goes back to the old instances only.
//
// `nextLocalStep` drives `deploy --local` (processes on this machine); `assessEcsRollout` reads an
// ECS service description and says where the same rollout stands on AWS.

import type { Deployment, Service } from '@aws-sdk/client-ecs';

export type InstanceState = 'starting' | 'ready' | 'draining' | 'exited' | 'failed';

export interface FleetInstance {
  readonly id: string;
  /** `old` runs the previous revision; `new` the one being rolled out. */
  readonly revision: 'old' | 'new';
  readonly state: InstanceState;
  /** Set once the process has exited (`exited`: drained; `failed`: never became ready, or crashed). */
  readonly exitCode?: number | null;
}

export interface FleetState {
  /** Instances that must be serving when the rollout is over (and at every step in between). */
  readonly desired: number;
  readonly instances: readonly FleetInstance[];
}

export type RolloutStep =
  | { readonly kind: 'start' }
  | { readonly kind: 'drain'; readonly id: string }
  | { readonly kind: 'wait' }
  | { readonly kind: 'done' }
  /** A new instance failed: stop the new ones that are still running; the old ones keep serving. */
  | { readonly kind: 'roll-back'; readonly failed: string; readonly stop: readonly string[] }
  | { readonly kind: 'rolled-back'; readonly failed: string };

/** Extra instances allowed during a rollout (ECS maximum percent 200% allows more; one at a time is gentler). */
export const MAX_SURGE = 1;

const serving = (i: FleetInstance): boolean => i.state === 'ready';

export function nextLocalStep(fleet: FleetState): RolloutStep {
  const fresh = fleet.instances.filter((i) => i.revision === 'new');
  const old = fleet.instances.filter((i) => i.revision === 'old');
  const failed = fresh.find((i) => i.state === 'failed');
  if (failed) {
    const stop = fresh.filter((i) => i.state === 'starting' || i.state === 'ready').map((i) => i.id);
    const stillStopping = fresh.some((i) => i.state === 'draining');
    if (stop.length > 0) return { kind: 'roll-back', failed: failed.id, stop };
    return stillStopping ? { kind: 'wait' } : { kind: 'rolled-back', failed: failed.id };
  }
  // One drain at a time: the next old instance goes only after the previous one has exited.
  if (fleet.instances.some((i) => i.state === 'draining')) return { kind: 'wait' };
  if (fresh.some((i) => i.state === 'starting')) return { kind: 'wait' };
  const newReady = fresh.filter(serving).length;
  const oldServing = old.filter(serving);
  if (newReady >= fleet.desired && oldServing.length === 0) return { kind: 'done' };
  // Minimum healthy 100%: drain only what is surplus to `desired`.
  if (newReady + oldServing.length > fleet.desired && oldServing.length > 0) return { kind: 'drain', id: oldServing[0]!.id };
  if (newReady < fleet.desired && newReady + oldServing.length < fleet.desired + MAX_SURGE) return { kind: 'start' };
  // Fewer old instances than desired were serving to begin with (one crashed): replace them anyway.
  if (oldServing.length > 0) return { kind: 'drain', id: oldServing[0]!.id };
  return { kind: 'done' };
}

/** Returns the fleet with one instance changed (instances are never mutated in place). */
export function withInstance(fleet: FleetState, id: string, change: Partial<Omit<FleetInstance, 'id'>>): FleetState {
  return { ...fleet, instances: fleet.instances.map((i) => (i.id === id ? { ...i, ...change } : i)) };
}

// --- ECS ------------------------------------------------------------------------------------------

export type EcsRolloutPhase = 'in-progress' | 'completed' | 'rolled-back' | 'rolling-back' | 'superseded' | 'failed';

export interface EcsRolloutStatus {
  readonly phase: EcsRolloutPhase;
  readonly deploymentId: string;
  readonly taskDefinition?: string;
  readonly running: number;
  readonly desired: number;
  readonly pending: number;
  readonly failedTasks: number;
  /** ECS's own words: `rolloutStateReason` (the circuit breaker's message when it fired). */
  readonly reason?: string;
}

const isCircuitBreaker = (text: string | undefined): boolean => /circuit breaker/i.test(text ?? '');

/**
 * Where the rollout of `deploymentId` (returned by UpdateService) stands. With the circuit breaker and
 * rollback on, a failing deployment turns FAILED and ECS starts a new PRIMARY deployment with the last
 * task definition that reached steady state: that one completing is "rolled back".
 */
export function assessEcsRollout(service: Service, deploymentId: string): EcsRolloutStatus {
  const deployments: readonly Deployment[] = service.deployments ?? [];
  const ours = deployments.find((d) => d.id === deploymentId);
  const primary = deployments.find((d) => d.status === 'PRIMARY');
  const counts = (d: Deployment | undefined) => ({
    running: d?.runningCount ?? 0,
    desired: d?.desiredCount ?? 0,
    pending: d?.pendingCount ?? 0,
    failedTasks: d?.failedTasks ?? 0,
  });
  const base = {
    deploymentId,
    ...(ours?.taskDefinition === undefined ? {} : { taskDefinition: ours.taskDefinition }),
    ...(ours?.rolloutStateReason === undefined ? {} : { reason: ours.rolloutStateReason }),
  };
  if (ours?.rolloutState === 'COMPLETED' && ours.status === 'PRIMARY') return { phase: 'completed', ...base, ...counts(ours) };
  if (ours?.rolloutState === 'FAILED' || (ours === undefined && primary !== undefined && isCircuitBreaker(primary.rolloutStateReason))) {
    // The rollback is the PRIMARY deployment now; report its progress.
    if (primary === undefined) return { phase: 'failed', ...base, ...counts(ours) };
    if (primary.id === deploymentId) {
      // With rollback on, ECS can show ours FAILED (circuit breaker) a moment before the rollback
      // deployment exists: keep watching (the caller's timeout bounds it) rather than exit 1.
      return { phase: isCircuitBreaker(ours?.rolloutStateReason) ? 'rolling-back' : 'failed', ...base, ...counts(ours) };
    }
    const phase = primary.rolloutState === 'COMPLETED' ? 'rolled-back' : primary.rolloutState === 'FAILED' ? 'failed' : 'rolling-back';
    return { phase, ...base, ...counts(primary) };
  }
  if (ours === undefined || (primary !== undefined && primary.id !== deploymentId)) {
    // Someone else's UpdateService (another deploy) replaced ours.
    return { phase: 'superseded', ...base, ...counts(primary) };
  }
  return { phase: 'in-progress', ...base, ...counts(ours) };
}

export function isFinal(phase: EcsRolloutPhase): boolean {
  return phase !== 'in-progress' && phase !== 'rolling-back';
}

/**
 * The deployment CloudFormation started while it updated the stack (a new task definition rolls the
 * service), or undefined when it started none and the routers still run what they ran before. Both
 * times are AWS's, so a laptop clock does not matter. Forcing a second roll on top of the first
 * would replace every task twice.
 */
export function deploymentStartedBy(stackUpdatedAt: Date | undefined, service: Service): Deployment | undefined {
  if (stackUpdatedAt === undefined) return undefined;
  const primary = service.deployments?.find((d) => d.status === 'PRIMARY');
  if (primary?.id === undefined || primary.createdAt === undefined) return undefined;
  return primary.createdAt.getTime() >= stackUpdatedAt.getTime() ? primary : undefined;
}
