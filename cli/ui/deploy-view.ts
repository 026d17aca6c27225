// The live view of `passagectl deploy` on a terminal: one block per target (a region stack, or the
// local fleet) with its steps, the ECS rollout counts or the router processes, and the outcome.
// Written with React.createElement: Node runs these files by stripping types and cannot strip JSX.

import React from 'react';
import { Box, render, Text } from 'ink';
import type { DeployEvent, DeployStep, Reporter } from '../deploy/events.ts';

const h = React.createElement;

export interface TargetView {
  readonly name: string;
  readonly steps: ReadonlyArray<{ step: DeployStep; status: 'started' | 'done' | 'skipped'; detail?: string }>;
  readonly rollout?: Extract<DeployEvent, { type: 'rollout' }>;
  readonly instances: ReadonlyArray<Extract<DeployEvent, { type: 'instance' }>>;
  readonly balancer?: string;
  readonly table?: string;
  readonly result?: Extract<DeployEvent, { type: 'result' }>;
}

/** Folds events into what the view shows (pure; tested without a terminal). */
export function reduceView(targets: readonly TargetView[], event: DeployEvent): TargetView[] {
  const list = [...targets];
  let index = list.findIndex((t) => t.name === event.target);
  if (index === -1) {
    list.push({ name: event.target, steps: [], instances: [] });
    index = list.length - 1;
  }
  const t = list[index]!;
  switch (event.type) {
    case 'step': {
      const steps = t.steps.filter((s) => s.step !== event.step);
      steps.push({ step: event.step, status: event.status, ...(event.detail ? { detail: event.detail } : {}) });
      list[index] = { ...t, steps };
      break;
    }
    case 'rollout':
      list[index] = { ...t, rollout: event };
      break;
    case 'instance':
      list[index] = { ...t, instances: [...t.instances.filter((i) => i.id !== event.id), event] };
      break;
    case 'balancer':
      list[index] = { ...t, balancer: event.address };
      break;
    case 'table':
      list[index] = { ...t, table: event.versions === 'unknown' ? 'unknown' : [...new Set(event.versions)].join(', ') };
      break;
    case 'result':
      list[index] = { ...t, result: event };
      break;
    case 'diff':
      break;
  }
  return list;
}

const MARK = { started: '…', done: '✔', skipped: '–' } as const;
const STATE_COLOR: Record<string, string> = { ready: 'green', starting: 'yellow', draining: 'yellow', exited: 'gray', failed: 'red' };

function Target({ view }: { view: TargetView }): React.ReactElement {
  const rows: React.ReactNode[] = [h(Text, { key: 'title', bold: true }, view.name)];
  for (const s of view.steps) {
    rows.push(h(Text, { key: `s-${s.step}`, color: s.status === 'done' ? 'green' : undefined }, `  ${MARK[s.status]} ${s.step}${s.detail ? `  ${s.detail}` : ''}`));
  }
  if (view.balancer) rows.push(h(Text, { key: 'lb' }, `  players: ${view.balancer}`));
  if (view.rollout) {
    const r = view.rollout;
    rows.push(h(Text, { key: 'ro' }, `  tasks ${r.running}/${r.desired} running, ${r.pending} pending, ${r.failedTasks} failed  (${r.phase})`));
  }
  for (const i of view.instances) {
    const exit = i.exitCode === undefined ? '' : `  exit ${i.exitCode}`;
    rows.push(h(Text, { key: `i-${i.id}`, color: STATE_COLOR[i.state] }, `  ${i.revision === 'new' ? '+' : '-'} ${i.id.padEnd(10)} ${i.state.padEnd(9)}${i.port === undefined ? '' : ` :${i.port}`}${exit}`));
  }
  if (view.table) rows.push(h(Text, { key: 'table' }, `  table version: ${view.table}`));
  if (view.result) {
    const ok = view.result.exitCode === 0;
    rows.push(h(Text, { key: 'res', color: ok ? 'green' : 'red', bold: true }, `  ${view.result.outcome}: ${view.result.message}`));
  }
  return h(Box, { flexDirection: 'column', marginBottom: 1 }, ...rows);
}

export function DeployView({ title, targets }: { title: string; targets: readonly TargetView[] }): React.ReactElement {
  return h(Box, { flexDirection: 'column' }, h(Text, { bold: true, color: 'cyan' }, title), ...targets.map((view) => h(Target, { key: view.name, view })));
}

export function inkReporter(title: string, stdout: NodeJS.WritableStream = process.stdout): Reporter {
  let targets: TargetView[] = [];
  const instance = render(h(DeployView, { title, targets }), { stdout, exitOnCtrlC: false, patchConsole: false });
  return {
    emit(event) {
      targets = reduceView(targets, event);
      instance.rerender(h(DeployView, { title, targets }));
      // Diffs are long and worth keeping in the scrollback: print them above the live view.
      if (event.type === 'diff' && event.changes) {
        instance.clear();
        stdout.write(`${event.text.trimEnd()}\n`);
        instance.rerender(h(DeployView, { title, targets }));
      }
    },
    async close() {
      instance.unmount();
      await instance.waitUntilExit().catch(() => {});
    },
  };
}
