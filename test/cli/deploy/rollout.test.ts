// The rolling-update rules as pure functions: the local planner walked step by step, and the ECS
// service descriptions the AWS deploy reads.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment, Service } from '@aws-sdk/client-ecs';
import { assessEcsRollout, nextLocalStep, withInstance, type FleetState, type RolloutStep } from '../../../cli/deploy/rollout.ts';

function oldFleet(n: number): FleetState {
  return { desired: n, instances: Array.from({ length: n }, (_, i) => ({ id: `old-${i}`, revision: 'old' as const, state: 'ready' as const })) };
}

/** Plays the planner against an ideal fleet: starts become ready, drains exit 0. */
function simulate(fleet: FleetState, failNew = -1): { steps: string[]; minServing: number; fleet: FleetState } {
  const steps: string[] = [];
  let minServing = Infinity;
  let started = 0;
  for (let i = 0; i < 50; i++) {
    minServing = Math.min(minServing, fleet.instances.filter((x) => x.state === 'ready').length);
    const step: RolloutStep = nextLocalStep(fleet);
    steps.push(step.kind === 'drain' ? `drain ${step.id}` : step.kind);
    if (step.kind === 'done' || step.kind === 'rolled-back') return { steps, minServing, fleet };
    if (step.kind === 'start') {
      const id = `new-${started}`;
      fleet = { ...fleet, instances: [...fleet.instances, { id, revision: 'new', state: started === failNew ? 'failed' : 'ready' }] };
      started++;
    } else if (step.kind === 'drain') fleet = withInstance(fleet, step.id, { state: 'exited', exitCode: 0 });
    else if (step.kind === 'roll-back') for (const id of step.stop) fleet = withInstance(fleet, id, { state: 'exited', exitCode: 0 });
  }
  throw new Error(`no end: ${steps.join(', ')}`);
}

describe('nextLocalStep', () => {
  test('replaces three routers one at a time: start one new, drain one old, never fewer than three serving', () => {
    const { steps, minServing, fleet } = simulate(oldFleet(3));
    assert.deepEqual(steps, ['start', 'drain old-0', 'start', 'drain old-1', 'start', 'drain old-2', 'done']);
    assert.equal(minServing, 3);
    assert.deepEqual(fleet.instances.filter((i) => i.state === 'ready').map((i) => i.id), ['new-0', 'new-1', 'new-2']);
  });

  test('waits while a new router is starting or an old one is draining', () => {
    const starting = { desired: 1, instances: [{ id: 'a', revision: 'old' as const, state: 'ready' as const }, { id: 'b', revision: 'new' as const, state: 'starting' as const }] };
    assert.equal(nextLocalStep(starting).kind, 'wait');
    assert.equal(nextLocalStep(withInstance(starting, 'a', { state: 'draining' })).kind, 'wait');
  });

  test('a new router that never becomes ready rolls back: the new ones stop, the old ones keep serving', () => {
    const { steps, fleet } = simulate(oldFleet(3), 1);
    assert.deepEqual(steps, ['start', 'drain old-0', 'start', 'roll-back', 'rolled-back']);
    assert.deepEqual(fleet.instances.filter((i) => i.state === 'ready').map((i) => i.id), ['old-1', 'old-2']);
  });

  test('a fleet short of its desired size grows first, then replaces', () => {
    const short: FleetState = { desired: 2, instances: [{ id: 'old-0', revision: 'old', state: 'ready' }] };
    assert.deepEqual(simulate(short).steps, ['start', 'start', 'drain old-0', 'done']);
  });
});

const deployment = (d: Partial<Deployment>): Deployment => ({ desiredCount: 2, runningCount: 0, pendingCount: 0, failedTasks: 0, ...d });
const service = (...deployments: Deployment[]): Service => ({ serviceName: 'svc', deployments });

describe('assessEcsRollout', () => {
  test('in progress while our PRIMARY deployment rolls; completed when ECS says so', () => {
    const rolling = service(deployment({ id: 'new', status: 'PRIMARY', rolloutState: 'IN_PROGRESS', runningCount: 1, pendingCount: 1 }), deployment({ id: 'old', status: 'ACTIVE', rolloutState: 'COMPLETED', runningCount: 2 }));
    assert.deepEqual(
      { ...assessEcsRollout(rolling, 'new') },
      { phase: 'in-progress', deploymentId: 'new', running: 1, desired: 2, pending: 1, failedTasks: 0 },
    );
    const done = service(deployment({ id: 'new', status: 'PRIMARY', rolloutState: 'COMPLETED', runningCount: 2, taskDefinition: 'td:8' }));
    assert.equal(assessEcsRollout(done, 'new').phase, 'completed');
    assert.equal(assessEcsRollout(done, 'new').taskDefinition, 'td:8');
  });

  test('the circuit breaker: ours FAILED and a rollback PRIMARY in progress, then completed', () => {
    const reason = 'ECS deployment circuit breaker: tasks failed to start.';
    const failedOurs = deployment({ id: 'new', status: 'ACTIVE', rolloutState: 'FAILED', rolloutStateReason: reason, failedTasks: 3 });
    const rolling = service(deployment({ id: 'rb', status: 'PRIMARY', rolloutState: 'IN_PROGRESS', runningCount: 1 }), failedOurs);
    assert.equal(assessEcsRollout(rolling, 'new').phase, 'rolling-back');
    const back = service(deployment({ id: 'rb', status: 'PRIMARY', rolloutState: 'COMPLETED', runningCount: 2 }));
    // Once the failed deployment is gone, the PRIMARY's reason still names the circuit breaker.
    const backWithReason = service(deployment({ id: 'rb', status: 'PRIMARY', rolloutState: 'COMPLETED', runningCount: 2, rolloutStateReason: `${reason} Rolling back to deployment old.` }));
    assert.equal(assessEcsRollout(service(deployment({ id: 'rb', status: 'PRIMARY', rolloutState: 'COMPLETED', runningCount: 2 }), failedOurs), 'new').phase, 'rolled-back');
    assert.equal(assessEcsRollout(backWithReason, 'new').phase, 'rolled-back');
    assert.equal(assessEcsRollout(back, 'new').phase, 'superseded');
    // Before ECS has created the rollback deployment, ours is FAILED and still PRIMARY: not final yet.
    assert.equal(assessEcsRollout(service(deployment({ id: 'new', status: 'PRIMARY', rolloutState: 'FAILED', rolloutStateReason: reason })), 'new').phase, 'rolling-back');
    // A failure that is not the circuit breaker's is final.
    assert.equal(assessEcsRollout(service(deployment({ id: 'new', status: 'PRIMARY', rolloutState: 'FAILED', rolloutStateReason: 'tasks failed' })), 'new').phase, 'failed');
  });

  test('another UpdateService replacing ours is "superseded"', () => {
    const other = service(deployment({ id: 'theirs', status: 'PRIMARY', rolloutState: 'IN_PROGRESS' }), deployment({ id: 'new', status: 'ACTIVE', rolloutState: 'IN_PROGRESS' }));
    assert.equal(assessEcsRollout(other, 'new').phase, 'superseded');
  });
});
