// What a deploy reports while it runs. One event type for both targets (AWS and --local), written three
// ways: NDJSON with --json (one object per line, for CI), plain lines without a terminal, an Ink view
// on a terminal (cli/ui/deploy-view.ts).

import type { CliContext } from '../context.ts';
import type { EcsRolloutPhase, InstanceState } from './rollout.ts';

export type DeployStep = 'synth' | 'diff' | 'confirm' | 'deploy' | 'roll' | 'wait' | 'table' | 'fleet' | 'rollout' | 'stop';

export type DeployOutcome = 'done' | 'no-changes' | 'changes-pending' | 'detached' | 'rolled-back' | 'failed';

export type DeployEvent =
  | { readonly type: 'step'; readonly target: string; readonly step: DeployStep; readonly status: 'started' | 'done' | 'skipped'; readonly detail?: string }
  | { readonly type: 'diff'; readonly target: string; readonly changes: boolean; readonly text: string }
  | { readonly type: 'rollout'; readonly target: string; readonly phase: EcsRolloutPhase; readonly running: number; readonly desired: number; readonly pending: number; readonly failedTasks: number; readonly reason?: string }
  | { readonly type: 'instance'; readonly target: string; readonly id: string; readonly revision: 'old' | 'new'; readonly state: InstanceState; readonly port?: number; readonly exitCode?: number | null; readonly table?: string }
  | { readonly type: 'balancer'; readonly target: string; readonly address: string }
  /** The table versions the new tasks serve: numbers, or `unknown` when nothing reports them. */
  | { readonly type: 'table'; readonly target: string; readonly versions: readonly number[] | 'unknown' }
  | { readonly type: 'result'; readonly target: string; readonly outcome: DeployOutcome; readonly exitCode: number; readonly message: string };

export interface Reporter {
  emit(event: DeployEvent): void;
  /** Stops the live view, if any, so the terminal is usable again (prompts, final output). */
  close(): Promise<void>;
}

export function ndjsonReporter(ctx: CliContext): Reporter {
  return {
    emit: (event) => void ctx.stdout.write(`${JSON.stringify({ time: new Date(ctx.now()).toISOString(), ...event })}\n`),
    close: async () => {},
  };
}

/** One line per event, for logs and pipes. */
export function formatEvent(event: DeployEvent): string | undefined {
  const at = `[${event.target}]`;
  switch (event.type) {
    case 'step':
      return `${at} ${event.step} ${event.status}${event.detail ? `: ${event.detail}` : ''}`;
    case 'diff':
      return event.changes ? `${at} changes:\n${event.text.trimEnd()}` : `${at} no infrastructure changes`;
    case 'rollout':
      return `${at} rollout ${event.phase}: ${event.running}/${event.desired} running, ${event.pending} pending, ${event.failedTasks} failed${event.reason ? ` (${event.reason})` : ''}`;
    case 'instance': {
      const extra = [event.port === undefined ? '' : `port ${event.port}`, event.table ? `table ${event.table}` : '', event.exitCode === undefined ? '' : `exit ${event.exitCode}`].filter(Boolean).join(', ');
      return `${at} ${event.revision} ${event.id} ${event.state}${extra ? ` (${extra})` : ''}`;
    }
    case 'balancer':
      return `${at} players connect to ${event.address}`;
    case 'table':
      return `${at} new tasks serve table version ${event.versions === 'unknown' ? 'unknown (no router heartbeats)' : [...new Set(event.versions)].join(', ')}`;
    case 'result':
      return `${at} ${event.outcome}: ${event.message}`;
  }
}

export function plainReporter(ctx: CliContext): Reporter {
  return {
    emit(event) {
      const line = formatEvent(event);
      if (line !== undefined) ctx.stdout.write(`${line}\n`);
    },
    close: async () => {},
  };
}

/** NDJSON with --json; the Ink view on a terminal; plain lines otherwise. */
export async function createReporter(ctx: CliContext, title: string): Promise<Reporter> {
  if (ctx.json) return ndjsonReporter(ctx);
  if (ctx.isTTY) {
    const { inkReporter } = await import('../ui/deploy-view.ts');
    return inkReporter(title);
  }
  return plainReporter(ctx);
}
