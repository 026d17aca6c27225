// The deploy progress view: events folded into per-target state, rendered with ink-testing-library,
// and the plain-line form used without a terminal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import React from 'react';
import { render } from 'ink-testing-library';
import { formatEvent, type DeployEvent } from '../../../cli/deploy/events.ts';
import { DeployView, reduceView, type TargetView } from '../../../cli/ui/deploy-view.ts';

const events: DeployEvent[] = [
  { type: 'step', target: 'Passage-prod-eu-west-1', step: 'deploy', status: 'started' },
  { type: 'step', target: 'Passage-prod-eu-west-1', step: 'deploy', status: 'done' },
  { type: 'rollout', target: 'Passage-prod-eu-west-1', phase: 'in-progress', running: 1, desired: 2, pending: 1, failedTasks: 0 },
  { type: 'rollout', target: 'Passage-prod-eu-west-1', phase: 'completed', running: 2, desired: 2, pending: 0, failedTasks: 0 },
  { type: 'table', target: 'Passage-prod-eu-west-1', versions: [7, 7] },
  { type: 'instance', target: 'local', id: 'router-1', revision: 'old', state: 'exited', port: 40001, exitCode: 0 },
  { type: 'result', target: 'Passage-prod-eu-west-1', outcome: 'done', exitCode: 0, message: '2/2 new tasks healthy; table version 7' },
];

test('the view shows each target with its steps, the ECS counts, the table version and the outcome', () => {
  const targets = events.reduce<TargetView[]>((acc, e) => reduceView(acc, e), []);
  assert.deepEqual(targets.map((t) => t.name), ['Passage-prod-eu-west-1', 'local']);
  const { lastFrame, unmount } = render(React.createElement(DeployView, { title: 'passagectl deploy eu-west-1', targets }));
  const frame = lastFrame() ?? '';
  unmount();
  assert.match(frame, /✔ deploy/);
  assert.match(frame, /tasks 2\/2 running, 0 pending, 0 failed {2}\(completed\)/);
  assert.match(frame, /table version: 7/);
  assert.match(frame, /- router-1\s+exited\s+:40001 {2}exit 0/);
  assert.match(frame, /done: 2\/2 new tasks healthy/);
});

test('without a terminal each event is one plain line', () => {
  assert.deepEqual(events.map(formatEvent), [
    '[Passage-prod-eu-west-1] deploy started',
    '[Passage-prod-eu-west-1] deploy done',
    '[Passage-prod-eu-west-1] rollout in-progress: 1/2 running, 1 pending, 0 failed',
    '[Passage-prod-eu-west-1] rollout completed: 2/2 running, 0 pending, 0 failed',
    '[Passage-prod-eu-west-1] new tasks serve table version 7',
    '[local] old router-1 exited (port 40001, exit 0)',
    '[Passage-prod-eu-west-1] done: 2/2 new tasks healthy; table version 7',
  ]);
  assert.equal(formatEvent({ type: 'table', target: 'x', versions: 'unknown' }), '[x] new tasks serve table version unknown (no router heartbeats)');
});
